"""Fixtures of the AT Protocol tests; the network itself is `tests.atnet.network`.

`pds_alice` (module) is a fresh account per module; `pds_app`/`api` are plyr pointed at the
local network; `following` runs plyr's firehose ingest against the local PDS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from plyr.core.config import Settings
from plyr.ingest.firehose import ingest
from tests.app import PUBLIC_URL
from tests.atnet.helpers import running_on_network
from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle


@pytest.fixture(scope="module")
def pds_alice(atproto_net: AtprotoNet) -> Account:
    """A fresh account (`alice-<random>.test`) for the test module."""
    return create_account(atproto_net, unique_handle("alice"))


@pytest.fixture
async def pds_app(settings: Settings, atproto_net: AtprotoNet) -> AsyncIterator[FastAPI]:
    """plyr pointed at the local network, with app-password sign-in turned on."""
    settings.allow_app_passwords = True
    async with running_on_network(settings, atproto_net) as application:
        yield application


@pytest.fixture
async def api(pds_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        transport=ASGITransport(app=pds_app), base_url=PUBLIC_URL, timeout=60
    ) as client:
        yield client


@pytest.fixture
async def following(pds_app: FastAPI, atproto_net: AtprotoNet) -> AsyncIterator[None]:
    """`ingest` following the local PDS's firehose from its beginning."""
    stop = asyncio.Event()
    follower = asyncio.create_task(
        ingest(pds_app.state.runtime, atproto_net.pds_ws, stop, first_cursor=0)
    )
    yield
    stop.set()
    await asyncio.wait_for(follower, 15)
