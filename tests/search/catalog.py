"""Rows for search tests, written straight to the database (fast: no audio pipeline)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.core.text import slugify
from plyr.models import Album, Artist, AudioFile, Playlist, PlaylistItem, Tag, Track


async def add_track(
    app: FastAPI,
    artist_did: str,
    title: str,
    *,
    visibility: str = "public",
    status: str = "published",
    album_id: int | None = None,
    tags: Sequence[str] = (),
    play_count: int = 0,
) -> int:
    file_id = hashlib.sha256(f"{artist_did}/{title}/{visibility}".encode()).hexdigest()[:16]
    async with app.state.runtime.writer() as db:
        db.add(AudioFile(file_id=file_id, ext="mp3", content_type="audio/mpeg", size=1))
        track = Track(
            artist_did=artist_did,
            title=title,
            upload_file_id=file_id,
            file_id=file_id,
            file_type="mp3",
            visibility=visibility,
            status=status,
            album_id=album_id,
            play_count=play_count,
        )
        if tags:
            existing = {t.name: t for t in (await db.scalars(select(Tag))).all()}
            track.tags = [existing.get(name) or Tag(name=name) for name in tags]
        db.add(track)
        await db.commit()
        return track.id


async def add_album(app: FastAPI, artist_did: str, title: str) -> int:
    async with app.state.runtime.writer() as db:
        album = Album(artist_did=artist_did, slug=slugify(title), title=title)
        db.add(album)
        await db.commit()
        return album.id


async def add_playlist(
    app: FastAPI, owner_did: str, name: str, track_ids: Sequence[int], *, private: bool = False
) -> int:
    async with app.state.runtime.writer() as db:
        playlist = Playlist(owner_did=owner_did, name=name, is_private=private)
        db.add(playlist)
        await db.flush()
        db.add_all(
            PlaylistItem(playlist_id=playlist.id, track_id=t, position=i)
            for i, t in enumerate(track_ids)
        )
        await db.commit()
        return playlist.id


async def set_display_name(app: FastAPI, did: str, name: str | None) -> None:
    async with app.state.runtime.writer() as db:
        artist = await db.get(Artist, did)
        assert artist is not None
        artist.display_name = name
        await db.commit()


async def search(client: AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/search/", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def titles(body: dict[str, Any], kind: str = "tracks") -> list[str]:
    key = {"tracks": "title", "albums": "title", "tags": "name", "playlists": "name"}
    return [
        r[key.get(kind, "handle")] for r in body["results"] if r["type"] == kind.removesuffix("s")
    ]
