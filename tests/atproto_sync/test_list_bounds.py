"""A user's PDS decides what `listRecords` answers: an endless cursor chain, a cursor that
comes back, or pages far larger than asked for must not keep a sync (or the account
deletion and follow import that list too) running or growing without end."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from plyr.atproto.pds import LIST_MAX_PAGES, LIST_MAX_RECORDS, PdsClient, PublicAuth
from plyr.core.config import Settings
from plyr.ingest.indexers import INDEXERS
from plyr.ingest.sync import sync_repo
from tests.app import running_app
from tests.endless_pds import DID, EndlessPds, endless_pds

COLLECTION = "fm.plyr.track"


async def listed(pds: EndlessPds, **bounds: int) -> int:
    async with httpx.AsyncClient() as http:
        client = PdsClient(http, pds.url, DID, PublicAuth())
        return len([r async for r in client.list_records(COLLECTION, **bounds)])


async def test_an_endless_cursor_chain_stops_at_the_page_bound() -> None:
    with endless_pds("endless") as pds:
        assert await listed(pds) == LIST_MAX_PAGES * 100 == LIST_MAX_RECORDS
        assert pds.pages[COLLECTION] == LIST_MAX_PAGES


async def test_the_record_bound_stops_a_listing_before_the_page_bound() -> None:
    with endless_pds("endless") as pds:
        assert await listed(pds, max_records=250) == 250
        assert pds.pages[COLLECTION] == 3


async def test_a_repeated_cursor_ends_the_listing() -> None:
    with endless_pds("repeat") as pds:
        assert await listed(pds) == 100
        assert pds.pages[COLLECTION] == 2


async def test_a_page_larger_than_asked_is_cut_and_ends_the_listing() -> None:
    with endless_pds("huge") as pds:
        assert await listed(pds) == 100
        assert pds.pages[COLLECTION] == 1


@pytest.mark.parametrize(("mode", "pages"), [("endless", LIST_MAX_PAGES), ("repeat", 2)])
async def test_sign_in_sync_of_a_hostile_repo_finishes(
    settings: Settings, mode: str, pages: int
) -> None:
    with endless_pds(mode) as pds:
        hostile = settings.model_copy(update={"plc_url": pds.url})
        async with running_app(hostile, with_worker=False) as app:
            counts = await asyncio.wait_for(sync_repo(app.state.runtime, DID), 120)
    assert counts == dict.fromkeys((i.name for i in INDEXERS), 0)  # none of it is valid
    assert set(pds.pages.values()) == {pages}
