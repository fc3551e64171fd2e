"""Preferences live in the artist row's `preferences` JSON; unknown keys are kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository as artists
from plyr.core.errors import NotFound
from plyr.models import Artist, utcnow
from plyr.preferences.schemas import PreferencesIn, PreferencesOut


def read(artist: Artist) -> PreferencesOut:
    known = PreferencesOut.model_fields
    stored = {k: v for k, v in (artist.preferences or {}).items() if k in known}
    return PreferencesOut.model_validate(stored)


async def merge(db: AsyncSession, did: str, changes: PreferencesIn) -> PreferencesOut:
    artist = await _artist(db, did)
    update = changes.model_dump(exclude_none=True)
    await _store(db, artist, {**(artist.preferences or {}), **update})
    return read(artist)


async def accept_terms(db: AsyncSession, did: str) -> None:
    artist = await _artist(db, did)
    stored = artist.preferences or {}
    if not stored.get("terms_accepted_at"):
        await _store(db, artist, {**stored, "terms_accepted_at": utcnow().isoformat()})


async def _artist(db: AsyncSession, did: str) -> Artist:
    artist = await artists.get(db, did)
    if artist is None:
        raise NotFound("account not found")
    return artist


async def _store(db: AsyncSession, artist: Artist, preferences: dict[str, Any]) -> None:
    artist.preferences = preferences  # a new dict: the JSON column sees the change
    await db.flush()
