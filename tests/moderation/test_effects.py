"""What labels do: a takedown hides a track from a second user and a signed-out visitor on
every surface (feeds, search, pages, embeds, playlists, albums, discovery; `/audio` 451)
while its artist and admins still see it with the reason; a restore (a negation) brings it
back. Sensitive audio is left out for those who did not ask for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.core import outbox
from plyr.core.runtime import Runtime
from plyr.discovery.store import vector_store
from plyr.discovery.vectors import EmbeddedStore
from plyr.models import Track
from plyr.moderation import effects
from tests.app import User, make_user
from tests.discovery.catalogue import (
    add_artist,
    add_track,
    direction,
    near,
    write_analysis_directly,
)
from tests.helpers import add_to_playlist, new_album, new_playlist, upload_tone
from tests.web.helpers import BROWSER, cookie, data_tracks

LABELER = "did:plc:labelerlabelerlabeler00"
SIGNED_OUT: dict[str, str] = {}


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def give_record(app: FastAPI, track_id: int, artist_did: str) -> str:
    """The record URI an indexed track has (uploads here have no PDS behind them)."""
    uri = f"at://{artist_did}/fm.plyr.track/3kmoderated{track_id}"
    async with runtime_of(app).writer() as db:
        track = await db.get(Track, track_id)
        assert track is not None
        track.atproto_record_uri = uri
        await db.commit()
    return uri


async def label(app: FastAPI, uri: str, val: str, *, neg: bool = False, src: str = LABELER) -> None:
    async with runtime_of(app).writer() as db:
        await effects.apply_label(db, uri=uri, val=val, neg=neg, src=src)
        await outbox.commit(runtime_of(app), db)  # as the labeler does: caches forget at once


@pytest.fixture
async def stage(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> dict[str, Any]:
    """alice's "Song" (with a record) on her album "Day" and in bob's public playlist, and a
    track of carol's that sounds like it (both analysed)."""
    song = await upload_tone(client, alice, tmp_path, "Song", 370, seconds=2)
    album = await new_album(client, alice, "Day")
    put = await client.put(
        f"/albums/{album['id']}/tracks", json={"track_ids": [song["id"]]}, headers=alice.auth
    )
    assert put.status_code == 200, put.text
    playlist = await new_playlist(client, bob, "Road Mix")
    assert await add_to_playlist(client, bob, playlist["id"], song["id"]) in (200, 201)
    carol = await add_artist(app, "carol.test")
    neighbour = await add_track(app, carol, "Neighbour")
    base = direction(7)
    await write_analysis_directly(app, {song["id"]: base, neighbour: near(base, 1, 0.95)})
    # a restored track is back in discovery at the store's next standing reload (every 30 s,
    # as after any change of visibility); here at once
    store = await vector_store(runtime_of(app))
    if isinstance(store, EmbeddedStore):
        store.refresh_interval = store.standing_interval = 0
    uri = await give_record(app, song["id"], alice.did)
    return {"song": song, "album": album, "playlist": playlist, "neighbour": neighbour, "uri": uri}


async def seen(client: AsyncClient, stage: dict[str, Any], headers: dict[str, str]) -> set[str]:
    """The surfaces on which these headers' viewer finds the song."""
    song_id, file_id = stage["song"]["id"], stage["song"]["file_id"]
    api = {k: v for k, v in headers.items() if k != "Accept"}
    found = set()
    feed = (await client.get("/tracks/", headers=api)).json()
    if song_id in [t["id"] for t in feed["tracks"]]:
        found.add("feed")
    hits = (await client.get("/search/", params={"q": "Song"}, headers=api)).json()["results"]
    if any(r["type"] == "track" and r["id"] == song_id for r in hits):
        found.add("search")
    if (await client.get(f"/tracks/{song_id}", headers=api)).status_code == 200:
        found.add("api")
    if (await client.get(f"/track/{song_id}", headers=headers or BROWSER)).status_code == 200:
        found.add("page")
    if (await client.get(f"/embed/track/{song_id}", headers=BROWSER)).status_code == 200:
        found.add("embed")
    for surface, path in (("artist", "/u/alice.test"), ("album", "/u/alice.test/album/day")):
        page = await client.get(path, headers=headers or BROWSER)
        if page.status_code == 200 and song_id in [t["id"] for t in data_tracks(page.text)]:
            found.add(surface)
    playlist = await client.get(f"/playlist/{stage['playlist']['id']}", headers=headers or BROWSER)
    if song_id in [t["id"] for t in data_tracks(playlist.text)]:
        found.add("playlist")
    similar = (await client.get(f"/tracks/{stage['neighbour']}/similar", headers=api)).json()
    if song_id in [t["id"] for t in similar["tracks"]]:
        found.add("similar")
    mood = (await client.get("/search/semantic", params={"q": "Song"}, headers=api)).json()
    if song_id in [t["id"] for t in mood["results"]]:
        found.add("semantic")
    if "Cookie" in headers:  # For You is for signed-in listeners
        for_you = (await client.get("/for-you", headers=api)).json()
        if song_id in [t["id"] for t in for_you["tracks"]]:
            found.add("for-you")
    audio = await client.get(f"/audio/{file_id}", headers=api)
    found.add(f"audio {audio.status_code}")
    return found


EVERYWHERE = {
    *("feed", "search", "semantic", "api", "page", "embed"),
    *("artist", "album", "playlist", "similar"),
}


async def test_takedown_and_restore_change_what_others_see_everywhere(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, stage: dict[str, Any]
) -> None:
    admin = await make_user(app, "admin.test")
    runtime_of(app).settings.admin_dids = admin.did
    dave = await make_user(app, "dave.test")  # a listener who has not heard it (For You)
    assert await seen(client, stage, cookie(dave)) == EVERYWHERE | {"for-you", "audio 200"}
    assert await seen(client, stage, cookie(bob)) == EVERYWHERE | {"audio 200"}
    assert await seen(client, stage, SIGNED_OUT) == EVERYWHERE | {"audio 200"}

    await label(app, stage["uri"], "!takedown")
    for viewer in (cookie(dave), cookie(bob), SIGNED_OUT):
        assert await seen(client, stage, viewer) == {"audio 451"}
    # the artist still has it everywhere that is theirs (the artist page shows her the
    # public view, as always), with the reason
    assert {"api", "page", "album", "audio 200"} <= await seen(client, stage, cookie(alice))
    theirs = await client.get("/tracks/", params={"artist_did": alice.did}, headers=alice.auth)
    assert [t["takedown_reason"] for t in theirs.json()["tracks"]] == ["removed by a moderator"]
    own = await client.get(f"/track/{stage['song']['id']}", headers=cookie(alice))
    assert "taken down: removed by a moderator" in own.text
    mine = (await client.get(f"/tracks/{stage['song']['id']}", headers=alice.auth)).json()
    assert mine["takedown_reason"] == "removed by a moderator"
    # an admin opens the page and plays it, and reads why
    assert {"api", "page", "audio 200"} <= await seen(client, stage, cookie(admin))
    page = await client.get(f"/track/{stage['song']['id']}", headers=cookie(admin))
    assert "taken down: removed by a moderator" in page.text

    await label(app, stage["uri"], "!takedown", neg=True)
    assert await seen(client, stage, cookie(dave)) == EVERYWHERE | {"for-you", "audio 200"}
    assert await seen(client, stage, cookie(bob)) == EVERYWHERE | {"audio 200"}
    assert await seen(client, stage, SIGNED_OUT) == EVERYWHERE | {"audio 200"}


async def test_a_takedown_without_a_record_and_copyright_labels(
    app: FastAPI, client: AsyncClient, bob: User, stage: dict[str, Any]
) -> None:
    song_id = stage["song"]["id"]
    async with runtime_of(app).writer() as db:
        await effects.takedown(
            db, target_type="track", target_id=str(song_id), reason="a copy of X's track"
        )
        await outbox.commit(runtime_of(app), db)
    assert await seen(client, stage, SIGNED_OUT) == {"audio 451"}
    async with runtime_of(app).writer() as db:
        await effects.restore(db, target_type="track", target_id=str(song_id))
        await outbox.commit(runtime_of(app), db)
    assert "feed" in await seen(client, stage, SIGNED_OUT)

    await label(app, stage["uri"], "copyright-violation")
    assert await seen(client, stage, cookie(bob)) == {"audio 451"}
    await label(app, stage["uri"], "copyright-violation", neg=True)
    assert "feed" in await seen(client, stage, cookie(bob))


async def test_a_creator_cannot_take_their_own_track_down_by_label(
    app: FastAPI, client: AsyncClient, alice: User, stage: dict[str, Any]
) -> None:
    await label(app, stage["uri"], "!takedown", src=alice.did)
    assert "feed" in await seen(client, stage, SIGNED_OUT)
    await label(app, "at://did:plc:nobody/fm.plyr.track/x", "!takedown")  # not here: ignored


async def feed_titles(client: AsyncClient, headers: dict[str, str]) -> list[str]:
    feed = (await client.get("/tracks/", headers=headers)).json()
    return sorted(t["title"] for t in feed["tracks"])


async def test_sensitive_audio_only_for_listeners_who_asked(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    await upload_tone(client, alice, tmp_path, "Plain", 300)
    await upload_tone(client, alice, tmp_path, "Explicit", 420, self_labels=["sexual"])
    labelled = await upload_tone(client, alice, tmp_path, "Labelled", 530)
    uri = await give_record(app, labelled["id"], alice.did)
    await label(app, uri, "porn")

    carol = await make_user(app, "carol.test")
    opted = await client.post(
        "/preferences", json={"show_sensitive_audio": True}, headers=carol.auth
    )
    assert opted.status_code == 200, opted.text
    assert await feed_titles(client, SIGNED_OUT) == ["Plain"]
    assert await feed_titles(client, bob.auth) == ["Plain"]
    assert await feed_titles(client, carol.auth) == ["Explicit", "Labelled", "Plain"]
    home = await client.get("/", headers=cookie(carol))
    assert {"Explicit", "Labelled"} <= {t["title"] for t in data_tracks(home.text)}
    signed_out_home = await client.get("/", headers=BROWSER)
    assert "Explicit" not in {t["title"] for t in data_tracks(signed_out_home.text)}
    hits = (await client.get("/search/", params={"q": "Explicit"})).json()["results"]
    assert not [r for r in hits if r["type"] == "track"]
    # still there by its link, marked
    direct = (await client.get(f"/tracks/{labelled['id']}")).json()
    assert direct["sensitive_audio"] is True

    await label(app, uri, "porn", neg=True)
    await label(app, uri, "sexual", src=alice.did)  # her own label now: still sensitive
    assert await feed_titles(client, bob.auth) == ["Plain"]
    await label(app, uri, "sexual", src=alice.did, neg=True)
    assert await feed_titles(client, bob.auth) == ["Labelled", "Plain"]


async def test_taken_down_albums_playlists_comments_and_artists(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, stage: dict[str, Any]
) -> None:
    album, playlist = stage["album"], stage["playlist"]
    said = await client.post(
        f"/tracks/{stage['song']['id']}/comments",
        json={"text": "hello", "timestamp_ms": 0},
        headers=bob.auth,
    )
    assert said.status_code in (200, 201), said.text
    song_page = f"/track/{stage['song']['id']}"
    assert "hello" in (await client.get(song_page, headers=BROWSER)).text
    async with runtime_of(app).writer() as db:
        for target_type, target_id in (
            ("album", album["id"]),
            ("playlist", playlist["id"]),
            ("comment", said.json()["id"]),
        ):
            await effects.takedown(
                db, target_type=target_type, target_id=str(target_id), reason="abuse"
            )
        await db.commit()
    assert (await client.get("/u/alice.test/album/day", headers=BROWSER)).status_code == 404
    own_album = await client.get("/u/alice.test/album/day", headers=cookie(alice))
    assert own_album.status_code == 200
    assert (await client.get(f"/playlist/{playlist['id']}", headers=BROWSER)).status_code == 404
    assert (await client.get(f"/embed/playlist/{playlist['id']}")).status_code == 404
    own_list = await client.get(f"/playlist/{playlist['id']}", headers=cookie(bob))
    assert own_list.status_code == 200
    assert "hello" not in (await client.get(song_page, headers=BROWSER)).text
    found = (await client.get("/search/", params={"q": "Road Mix"})).json()["results"]
    assert not [r for r in found if r["type"] == "playlist"]

    async with runtime_of(app).writer() as db:
        await effects.apply_label(db, uri=alice.did, val="!takedown", neg=False, src=LABELER)
        await db.commit()
    assert (await client.get("/u/alice.test", headers=BROWSER)).status_code == 404
    assert (await client.get("/u/alice.test", headers=cookie(alice))).status_code == 200
    async with runtime_of(app).writer() as db:
        await effects.restore(db, target_type="artist", target_id=alice.did)
        await effects.restore(db, target_type="album", target_id=str(album["id"]))
        await db.commit()
    assert (await client.get("/u/alice.test", headers=BROWSER)).status_code == 200
    assert (await client.get("/u/alice.test/album/day", headers=BROWSER)).status_code == 200
