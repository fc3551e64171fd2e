"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from contextvars import ContextVar
from types import TracebackType
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        # pysqlite's own transaction handling breaks SAVEPOINTs: we emit BEGIN. A deferred
        # transaction that reads, then writes after another connection committed, fails
        # at once with "database is locked" (its snapshot is stale); so a unit of work that
        # may write begins IMMEDIATE (`create_sessionmaker(writer=True)`), taking SQLite's
        # one write lock up front (waiting up to busy_timeout). Readers stay deferred and
        # never wait. A writer must not open a second session that writes (it would wait
        # on itself), nor hold its transaction across network I/O.
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database; raises when it does not answer."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # autocommit at the driver; SQLAlchemy emits BEGIN
    cursor = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get(WRITER_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITER_OPTION = "plyr_writer"

# The writer sessions open in this task (entered with `async with`): while one of them is in a
# transaction it holds SQLite's write lock, and `plyr.core.net` refuses to go to the network.
_open_writers: ContextVar[tuple[AsyncSession, ...]] = ContextVar("plyr_writers", default=())


class WriterSession(AsyncSession):
    """A session from `create_sessionmaker(writer=True)`: it says when it holds the lock."""

    async def __aenter__(self) -> WriterSession:
        await super().__aenter__()
        _open_writers.set((*_open_writers.get(), self))
        return self

    async def __aexit__(
        self,
        type_: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # not a ContextVar token reset: FastAPI may close a dependency's session in another
        # context than the one that opened it
        _open_writers.set(tuple(s for s in _open_writers.get() if s is not self))
        await super().__aexit__(type_, value, traceback)


def in_writer_transaction() -> bool:
    """Does a writer session of this task hold an open transaction (the write lock)?"""
    return any(session.in_transaction() for session in _open_writers.get())


def create_sessionmaker(
    engine: AsyncEngine, *, writer: bool = False
) -> async_sessionmaker[AsyncSession]:
    if writer:
        bind = engine.execution_options(**{WRITER_OPTION: True})
        return async_sessionmaker(
            bind, class_=WriterSession, expire_on_commit=False, autoflush=False
        )
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_lock_conflict(error: BaseException) -> bool:
    """SQLite could not get its write lock (busy, or a stale snapshot): retry later."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)
