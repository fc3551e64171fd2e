"""An artist's profile, mirrored to their repo as `fm.plyr.actor.profile` (key `self`):
upserted, keeping its `createdAt`, and not written at all when nothing changed."""

from __future__ import annotations

from datetime import datetime

import httpx

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import XrpcError
from plyr.atproto.records import RecordBuilder
from plyr.atproto.sessions import pds_for
from plyr.atproto.writes import SESSION_ENDED, NeedsSignIn, failure
from plyr.core.runtime import Runtime
from plyr.models import Artist, utcnow

PROFILE_KEY = "self"


async def sync_profile(runtime: Runtime, artist: Artist) -> bool:
    """Write the profile record if it differs; True when a write happened. Raises
    `PdsUnavailable` or `NeedsSignIn` (see `plyr.atproto.writes`)."""
    pds = await pds_for(runtime, artist.did)
    if pds is None:
        if artist.pds_url:
            raise NeedsSignIn("session_expired", SESSION_ENDED)
        return False
    lexicons = Lexicons(runtime.settings.atproto_namespace)
    collection = lexicons.nsid("actor.profile")
    try:
        existing = (await pds.get_record(collection, PROFILE_KEY) or {}).get("value") or {}
        if existing.get("bio") == (artist.bio or None) and existing.get("avatar") == (
            artist.avatar_url or None
        ):
            return False
        created = existing.get("createdAt")
        record = RecordBuilder(lexicons).profile(
            created_at=_parse(created) if created else utcnow(),
            bio=artist.bio,
            avatar=artist.avatar_url,
            updated_at=utcnow() if created else None,
        )
        await pds.put_record(collection, PROFILE_KEY, record)
    except (httpx.TransportError, XrpcError) as e:
        raise failure(e) from e
    return True


async def sync_profile_of(runtime: Runtime, did: str) -> None:
    """The outbox's `profile_sync`: the artist's profile record as their row says now."""
    async with runtime.sessionmaker() as db:
        artist = await db.get(Artist, did)
    if artist is not None:
        await sync_profile(runtime, artist)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
