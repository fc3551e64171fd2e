"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
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


def create_sessionmaker(
    engine: AsyncEngine, *, writer: bool = False
) -> async_sessionmaker[AsyncSession]:
    bind = engine.execution_options(**{WRITER_OPTION: True}) if writer else engine
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)


def is_lock_conflict(error: BaseException) -> bool:
    """SQLite could not get its write lock (busy, or a stale snapshot): retry later."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)
