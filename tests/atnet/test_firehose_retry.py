"""A firehose commit that fails to index is not lost: it is retried, then kept for a later
retry, and the cursor never passes a commit that is neither indexed nor kept (a restart
replays it). The failures are injected into the track indexer; the rest is the real local
network's firehose."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.atproto.lexicon import Lexicons
from plyr.core import outbox
from plyr.ingest import firehose
from plyr.ingest.indexers import IndexedRecord, Indexer, by_collection
from plyr.models import PendingWrite
from tests.atnet.helpers import put_track
from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.helpers import poll

FAST = {"retry_delays": (0.05, 0.1), "max_backoff_s": 0.5}


class Faults:
    """Track records whose title is listed fail to index, `left` more times (-1: always)."""

    def __init__(self) -> None:
        self.left: dict[str, int] = {}
        self.calls: dict[str, int] = {}

    def indexers(self, lexicons: Lexicons) -> dict[str, Indexer]:
        real = by_collection(lexicons)
        nsid = lexicons.nsid("track")
        track = real[nsid]

        async def flaky(
            db: Any, lex: Lexicons, artist: Any, record: IndexedRecord, url: str
        ) -> object:
            title = str(record.value.get("title"))
            self.calls[title] = self.calls.get(title, 0) + 1
            if self.left.get(title, 0):
                self.left[title] -= 1
                raise RuntimeError(f"injected failure indexing {title}")
            return await track.index(db, lex, artist, record, url)

        return {**real, nsid: Indexer("track", flaky, track.remove)}


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    injected = Faults()
    monkeypatch.setattr(firehose, "by_collection", injected.indexers)
    return injected


@asynccontextmanager
async def following(app: FastAPI, net: AtprotoNet) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(
        firehose.ingest(app.state.runtime, net.pds_ws, stop, first_cursor=0, **FAST)
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def titles(api: AsyncClient, did: str) -> set[str]:
    page = (await api.get("/tracks/", params={"artist_did": did})).json()
    return {t["title"] for t in page["tracks"]}


async def test_a_commit_that_fails_once_is_indexed(
    pds_app: FastAPI, api: AsyncClient, atproto_net: AtprotoNet, faults: Faults
) -> None:
    faults.left["Flaky"] = 1
    artist = create_account(atproto_net, unique_handle("flo"))
    async with following(pds_app, atproto_net):
        put_track(atproto_net, artist, "Flaky", audioUrl="https://music.example/f.mp3")

        async def indexed() -> bool:
            return "Flaky" in await titles(api, artist.did)

        await poll(indexed)
    assert faults.calls["Flaky"] == 2


async def test_a_commit_that_keeps_failing_is_kept_and_retried_later(
    pds_app: FastAPI, api: AsyncClient, atproto_net: AtprotoNet, faults: Faults
) -> None:
    faults.left["Stubborn"] = -1
    artist = create_account(atproto_net, unique_handle("stu"))
    runtime = pds_app.state.runtime
    async with following(pds_app, atproto_net):
        rkey = put_track(atproto_net, artist, "Stubborn", audioUrl="https://music.example/s.mp3")
        put_track(atproto_net, artist, "After", audioUrl="https://music.example/a.mp3")

        async def after_indexed() -> bool:
            return "After" in await titles(api, artist.did)

        await poll(after_indexed)
    assert await titles(api, artist.did) == {"After"}
    async with runtime.sessionmaker() as db:
        # the replay from cursor 0 also brings other tests' records: this artist's only
        waiting = PendingWrite.done.is_(False), PendingWrite.did == artist.did
        kept = (await db.scalars(select(PendingWrite).where(*waiting))).all()
    assert [(w.kind, w.did, w.payload) for w in kept] == [
        (outbox.Kind.FIREHOSE_COMMIT, artist.did, {"paths": [f"fm.plyr.track/{rkey}"]})
    ]

    faults.left.clear()  # whatever failed is over: housekeeping's next sweep indexes it
    assert await outbox.drain(runtime, did=artist.did, due_now=True) == 0
    assert await titles(api, artist.did) == {"Stubborn", "After"}


async def test_the_cursor_stops_before_a_commit_that_cannot_be_kept_and_a_restart_replays_it(
    pds_app: FastAPI,
    api: AsyncClient,
    atproto_net: AtprotoNet,
    faults: Faults,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add = outbox.add

    async def no_keeping(db: Any, kind: str, *args: Any, **kwargs: Any) -> Any:
        # only keeping fails: replayed commits of other tests may add entries of their own
        # (a deleted track's likes), and those must still go through
        if kind == outbox.Kind.FIREHOSE_COMMIT:
            raise RuntimeError("injected: the database is gone")
        return await add(db, kind, *args, **kwargs)

    faults.left["Stuck"] = -1
    monkeypatch.setattr(outbox, "add", no_keeping)
    artist = create_account(atproto_net, unique_handle("sam"))
    async with following(pds_app, atproto_net):
        put_track(atproto_net, artist, "Stuck", audioUrl="https://music.example/k.mp3")
        put_track(atproto_net, artist, "Later", audioUrl="https://music.example/l.mp3")

        async def replayed_twice() -> bool:  # three tries a round: stalled, replayed, stalled
            return faults.calls.get("Stuck", 0) >= 6

        await poll(replayed_twice)
        assert await titles(api, artist.did) == set()  # nothing after it was indexed

    faults.left.clear()
    monkeypatch.undo()  # the database is back; plyr restarts from the saved cursor
    monkeypatch.setattr(firehose, "by_collection", faults.indexers)
    async with following(pds_app, atproto_net):

        async def both() -> bool:
            return await titles(api, artist.did) == {"Stuck", "Later"}

        await poll(both)
