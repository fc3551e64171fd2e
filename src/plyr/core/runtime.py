"""Everything a process holds open: database, storage, cache, task queue (and its worker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from docket import Docket, Worker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from plyr import __version__
from plyr.core.cache import Cache, LocalCache, create_cache
from plyr.core.config import Settings
from plyr.core.db import create_engine, create_sessionmaker
from plyr.core.net import GuardedClient, Policy
from plyr.core.outbox import Handler
from plyr.core.ratelimit import RateLimiter
from plyr.core.secrets import SecretBox
from plyr.core.storage import Storage, create_storage

if TYPE_CHECKING:  # a type only: the resolver itself comes in through `Wiring`
    from plyr.atproto.identity import IdentityResolver

log = logging.getLogger(__name__)

_current: Runtime | None = None


def current_runtime() -> Runtime:
    """The process's runtime; tasks reach the database and storage through it."""
    if _current is None:
        raise RuntimeError("plyr runtime is not started")
    return _current


@dataclass(frozen=True)
class Wiring:
    """The domain parts a process plugs into its runtime. The composition root
    (`plyr.wiring`) builds it, so that core imports no domain package."""

    identity: Callable[[Settings, httpx.AsyncClient], IdentityResolver]
    register_tasks: Callable[[Docket], None]
    on_worker_start: Callable[[Runtime], Awaitable[None]]
    effects: Mapping[str, Handler]  # what performs each kind of outbox entry


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # for a unit of work that reads, then writes (see `plyr.core.db`): on SQLite its
    # transaction takes the write lock at BEGIN; it must not open another session inside
    writer: async_sessionmaker[AsyncSession]
    storage: Storage
    cache: Cache
    docket: Docket
    http: httpx.AsyncClient
    identity: IdentityResolver
    secrets: SecretBox
    limiter: RateLimiter
    wiring: Wiring
    # file_id -> who may stream it, for public files: a hot stream costs no query. Other
    # processes see a visibility change within the TTL.
    public_audio: LocalCache[Any] = field(default_factory=lambda: LocalCache(ttl_s=10.0))
    # platform-wide aggregates every home page shows (stats, popular tags): a scan of every
    # track, so they are reused for a few seconds rather than recounted per request; this
    # process's own catalog changes clear them (`catalog_changed`), others' show within the TTL
    aggregates: LocalCache[Any] = field(default_factory=lambda: LocalCache(ttl_s=15.0))
    # told the file ids of audio deleted or hidden here (the fast path closes its open files)
    audio_listeners: list[Callable[[frozenset[str]], None]] = field(default_factory=list)
    # what performs each kind of outbox entry (`plyr.core.outbox`, `plyr.effects`)
    effects: Mapping[str, Handler] = field(default_factory=dict)
    # what a domain keeps for the life of this process, opened on first use (by its key)
    process_state: dict[str, Any] = field(default_factory=dict)
    # what those keep open (a reader task, a connection): closed first when the runtime closes
    on_close: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _worker_task: asyncio.Task[None] | None = field(default=None, repr=False)

    def audio_changed(self, *file_ids: str | None) -> None:
        """Audio was deleted or its visibility changed here: this process stops serving it
        from its caches at once (others within `public_audio`'s TTL)."""
        ids = frozenset(f for f in file_ids if f)
        self.public_audio.forget(*ids)
        for listener in self.audio_listeners:
            listener(ids)

    def catalog_changed(self) -> None:
        """A track was published, edited or deleted here: recount the aggregates."""
        self.aggregates.clear()

    @classmethod
    async def start(
        cls, settings: Settings, *, wiring: Wiring, with_worker: bool | None = None
    ) -> Runtime:
        global _current
        settings.ensure_dirs()
        engine = create_engine(settings.resolved_database_url)
        docket = Docket(name=settings.queue_name, url=settings.docket_url)
        await docket.__aenter__()
        wiring.register_tasks(docket)
        # every outbound request goes through the guarded client (`plyr.core.net`)
        http = GuardedClient(Policy.of(settings), headers={"User-Agent": f"plyr/{__version__}"})
        runtime = cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            writer=create_sessionmaker(engine, writer=True),
            storage=create_storage(settings),
            cache=create_cache(settings.redis_url),
            docket=docket,
            http=http,
            identity=wiring.identity(settings, http),
            secrets=SecretBox(settings.resolved_secret_key()),
            limiter=RateLimiter(settings.rate_limits, settings.redis_url),
            wiring=wiring,
            effects=wiring.effects,
        )
        _current = runtime
        if settings.in_process_worker if with_worker is None else with_worker:
            runtime._worker_task = asyncio.create_task(runtime.run_worker())
        return runtime

    async def run_worker(self) -> None:
        await self.wiring.on_worker_start(self)
        async with Worker(
            self.docket,
            concurrency=self.settings.worker_concurrency,
            redelivery_timeout=timedelta(seconds=self.settings.redelivery_timeout_s),
        ) as worker:
            await worker.run_forever()

    async def close(self) -> None:
        global _current
        for close in reversed(self.on_close):
            try:
                await close()
            except Exception:
                log.exception("closing %r failed", close)
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker_task
        await self.docket.__aexit__(None, None, None)
        await self.cache.close()
        await self.limiter.close()
        await self.storage.close()
        await self.identity.aclose()
        await self.http.aclose()
        await self.engine.dispose()
        if _current is self:
            _current = None
