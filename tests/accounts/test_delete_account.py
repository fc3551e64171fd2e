"""Deleting an account leaves nothing of it: every table is searched for the DID, every
stored file of it is gone, and other people's counts stay right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.models import Base, Comment, Like, PlayEvent, Playlist, PlaylistItem, QueueState, Track
from tests.app import User
from tests.audio.media import make_audio, make_image
from tests.helpers import upload_track, wait_job


async def rows_mentioning(app: FastAPI, needle: str) -> list[str]:
    """`table.column` of every row whose text or JSON holds `needle`."""
    found = []
    async with app.state.runtime.sessionmaker() as db:
        for table in Base.metadata.sorted_tables:
            for row in (await db.execute(select(table))).mappings():
                for column, value in row.items():
                    if value is not None and needle in str(value):
                        found.append(f"{table.name}.{column}")
    return found


def stored_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


async def test_nothing_of_a_deleted_account_remains(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path, settings: Any
) -> None:
    media = settings.data_dir / "media"
    before = stored_files(media) if media.exists() else set()
    bobs = await upload_track(
        client, bob, make_audio(tmp_path / "b.mp3", "mp3", seconds=1, frequency=250)
    )
    bob_files = stored_files(media) - before
    mine = await upload_track(
        client,
        alice,
        make_audio(tmp_path / "a.aiff", "aiff", seconds=1, frequency=350),
        image=("cover.png", make_image("png", (32, 32)), "image/png"),
    )
    await upload_track(
        client,
        alice,
        make_audio(tmp_path / "p.mp3", "mp3", seconds=1, frequency=450),
        visibility="private",
    )
    async with app.state.runtime.writer() as db:
        db.add(Like(track_id=bobs["id"], did=alice.did))
        db.add(Comment(track_id=bobs["id"], did=alice.did, text="nice", timestamp_ms=10))
        db.add(Like(track_id=mine["id"], did=bob.did))
        playlist = Playlist(owner_did=alice.did, name="mine")
        db.add(playlist)
        await db.flush()
        db.add(PlaylistItem(playlist_id=playlist.id, track_id=bobs["id"], position=0))
        db.add(PlayEvent(track_id=bobs["id"], listener=alice.did))
        db.add(QueueState(did=alice.did, state={"track_ids": [bobs["id"]]}, revision=1))
        track = await db.get(Track, bobs["id"])
        assert track is not None
        track.like_count, track.comment_count = 1, 1
        await db.commit()
    export = await client.post("/exports/", headers=alice.auth)
    assert (await wait_job(client, alice, export.json()["job_id"]))["status"] == "completed"
    assert await rows_mentioning(app, alice.did)

    wrong = await client.request(
        "DELETE", "/account", json={"confirmation": "bob.test"}, headers=alice.auth
    )
    assert wrong.status_code == 400 and "must match your handle" in wrong.json()["detail"]
    gone = await client.request(
        "DELETE", "/account", json={"confirmation": "@Alice.test"}, headers=alice.auth
    )
    assert gone.status_code == 204

    assert await rows_mentioning(app, alice.did) == []
    assert await rows_mentioning(app, "alice.test") == []
    assert stored_files(media) == before | bob_files  # alice's audio, art and export: gone
    assert (await client.get("/auth/me", headers=alice.auth)).status_code == 401
    survivor = (await client.get(f"/tracks/{bobs['id']}")).json()
    assert (survivor["like_count"], survivor["comment_count"]) == (0, 0)
    assert (await client.get(f"/tracks/{mine['id']}")).status_code == 404


async def test_account_deletion_needs_a_session(client: AsyncClient) -> None:
    response = await client.request("DELETE", "/account", json={"confirmation": "x"})
    assert response.status_code == 401


async def test_deleted_audio_is_not_served_a_moment_longer(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    """Public audio is served from per-process caches (who may stream it, and the fast
    path's open files): deleting the account clears both, so the next request is a 404."""
    track = await upload_track(client, alice, make_audio(tmp_path / "a.mp3", "mp3", seconds=1))
    for _ in range(2):  # the first play caches the access, the second opens the file
        played = await client.get(track["audio_url"], headers={"Range": "bytes=0-9"})
        assert played.status_code == 206
    assert app.state.runtime.public_audio.get(track["file_id"]) is not None
    deleted = await client.request(
        "DELETE", "/account", json={"confirmation": "alice.test"}, headers=alice.auth
    )
    assert deleted.status_code == 204
    assert (await client.get(track["audio_url"], headers={"Range": "bytes=0-9"})).status_code == 404
    assert app.fast_path.files._files == {}
