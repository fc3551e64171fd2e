"""FastAPI dependencies shared by every domain: the runtime and the request's DB session.
(Plain lookups are `async def` so FastAPI does not send them to the thread pool.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plyr.core import outbox
from plyr.core.cache import Cache
from plyr.core.config import Settings
from plyr.core.runtime import Runtime
from plyr.core.storage import Storage


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings_dep(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_storage(runtime: RuntimeDep) -> Storage:
    return runtime.storage


async def get_cache(runtime: RuntimeDep) -> Cache:
    return runtime.cache


async def _unit_of_work(
    runtime: Runtime, maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AsyncSession]:
    """Commit when the handler returns, then perform the outbox entries it wrote
    (`plyr.core.outbox`), with the session's transaction closed."""
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    await outbox.perform(runtime, outbox.take_written(session))


async def get_db(request: Request, runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the handler returns, before the response.
    A request that may change something (not GET/HEAD) gets a writer (`plyr.core.db`)."""
    reads_only = request.method in ("GET", "HEAD")
    maker = runtime.sessionmaker if reads_only else runtime.writer
    async for session in _unit_of_work(runtime, maker):
        yield session


async def get_writer_db(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """For a GET that writes (the OAuth callback)."""
    async for session in _unit_of_work(runtime, runtime.writer):
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StorageDep = Annotated[Storage, Depends(get_storage)]
CacheDep = Annotated[Cache, Depends(get_cache)]
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
WriterDbSession = Annotated[AsyncSession, Depends(get_writer_db, scope="function")]


RowT = TypeVar("RowT")
Fetch = Callable[[AsyncSession], Awaitable[RowT]]  # the row, or raises when the user may not


@dataclass(frozen=True)
class Checked(Generic[RowT]):
    """A row the caller may change, checked before the request's body is read, in a short
    read session of its own (`check_apart`): a route that receives an upload must not take
    the writer first, or a slow client would hold SQLite's one write lock for every user.
    `load` fetches the row in the request's session once the body is in, checking again
    (it may have gone meanwhile)."""

    id: int
    fetch: Fetch[RowT]

    async def load(self, db: AsyncSession) -> RowT:
        return await self.fetch(db)


async def check_apart(runtime: Runtime, row_id: int, fetch: Fetch[RowT]) -> Checked[RowT]:
    """`fetch` in a read session of its own (403/404 before a byte of the body is read)."""
    async with runtime.sessionmaker() as db:
        await fetch(db)
    return Checked(row_id, fetch)
