"""Artists you know: plyr artists whom the listener follows on Bluesky, read from the
`app.bsky.graph.follow` records in the listener's own repo (no AppView needed)."""

from __future__ import annotations

import json
import logging

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository
from plyr.atproto.identity import IdentityError
from plyr.atproto.pds import PdsClient, PublicAuth, XrpcError
from plyr.core.runtime import Runtime
from plyr.models import Artist

log = logging.getLogger(__name__)

FOLLOW = "app.bsky.graph.follow"
MAX_FOLLOWS = 5000
CACHE_S = 600


async def followed_dids(runtime: Runtime, did: str) -> list[str]:
    """The DIDs the account follows (cached ten minutes); empty when its PDS cannot say."""
    key = f"follows:{did}"
    cached = await runtime.cache.get(key)
    if cached is not None:
        return list(json.loads(cached))
    try:
        identity = await runtime.identity.resolve(did)
        pds = PdsClient(runtime.http, identity.pds_url, did, PublicAuth())
        subjects: list[str] = []
        async for record in pds.list_records(FOLLOW):
            subject = record.get("value", {}).get("subject")
            if isinstance(subject, str) and subject.startswith("did:"):
                subjects.append(subject)
            if len(subjects) >= MAX_FOLLOWS:
                break
    except (IdentityError, XrpcError, httpx.TransportError):
        log.info("could not read the follows of %s", did, exc_info=True)
        return []
    await runtime.cache.set(key, json.dumps(subjects), CACHE_S)
    return subjects


async def artists_you_know(db: AsyncSession, runtime: Runtime, did: str) -> list[Artist]:
    me = await repository.get(db, did)
    if me is None or not me.pds_url:
        return []  # a local developer account has no repo to read
    follows = await followed_dids(runtime, did)
    return await repository.with_public_tracks(db, [d for d in follows if d != did])
