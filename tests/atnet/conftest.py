"""Fixtures of the AT Protocol tests; the network itself is `tests.atnet.network`.

`pds_alice` (module) is a fresh account per module; `pds_app`/`api` are plyr pointed at the
local network."""

from __future__ import annotations

from collections.abc import AsyncIterator

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


@pytest.fixture
async def pds_app(settings: Settings, atproto_net: AtprotoNet) -> AsyncIterator[FastAPI]:
    """plyr pointed at the local network: its PLC, its PDS for `.test` handles, and
    app-password sign-in turned on."""
    settings.allow_app_passwords = True
    settings.plc_url = atproto_net.plc_url
    settings.handle_resolvers = atproto_net.pds_url
    async with running_app(settings) as application:
        yield application


@pytest.fixture
async def api(pds_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        transport=ASGITransport(app=pds_app), base_url=PUBLIC_URL, timeout=60
    ) as client:
        yield client
