"""Importing what a user already has in their repo (their profile and tracks published by
plyr.fm or any other client), so someone arriving from elsewhere finds their music."""

from __future__ import annotations

import logging

from plyr.artists import repository as artists
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import PdsClient, PublicAuth
from plyr.core.runtime import Runtime
from plyr.tracks.indexing import index_track_record

log = logging.getLogger(__name__)


async def sync_repo(runtime: Runtime, did: str) -> int:
    """Index the repo's `fm.plyr.track` records and profile; returns how many tracks.
    Everything is fetched first, so the database transaction stays short."""
    identity = await runtime.identity.resolve(did)
    lexicons = Lexicons(runtime.settings.atproto_namespace)
    pds = PdsClient(runtime.http, identity.pds_url, did, PublicAuth())
    profile = await pds.get_record(lexicons.nsid("actor.profile"), "self")
    records = [item async for item in pds.list_records(lexicons.nsid("track"))]
    count = 0
    async with runtime.sessionmaker() as db:
        artist = await artists.upsert_identity(db, did=did, handle=identity.handle or did)
        artist.pds_url = identity.pds_url
        if profile is not None and isinstance(profile.get("value"), dict):
            artist.bio = profile["value"].get("bio") or artist.bio
        for item in records:
            track = await index_track_record(
                db,
                lexicons,
                artist,
                uri=item["uri"],
                cid=item["cid"],
                record=item["value"],
                public_url=runtime.settings.public_url,
            )
            count += track is not None
        await db.commit()
    log.info("synced %d tracks from %s", count, did)
    return count
