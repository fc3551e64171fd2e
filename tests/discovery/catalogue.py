"""A catalogue for the recommendation tests, written straight to the database: tracks in
any standing, and their analysis (`track_features`) written through the vector store as the
analysis task would, without running it (generated unit vectors where audio is not the
point; `analyze_audio` on tests/discovery/synth.py clips where it is)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import numpy as np
from fastapi import FastAPI
from sqlalchemy import select

from plyr.discovery.store import vector_store
from plyr.discovery.vectors import Features, Vector
from plyr.discovery.vectors.base import unit
from plyr.models import (
    Artist,
    AudioFile,
    Like,
    PlayEvent,
    Playlist,
    PlaylistItem,
    Tag,
    Track,
    TrackTag,
)


def direction(seed: int, dimensions: int = 400) -> Vector:
    """A random unit vector (the same for the same seed)."""
    return unit(np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32))


def near(base: Vector, seed: int, closeness: float = 0.8) -> Vector:
    """A unit vector close to `base` (closer for larger `closeness`)."""
    return unit(closeness * base + (1 - closeness) * direction(10_000 + seed, len(base)))


async def add_artist(app: FastAPI, handle: str) -> str:
    did = f"did:plc:{uuid.uuid4().hex[:24]}"
    async with app.state.runtime.writer() as db:
        db.add(Artist(did=did, handle=handle))
        await db.commit()
    return did


async def add_track(
    app: FastAPI,
    artist_did: str,
    title: str,
    *,
    created_at: datetime | None = None,
    tags: tuple[str, ...] = (),
    **columns: object,
) -> int:
    """A track written straight to the database (public and published unless `columns` say
    otherwise: visibility, status, support_gate)."""
    file_id = uuid.uuid4().hex[:16]
    async with app.state.runtime.writer() as db:
        db.add(AudioFile(file_id=file_id, ext="mp3", content_type="audio/mpeg", size=1))
        track = Track(
            artist_did=artist_did,
            title=title,
            upload_file_id=file_id,
            file_id=file_id,
            file_type="mp3",
            **columns,
        )
        if created_at is not None:
            track.created_at = created_at
        db.add(track)
        await db.flush()
        for name in tags:
            tag = (await db.execute(select(Tag).where(Tag.name == name))).scalar_one_or_none()
            if tag is None:
                tag = Tag(name=name)
                db.add(tag)
                await db.flush()
            db.add(TrackTag(track_id=track.id, tag_id=tag.id))
        await db.commit()
        return track.id


async def write_analysis_directly(app: FastAPI, embeddings: Mapping[int, Vector]) -> None:
    """Each track's analysis, as the analysis task would store it (tags are not the point)."""
    runtime = app.state.runtime
    store = await vector_store(runtime)
    async with runtime.writer() as db:
        for track_id, embedding in embeddings.items():
            await store.upsert(
                db,
                Features(
                    track_id=track_id,
                    model_version="test",
                    tags=np.full(100, 0.5, dtype=np.float32),
                    embedding=np.asarray(embedding, dtype=np.float32),
                ),
            )
        await db.commit()


async def like(app: FastAPI, did: str, track_id: int, at: datetime) -> None:
    async with app.state.runtime.writer() as db:
        db.add(Like(did=did, track_id=track_id, created_at=at))
        track = await db.get(Track, track_id)
        assert track is not None
        track.like_count += 1
        await db.commit()


async def add_to_own_playlist(app: FastAPI, did: str, track_id: int, at: datetime) -> None:
    """A playlist add (an edge for For You) in a playlist of the listener's own."""
    async with app.state.runtime.writer() as db:
        playlist = Playlist(owner_did=did, name="mix", is_private=True)
        db.add(playlist)
        await db.flush()
        db.add(PlaylistItem(playlist_id=playlist.id, track_id=track_id, position=0, added_at=at))
        await db.commit()


async def play(app: FastAPI, listener: str, track_id: int) -> None:
    async with app.state.runtime.writer() as db:
        db.add(PlayEvent(track_id=track_id, listener=listener))
        await db.commit()


def analysed_embedding(samples: np.ndarray) -> Vector:
    """The 400-d embedding the analysis stores for these 16 kHz samples: L2(MSD) ⊕ L2(MTT)
    penultimate layers, L2-normalised (see `TrackFeatures`)."""
    from plyr.discovery.models import analyze_audio  # loads the models: only where needed

    analysis = analyze_audio(np.asarray(samples, dtype=np.float32))
    parts = [unit(analysis.msd.embedding), unit(analysis.mtt.embedding)]
    return unit(np.concatenate(parts).astype(np.float32))
