"""`plyr ingest`: follow a relay's or PDS's `com.atproto.sync.subscribeRepos` and index
`fm.plyr.*` records from any account, so music published by any client appears in plyr."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from atproto import CAR, AsyncFirehoseSubscribeReposClient, models, parse_subscribe_repos_message
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository as artists
from plyr.atproto.identity import IdentityError
from plyr.atproto.indexers import IndexedRecord, by_collection
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.uris import owned_uri
from plyr.core.runtime import Runtime
from plyr.models import Artist, IngestCursor

log = logging.getLogger(__name__)

Commit = models.ComAtprotoSyncSubscribeRepos.Commit
IdentityEvent = models.ComAtprotoSyncSubscribeRepos.Identity
SAVE_CURSOR_EVERY = 50


class Ingester:
    """Indexes the commits of one firehose; remembers how far it got."""

    def __init__(self, runtime: Runtime, service: str) -> None:
        self.runtime, self.service = runtime, service
        self.lexicons = Lexicons(runtime.settings.atproto_namespace)
        self.indexers = by_collection(self.lexicons)
        self.seq: int | None = None
        self._unsaved = 0

    async def start_cursor(self) -> int | None:
        async with self.runtime.sessionmaker() as db:
            saved = await db.get(IngestCursor, self.service)
            return saved.cursor if saved else None

    async def handle(self, message: Any) -> None:
        commit = parse_subscribe_repos_message(message)
        if isinstance(commit, IdentityEvent):
            await self._identity_changed(commit.did)
            return
        if not isinstance(commit, Commit):
            return
        ops = [op for op in commit.ops if op.path.split("/", 1)[0] in self.indexers]
        if ops:
            blocks = CAR.from_bytes(commit.blocks).blocks if commit.blocks else {}
            artist_known = await self._ensure_artist(commit.repo)  # network: before the txn
            async with self.runtime.writer() as db:
                artist = await artists.get(db, commit.repo) if artist_known else None
                for op in ops:
                    await self._apply(db, artist, commit.repo, op, blocks)
                await db.commit()
        self.seq = commit.seq
        self._unsaved += 1
        if self._unsaved >= SAVE_CURSOR_EVERY or ops:
            await self.save_cursor()

    async def _apply(
        self, db: AsyncSession, artist: Artist | None, did: str, op: Any, blocks: Any
    ) -> None:
        collection = op.path.split("/", 1)[0]
        uri = f"at://{did}/{op.path}"
        if owned_uri(uri, did, collection) is None:
            log.info("skipping %s: not a record path of this repo", uri)
            return
        indexer = self.indexers[collection]
        if op.action == "delete":
            await indexer.remove(db, did, uri)
            return
        record = blocks.get(op.cid) if op.cid is not None else None
        if record is None or artist is None:
            return
        indexed = IndexedRecord(uri, str(op.cid), dict(record))
        await indexer.index(db, self.lexicons, artist, indexed, self.runtime.settings.public_url)

    async def _ensure_artist(self, did: str) -> bool:
        """The account's artist row exists (resolving its identity when new)."""
        async with self.runtime.sessionmaker() as db:
            artist = await artists.get(db, did)
            if artist is not None and artist.pds_url:
                return True
        try:
            identity = await self.runtime.identity.resolve(did)
        except IdentityError:
            log.info("skipping records of %s: identity does not resolve", did)
            return False
        async with self.runtime.writer() as db:
            artist = await artists.upsert_identity(db, did=did, handle=identity.handle or did)
            artist.pds_url = identity.pds_url
            await db.commit()
        return True

    async def _identity_changed(self, did: str) -> None:
        """A handle (or PDS) changed: resolve again and update the artist we know."""
        self.runtime.identity.invalidate(did)
        async with self.runtime.sessionmaker() as db:
            artist = await artists.get(db, did)
        if artist is None:
            return
        try:
            identity = await self.runtime.identity.resolve(did)
        except IdentityError:
            return
        async with self.runtime.writer() as db:
            await artists.upsert_identity(db, did=did, handle=identity.handle or artist.handle)
            known = await artists.get(db, did)
            if known is not None:
                known.pds_url = identity.pds_url
            await db.commit()

    async def save_cursor(self) -> None:
        if self.seq is None:
            return
        async with self.runtime.writer() as db:
            saved = await db.get(IngestCursor, self.service)
            if saved is None:
                db.add(IngestCursor(service=self.service, cursor=self.seq))
            else:
                saved.cursor = self.seq
            await db.commit()
        self._unsaved = 0


async def ingest(
    runtime: Runtime,
    service: str,
    stop: asyncio.Event,
    *,
    first_cursor: int | None = None,
    max_backoff_s: float = 60.0,
) -> None:
    """Follow `service` (e.g. `wss://relay/xrpc`) until `stop` is set; reconnect with backoff.
    Resumes from the saved cursor; the first run starts at `first_cursor` (None: live)."""
    ingester = Ingester(runtime, service)
    backoff = 1.0
    while not stop.is_set():
        cursor = ingester.seq if ingester.seq is not None else await ingester.start_cursor()
        cursor = first_cursor if cursor is None else cursor
        params = {"cursor": cursor} if cursor is not None else None
        client = AsyncFirehoseSubscribeReposClient(params=params, base_uri=service)
        task = asyncio.create_task(client.start(ingester.handle))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        await client.stop()
        stopper.cancel()
        try:
            await asyncio.wait_for(task, 5)
            backoff = 1.0
            if not stop.is_set():
                await asyncio.sleep(backoff)  # closed by the other side: do not spin
        except Exception:
            log.warning(
                "firehose %s dropped; reconnecting in %.0f s", service, backoff, exc_info=True
            )
            await asyncio.sleep(backoff)
            backoff = min(max_backoff_s, backoff * 2)
        await ingester.save_cursor()
