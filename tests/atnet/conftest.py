"""Fixtures of the AT Protocol tests; the network itself is `tests.atnet.network`.

`pds_alice` (module) is a fresh account per module; `pds_app`/`api` are plyr pointed at the
local network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from plyr.core.config import Settings
from tests.atnet.network import (
    Account,
    AtprotoNet,
    create_account,
    free_ports,
    unique_handle,
)
from tests.conftest import PUBLIC_URL, running_app

__all__ = ["Account", "AtprotoNet", "create_account", "free_ports", "unique_handle"]


@pytest.fixture(scope="module")
def pds_alice(atproto_net: AtprotoNet) -> Account:
    """A fresh account (`alice-<random>.test`) for the test module."""
    return create_account(atproto_net, unique_handle("alice"))


@asynccontextmanager
async def running_on_network(
    settings: Settings, net: AtprotoNet, *, with_worker: bool = True
) -> AsyncIterator[FastAPI]:
    """`running_app`, with plyr pointed at the local network: its PLC, and its PDS for
    `.test` handles."""
    settings.plc_url = net.plc_url
    settings.handle_resolvers = net.pds_url
    async with running_app(settings, with_worker=with_worker) as application:
        yield application


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
