"""Share links with listen receipts: the code, visits and counted plays attributed to it
(once per visitor, never its creator's own), anonymous visitors followed by the play
cookie, and what the creator's stats show."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from tests.app import PUBLIC_URL, User, make_user
from tests.audio.media import make_audio
from tests.helpers import upload_track


def browser(app: FastAPI, ip: str = "192.0.2.1") -> AsyncClient:
    """A separate anonymous visitor, with a cookie jar and an address of its own."""
    return AsyncClient(transport=ASGITransport(app=app, client=(ip, 4321)), base_url=PUBLIC_URL)


async def test_a_share_link_and_its_code(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any], tmp_path: Path
) -> None:
    assert (await client.post(f"/tracks/{song['id']}/share")).status_code == 401
    made = await client.post(f"/tracks/{song['id']}/share", headers=bob.auth)
    assert made.status_code == 200
    code, url = made.json()["code"], made.json()["url"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", code)
    assert url == f"{PUBLIC_URL}/track/{song['id']}?ref={code}"
    again = await client.post(f"/tracks/{song['id']}/share", headers=bob.auth)
    assert again.json()["code"] == code  # one link per person and track
    other = await client.post(f"/tracks/{song['id']}/share", headers=alice.auth)
    assert other.json()["code"] != code
    assert (await client.post("/tracks/99999/share", headers=bob.auth)).status_code == 404

    path = make_audio(tmp_path / "p.mp3", "mp3", seconds=1, frequency=420)
    private = await upload_track(client, alice, path, title="Private", visibility="private")
    assert (
        await client.post(f"/tracks/{private['id']}/share", headers=bob.auth)
    ).status_code == 404
    assert (
        await client.post(f"/tracks/{private['id']}/share", headers=alice.auth)
    ).status_code == 409


async def test_unknown_codes_and_codes_of_another_track_are_404(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any], tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "o.mp3", "mp3", seconds=1, frequency=430)
    other = await upload_track(client, alice, path, title="Other")
    code = (await client.post(f"/tracks/{song['id']}/share", headers=bob.auth)).json()["code"]
    assert (await client.post(f"/tracks/{song['id']}/ref/nope1234/click")).status_code == 404
    assert (await client.post(f"/tracks/{other['id']}/ref/{code}/click")).status_code == 404
    assert (await client.post(f"/tracks/{song['id']}/ref/{code}/click")).status_code == 204


async def test_stats_count_distinct_visitors_and_listeners_but_not_the_creator(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, song: dict[str, Any]
) -> None:
    track_id = song["id"]
    code = (await client.post(f"/tracks/{track_id}/share", headers=bob.auth)).json()["code"]
    click = f"/tracks/{track_id}/ref/{code}/click"
    play = f"/tracks/{track_id}/play"

    # the creator's own visits and plays are not receipts: the link stays hidden
    assert (await client.post(click, headers=bob.auth)).status_code == 204
    assert (await client.post(play, headers=bob.auth, json={"ref": code})).status_code == 200
    assert (await client.get("/tracks/me/shares", headers=bob.auth)).json() == []

    # alice (signed in) visits twice and listens
    await client.post(click, headers=alice.auth)
    await client.post(click, headers=alice.auth)
    await client.post(play, headers=alice.auth, json={"ref": code})
    # carol visits, but her play carries no ref: a visitor, not a listener
    carol = await make_user(app, "carol.test")
    await client.post(click, headers=carol.auth)
    await client.post(play, headers=carol.auth, json={})
    # an anonymous visitor: the click sets the play cookie; the play through it matches
    async with browser(app) as anon:
        visit = await anon.post(click)
        assert visit.status_code == 204 and "plyr_play_id" in visit.cookies
        assert (await anon.post(play, json={"ref": code})).status_code == 200
        await anon.post(click)  # again: the same visitor
    # another anonymous visitor who only visits
    async with browser(app, "192.0.2.2") as anon2:
        await anon2.post(click)
    # a play with an unknown ref still counts, and attributes nothing
    async with browser(app, "192.0.2.3") as anon3:
        counted = await anon3.post(play, json={"ref": "zzzzzzzz"})
        assert counted.status_code == 200

    stats = (await client.get("/tracks/me/shares", headers=bob.auth)).json()
    assert len(stats) == 1
    link = stats[0]
    assert (link["code"], link["track_id"], link["track_title"]) == (code, track_id, "Song")
    assert link["url"] == f"{PUBLIC_URL}/track/{track_id}?ref={code}"
    assert (link["visitors"], link["listeners"], link["anonymous"]) == (4, 2, 2)
    assert set(link) == {
        "code",
        "track_id",
        "track_title",
        "url",
        "created_at",
        "visitors",
        "listeners",
        "anonymous",
    }
    assert (await client.get("/tracks/me/shares")).status_code == 401
    assert (await client.get("/tracks/me/shares", headers=alice.auth)).json() == []


async def test_a_play_that_does_not_count_is_no_receipt(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    track_id = song["id"]
    code = (await client.post(f"/tracks/{track_id}/share", headers=bob.auth)).json()["code"]
    play = f"/tracks/{track_id}/play"
    assert (await client.post(play, headers=alice.auth, json={})).json()["play_count"] == 1
    # within the dedup window: not counted, so not a listen through the link either
    again = await client.post(play, headers=alice.auth, json={"ref": code})
    assert again.json()["play_count"] == 1
    assert (await client.get("/tracks/me/shares", headers=bob.auth)).json() == []


async def test_dropping_the_cookie_adds_no_visitors_from_one_address(
    client: AsyncClient, app: FastAPI, bob: User, song: dict[str, Any]
) -> None:
    code = (await client.post(f"/tracks/{song['id']}/share", headers=bob.auth)).json()["code"]
    click = f"/tracks/{song['id']}/ref/{code}/click"
    async with browser(app, "192.0.2.9") as script:
        for _ in range(5):
            script.cookies.clear()
            assert (await script.post(click)).status_code == 204
    async with browser(app, "192.0.2.10") as neighbour:
        assert (await neighbour.post(click)).status_code == 204
    stats = (await client.get("/tracks/me/shares", headers=bob.auth)).json()
    assert (stats[0]["visitors"], stats[0]["anonymous"]) == (2, 2)
