"""The social parts of pages: the like button and likers, timed comments on the track page
(their order, the author's controls, the "off" state, the limit), the /liked page and the
portal's share-link stats."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import upload_track
from tests.web.helpers import BROWSER, cookie, data_tracks


def like_button(html: str) -> str:
    found = re.search(r"<button[^>]*data-like=[^>]*>", html)
    assert found is not None, "no like button"
    return found.group(0)


async def comment(
    client: AsyncClient, user: User, track: dict[str, Any], text: str, at: int
) -> None:
    response = await client.post(
        f"/tracks/{track['id']}/comments",
        headers=user.auth,
        json={"text": text, "timestamp_ms": at},
    )
    assert response.status_code == 201, response.text


async def test_the_like_button_shows_the_count_and_my_like(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    url = f"/track/{song['id']}"
    anonymous = (await client.get(url, headers=BROWSER)).text
    button = like_button(anonymous)
    assert 'aria-pressed="false"' in button and "data-signed-out" in button
    assert re.search(r"data-like-count>0<", anonymous)
    assert '<span class="likers-anchor" hidden>' in anonymous  # nobody to list yet

    await client.post(f"/tracks/{song['id']}/like", headers=bob.auth)
    mine = (await client.get(url, headers=cookie(bob))).text
    button = like_button(mine)
    assert 'aria-pressed="true"' in button and "data-signed-out" not in button
    assert re.search(r"data-like-count>1<", mine)
    assert '<span class="likers-anchor">' in mine
    assert 'aria-pressed="false"' in like_button(
        (await client.get(url, headers=cookie(alice))).text
    )


async def test_comments_on_the_track_page(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    await comment(client, bob, song, "the <b>drop</b>", 2500)
    await comment(client, alice, song, "Intro!", 0)
    page = (await client.get(f"/track/{song['id']}", headers=cookie(alice))).text
    texts = re.findall(r'<p class="comment-text" data-comment-text>(.*?)</p>', page)
    assert texts == ["Intro!", "the &lt;b&gt;drop&lt;/b&gt;"]  # by position, escaped
    assert re.findall(r'data-comment-seek="(\d+)"[^>]*>([\d:]+)<', page) == [
        ("0", "0:00"),
        ("2500", "0:02"),
    ]
    assert page.count("data-comment-edit") == 1  # her own only
    assert "data-comment-form" in page and "data-comments-off" not in page
    assert f'data-me="{alice.did}"' in page
    track_json = html_lib.unescape(
        re.search(r'class="track-page" data-track="([^"]+)"', page).group(1)
    )  # type: ignore[union-attr]
    assert f'"id":{song["id"]}' in track_json

    signed_out = (await client.get(f"/track/{song['id']}", headers=BROWSER)).text
    assert "data-comment-form" not in signed_out and "sign in</a> to comment" in signed_out
    assert "data-comment-edit" not in signed_out and signed_out.count("data-comment-share") == 2


async def test_comments_off_and_the_limit(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    url = f"/track/{song['id']}"
    for i in range(20):  # the artist's own: one person may post at most 3 of anyone else's
        await comment(client, alice, song, f"c{i}", i * 100)
    full = (await client.get(url, headers=cookie(bob))).text
    assert re.search(r'<p class="notice comments-full" data-comments-full>', full)  # not hidden
    assert re.search(r"<form[^>]*data-comment-form[^>]*hidden", full)
    assert "maximum of 20 comments" in full

    await client.post("/preferences", headers=alice.auth, json={"allow_comments": False})
    off = (await client.get(url, headers=cookie(bob))).text
    assert "comments are off for this track" in off
    assert "data-comment-form" not in off and "data-comment-text" not in off


async def test_the_liked_page(client: AsyncClient, alice: User, bob: User, tmp_path: Path) -> None:
    signed_out = await client.get("/liked", headers=BROWSER)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
    assert "nothing liked yet" in (await client.get("/liked", headers=cookie(bob))).text
    tracks = []
    for i, title in enumerate(("First", "Second")):
        path = make_audio(tmp_path / f"{i}.mp3", "mp3", seconds=1, frequency=520 + 10 * i)
        tracks.append(await upload_track(client, alice, path, title=title))
        await client.post(f"/tracks/{tracks[-1]['id']}/like", headers=bob.auth)
    page = (await client.get("/liked", headers=cookie(bob))).text
    assert [t["title"] for t in data_tracks(page)] == ["Second", "First"]  # newest like first
    assert 'data-action="play-all"' in page and "<h1>liked tracks</h1>" in page


async def test_the_portal_shows_share_link_stats(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, song: dict[str, Any]
) -> None:
    portal = (await client.get("/portal", headers=cookie(bob))).text
    assert "share links" in portal and "no one has used your share links yet" in portal
    code = (await client.post(f"/tracks/{song['id']}/share", headers=bob.auth)).json()["code"]
    await client.post(f"/tracks/{song['id']}/ref/{code}/click", headers=alice.auth)
    portal = (await client.get("/portal", headers=cookie(bob))).text
    row = re.search(rf'<tr data-share-code="{code}">(.*?)</tr>', portal, re.S)
    assert row is not None
    assert re.findall(r'<td class="num">(\d+)</td>', row.group(1)) == ["1", "0", "0"]
    assert ">Song</a>" in row.group(1)
