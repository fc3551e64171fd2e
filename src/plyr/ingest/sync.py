"""Importing what a user already has in their repo: their profile, tracks published by
plyr.fm or any other client, their likes, playlists and albums, so someone arriving from
elsewhere finds their music and their collection."""

from __future__ import annotations

import asyncio
import logging

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import PdsClient, PublicAuth
from plyr.atproto.uris import owned_uri
from plyr.auth.repository import upsert_identity
from plyr.core import outbox
from plyr.core.runtime import Runtime
from plyr.ingest.indexers import INDEXERS, IndexedRecord, Indexer

log = logging.getLogger(__name__)
PREPARE_AT_ONCE = 4  # records' artwork fetched at once (each within the image size limit)


async def sync_repo(runtime: Runtime, did: str) -> dict[str, int]:
    """Index the repo's `fm.plyr.*` records and profile; returns how many of each were
    indexed. Everything is fetched first, so the database transaction stays short."""
    identity = await runtime.identity.resolve(did)
    lexicons = Lexicons(runtime.settings.atproto_namespace)
    pds = PdsClient(runtime.http, identity.pds_url, did, PublicAuth())
    profile = await pds.get_record(lexicons.nsid("actor.profile"), "self")
    fetched = {
        indexer.name: [
            IndexedRecord(item["uri"], item["cid"], item["value"])
            async for item in pds.list_records(lexicons.nsid(indexer.name))
            if _in_repo(item, did, lexicons.nsid(indexer.name))
        ]
        for indexer in INDEXERS
    }
    limit = asyncio.Semaphore(PREPARE_AT_ONCE)

    async def prepared(indexer: Indexer, record: IndexedRecord) -> IndexedRecord:
        async with limit:
            return await indexer.prepare(runtime, record)

    for indexer in INDEXERS:
        fetched[indexer.name] = list(
            await asyncio.gather(*(prepared(indexer, r) for r in fetched[indexer.name]))
        )
    counts = dict.fromkeys(fetched, 0)
    async with runtime.writer() as db:
        artist = await upsert_identity(db, did=did, handle=identity.handle or did)
        artist.pds_url = identity.pds_url
        if profile is not None and isinstance(profile.get("value"), dict):
            artist.bio = profile["value"].get("bio") or artist.bio
        for indexer in INDEXERS:  # tracks first: likes and lists refer to them
            for record in fetched[indexer.name]:
                indexed = await indexer.index(
                    db, lexicons, artist, record, runtime.settings.public_url
                )
                counts[indexer.name] += bool(indexed)
        await outbox.commit(runtime, db)
    log.info("synced %s from %s", counts, did)
    return counts


def _in_repo(item: dict[str, object], did: str, collection: str) -> bool:
    """The PDS lists a record of this repo: a URI naming anyone else's record is a lie
    (it would let one account rewrite another's rows), and is dropped."""
    if owned_uri(item.get("uri"), did, collection) is None:
        log.warning("ignoring %r listed in %s's repo: not its record", item.get("uri"), did)
        return False
    return True
