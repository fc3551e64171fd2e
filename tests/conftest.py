"""Test harness: a real database (SQLite, or PostgreSQL with PLYR_TEST_DB=postgres), a fresh
media folder per test, the app in-process with its in-process worker."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from moto.server import ThreadedMotoServer

from plyr.core.config import Settings
from plyr.core.migrate import upgrade
from plyr.core.net import strict_writer_check
from tests.app import PUBLIC_URL, User, make_user, running_app
from tests.helpers import upload_tone
from tests.services import (
    REDIS_URL,
    TEST_RATE_LIMITS,
    missing,
    postgres_database,
    reachable,
    using_postgres,
)

# the local AT Protocol network (one per session, for tests/atnet and tests/browser)
pytest_plugins = ["tests.atnet.network"]

BROWSER_TESTS = Path(__file__).parent / "browser"
EXIT_STATUS = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium (every test in tests/browser)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`-m browser` / `-m "not browser"`: scripts/test runs the browser tests on their own."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without the interpreter's shutdown: its final garbage collection over the run's
    heap (GBs: a thousand apps' worth of objects) took minutes on a busy box, after the
    results were printed."""
    status = config.stash.get(EXIT_STATUS, None)
    if status is None:  # not a test run (--help, --collect-only errors): exit as usual
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@pytest.fixture(autouse=True)
def _no_network_in_writer() -> Iterator[None]:
    """A request made while a writer transaction holds the write lock fails the test
    (production logs a warning): see `plyr.core.net`."""
    strict_writer_check(True)
    yield
    strict_writer_check(False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per run; tests empty it after themselves."""
    if not using_postgres():
        path = tmp_path_factory.mktemp("db") / "plyr.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    with postgres_database("plyr_test") as url:
        upgrade(url)
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        PLYR_DATA_DIR=tmp_path / "data",
        DATABASE_URL=database_url,
        PLYR_PUBLIC_URL=PUBLIC_URL,
        PLYR_SECRET_KEY="test-secret",
        PLYR_MAX_UPLOAD_MB=64,
        PLYR_ALLOW_PRIVATE_NETWORK=True,
        PLYR_RATE_LIMITS=TEST_RATE_LIMITS,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(settings) as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url=PUBLIC_URL, timeout=60) as c:
        yield c


@pytest.fixture
async def alice(app: FastAPI) -> User:
    return await make_user(app, "alice.test")


@pytest.fixture
async def bob(app: FastAPI) -> User:
    return await make_user(app, "bob.test")


@pytest.fixture
async def song(client: AsyncClient, alice: User, tmp_path: Path) -> dict[str, Any]:
    """One of alice's public tracks: "Song", three seconds long."""
    return await upload_tone(client, alice, tmp_path, "Song", 370, seconds=3)


@pytest.fixture
async def songs(client: AsyncClient, alice: User, tmp_path: Path) -> list[dict[str, Any]]:
    """Three of alice's public tracks: Morning, Noon, Night (uploaded in that order)."""
    return [
        await upload_tone(client, alice, tmp_path, title, 310 + 90 * i)
        for i, title in enumerate(("Morning", "Noon", "Night"))
    ]


@pytest.fixture
def redis_url() -> str:
    if not reachable(REDIS_URL, 6379):
        missing("Redis")
    return REDIS_URL


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3-compatible HTTP server on 127.0.0.1 (moto), for the S3 backend."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> str:
    name = f"plyr-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=name)
    return name
