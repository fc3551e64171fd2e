"""Which real services the tests can reach. In CI (CI=true) a missing one is a failure."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("PLYR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Generous request rate limits for every test but the rate-limit tests: a suite posts many
# plays, comments and uploads from one address (PLYR_RATE_LIMITS syntax).
TEST_RATE_LIMITS = ",".join(
    f"{rule}=100000/minute"
    for rule in (
        "signin",
        "upload",
        "upload_ip",
        "comment",
        "play",
        "play_ip",
        "share_click",
        "share_click_ip",
        "jam",
        "jam_command",
    )
)


def postgres_admin_url() -> str:
    return os.environ.get("PLYR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def using_postgres() -> bool:
    """Whether the suite runs against PostgreSQL (PLYR_TEST_DB=postgres) instead of SQLite."""
    return os.environ.get("PLYR_TEST_DB", "sqlite") == "postgres"


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database `<prefix>_<random>`, as a SQLAlchemy (asyncpg) URL;
    dropped on the way out. Without a reachable server: a skip (a failure in CI)."""
    import asyncpg

    admin = postgres_admin_url()
    if not reachable(admin, 5432):
        missing("PostgreSQL")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def empty_database(prefix: str, folder: Path) -> Iterator[str]:
    """A database with no tables yet, of the run's kind: PostgreSQL (`postgres_database`)
    with PLYR_TEST_DB=postgres, else a new SQLite file in `folder` (for migration tests)."""
    if using_postgres():
        with postgres_database(prefix) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{folder / f'{prefix}.db'}"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Fail in CI, skip with a message elsewhere."""
    message = f"{what} is not reachable"
    if in_ci():
        pytest.fail(f"{message} (required in CI)")
    pytest.skip(message)
