"""`plyr ingest`: follow a relay's or PDS's `com.atproto.sync.subscribeRepos` and index
`fm.plyr.*` records from any account, so music published by any client appears in plyr."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from atproto import CAR, AsyncFirehoseSubscribeReposClient, models, parse_subscribe_repos_message
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository as artists
from plyr.atproto.datamodel import json_form
from plyr.atproto.identity import IdentityError, validate_did
from plyr.atproto.indexable import indexable_uri
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import PdsClient, PublicAuth
from plyr.atproto.uris import owned_uri
from plyr.atproto.writes import PdsUnavailable
from plyr.auth.repository import upsert_identity
from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.ingest.indexers import IndexedRecord, by_collection
from plyr.models import Artist, IngestCursor

log = logging.getLogger(__name__)

Commit = models.ComAtprotoSyncSubscribeRepos.Commit
IdentityEvent = models.ComAtprotoSyncSubscribeRepos.Identity
SAVE_CURSOR_EVERY = 50
RETRY_DELAYS_S = (1.0, 4.0, 16.0)  # then the commit is kept as an outbox entry
DID_MAX = 255  # the artists.did column


class Ingester:
    """Indexes the commits of one firehose; remembers how far it got."""

    def __init__(
        self, runtime: Runtime, service: str, retry_delays: Sequence[float] = RETRY_DELAYS_S
    ) -> None:
        self.runtime, self.service, self.retry_delays = runtime, service, retry_delays
        self.stalled = asyncio.Event()
        self.lexicons = Lexicons(runtime.settings.atproto_namespace)
        self.indexers = by_collection(self.lexicons)
        self.seq: int | None = None
        self._unsaved = 0

    async def start_cursor(self) -> int | None:
        async with self.runtime.sessionmaker() as db:
            saved = await db.get(IngestCursor, self.service)
            return saved.cursor if saved else None

    async def handle(self, message: Any) -> None:
        """Index one event. A commit that fails is retried, then kept for housekeeping to
        retry (an outbox entry); only then does the cursor pass it. When even keeping it
        fails, the ingester stalls: `ingest` reconnects from the last commit done."""
        if self.stalled.is_set():
            return  # the events after a commit that is neither indexed nor kept
        event = parse_subscribe_repos_message(message)
        if isinstance(event, IdentityEvent):
            try:
                await self._retrying(lambda: self._identity_changed(event.did))
            except Exception:
                log.warning("identity event of %s failed", event.did, exc_info=True)
            return
        if not isinstance(event, Commit):
            return
        ops = self._indexed_ops(event)
        if ops and not await self._index_or_keep(event, ops):
            if self.seq is None:  # started live: the replay must still include this one
                self.seq = event.seq - 1
            self.stalled.set()
            return
        self.seq = event.seq
        self._unsaved += 1
        if self._unsaved >= SAVE_CURSOR_EVERY or ops:
            try:
                await self.save_cursor()
            except Exception:  # saved with a later commit; a restart replays a little more
                log.warning("could not save the firehose cursor", exc_info=True)

    def _indexed_ops(self, commit: Any) -> list[Any]:
        """The commit's ops on collections plyr indexes, for a DID and paths plyr can store
        (anything else could never be written, and retrying it would stall the firehose)."""
        if not self.indexers or not _valid_did(commit.repo):
            return []
        return [
            op
            for op in commit.ops
            if op.path.split("/", 1)[0] in self.indexers
            and indexable_uri(f"at://{commit.repo}/{op.path}")
        ]

    async def _index_or_keep(self, commit: Any, ops: list[Any]) -> bool:
        """True once the commit is indexed or kept for a later retry."""
        try:
            await self._retrying(lambda: self._index(commit, ops))
            return True
        except Exception:
            log.warning(
                "commit %s of %s failed; kept for later", commit.seq, commit.repo, exc_info=True
            )
        try:
            async with self.runtime.writer() as db:
                paths = sorted({op.path for op in ops})
                await outbox.add(db, Kind.FIREHOSE_COMMIT, {"paths": paths}, did=commit.repo)
                await db.commit()  # not performed now: the sweep retries it, after a while
            return True
        except Exception:
            log.error(
                "commit %s of %s could not be kept either", commit.seq, commit.repo, exc_info=True
            )
            return False

    async def _retrying(self, action: Callable[[], Awaitable[None]]) -> None:
        """`action`, tried again after each delay while it fails (SQLite busy, a restart)."""
        for delay in self.retry_delays:
            try:
                await action()
                return
            except Exception:
                log.info("firehose: retrying in %.1f s", delay, exc_info=True)
                await asyncio.sleep(delay)
        await action()

    async def _index(self, commit: Any, ops: list[Any]) -> None:
        blocks = CAR.from_bytes(commit.blocks).blocks if commit.blocks else {}
        artist_known = await self._ensure_artist(commit.repo)  # network: before the txn
        records = {op.path: await self._record(commit.repo, op, blocks) for op in ops}
        async with self.runtime.writer() as db:
            artist = await artists.get(db, commit.repo) if artist_known else None
            for op in ops:
                await self._apply(db, artist, commit.repo, op, records[op.path])
            await outbox.commit(self.runtime, db)  # e.g. a deleted track's files go now

    async def _record(self, did: str, op: Any, blocks: Any) -> IndexedRecord | None:
        """The op's record in JSON form, with what it needs from the network fetched."""
        record = blocks.get(op.cid) if op.cid is not None and op.action != "delete" else None
        if not isinstance(record, dict):
            return None
        indexed = IndexedRecord(f"at://{did}/{op.path}", str(op.cid), json_form(record))
        return await self.indexers[op.path.split("/", 1)[0]].prepare(self.runtime, indexed)

    async def _apply(
        self,
        db: AsyncSession,
        artist: Artist | None,
        did: str,
        op: Any,
        record: IndexedRecord | None,
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
        if record is None or artist is None:
            return
        await indexer.index(db, self.lexicons, artist, record, self.runtime.settings.public_url)

    async def _found(self, did: str, path: str, found: Any) -> IndexedRecord | None:
        """What the PDS holds at `path` (None: nothing), ready to index."""
        indexer = self.indexers.get(path.split("/", 1)[0])
        if indexer is None or found is None or not isinstance(found.get("value"), dict):
            return None
        record = IndexedRecord(f"at://{did}/{path}", str(found.get("cid", "")), found["value"])
        return await indexer.prepare(self.runtime, record)

    async def _settle(
        self,
        db: AsyncSession,
        artist: Artist | None,
        did: str,
        path: str,
        record: IndexedRecord | None,
    ) -> None:
        """Make the index say what the PDS now holds at `path` (None: nothing)."""
        collection = path.split("/", 1)[0]
        indexer = self.indexers.get(collection)
        uri = f"at://{did}/{path}"
        if indexer is None or owned_uri(uri, did, collection) is None:
            return
        if record is None:
            await indexer.remove(db, did, uri)
        elif artist is not None:
            await indexer.index(db, self.lexicons, artist, record, self.runtime.settings.public_url)

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
            artist = await upsert_identity(db, did=did, handle=identity.handle or did)
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
            await upsert_identity(db, did=did, handle=identity.handle or artist.handle)
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


def _valid_did(did: str) -> bool:
    try:
        validate_did(did)
    except IdentityError:
        return False
    return len(did) <= DID_MAX


async def retry_kept_commit(runtime: Runtime, did: str, paths: list[str]) -> None:
    """Housekeeping's retry of a kept commit: index its paths as the PDS holds them now (a
    record deleted since is removed), so a late retry never brings back an older state."""
    ingester = Ingester(runtime, "")
    try:
        identity = await runtime.identity.resolve(did)
        pds = PdsClient(runtime.http, identity.pds_url, did, PublicAuth())
        now = {
            path: await ingester._found(did, path, await pds.get_record(*path.split("/", 1)))
            for path in paths
        }
        artist_known = await ingester._ensure_artist(did)
        async with runtime.writer() as db:
            artist = await artists.get(db, did) if artist_known else None
            for path, found in now.items():
                await ingester._settle(db, artist, did, path, found)
            await outbox.commit(runtime, db)
    except Exception as e:  # retried later, like any outbox entry
        raise PdsUnavailable(f"the kept commit of {did} failed again: {type(e).__name__}") from e


async def ingest(
    runtime: Runtime,
    service: str,
    stop: asyncio.Event,
    *,
    first_cursor: int | None = None,
    max_backoff_s: float = 60.0,
    retry_delays: Sequence[float] = RETRY_DELAYS_S,
) -> None:
    """Follow `service` (e.g. `wss://relay/xrpc`) until `stop` is set; reconnect with backoff.
    Resumes from the saved cursor; the first run starts at `first_cursor` (None: live)."""
    ingester = Ingester(runtime, service, retry_delays)
    backoff = 1.0
    while not stop.is_set():
        cursor = ingester.seq if ingester.seq is not None else await ingester.start_cursor()
        cursor = first_cursor if cursor is None else cursor
        params = {"cursor": cursor} if cursor is not None else None
        client = AsyncFirehoseSubscribeReposClient(params=params, base_uri=service)
        task = asyncio.create_task(client.start(ingester.handle))
        waiters = {asyncio.create_task(stop.wait()), asyncio.create_task(ingester.stalled.wait())}
        await asyncio.wait({task, *waiters}, return_when=asyncio.FIRST_COMPLETED)
        await client.stop()
        for waiter in waiters:
            waiter.cancel()
        failed = ingester.stalled.is_set()
        try:
            await asyncio.wait_for(task, 5)
        except Exception:
            log.warning("firehose %s dropped", service, exc_info=True)
            failed = True
        if ingester.stalled.is_set():
            log.warning("firehose %s: replaying from %s in %.0f s", service, ingester.seq, backoff)
            ingester.stalled.clear()
        if not stop.is_set():
            await asyncio.sleep(backoff)  # also when closed by the other side: do not spin
        backoff = min(max_backoff_s, backoff * 2) if failed else 1.0
        await ingester.save_cursor()
