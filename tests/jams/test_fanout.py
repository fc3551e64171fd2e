"""The ordered log of a jam, on both backends: appends in revision order only, replay after
an id (None once trimmed or unknown), live delivery to subscribers — across processes on
Redis, where a process reads only the streams of jams with local subscribers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from plyr.core.config import Settings
from plyr.jams.fanout import JamEvent, JamLog, LogConflict, MemoryJamLog, create_jam_log, jam_log
from plyr.jams.log import Inbox, SubscriberLagged
from plyr.jams.redis_log import RedisJamLog
from tests.app import running_app
from tests.helpers import poll

MakeLog = Callable[..., JamLog]


@pytest.fixture
async def make_redis_log(redis_url: str) -> AsyncIterator[Callable[..., RedisJamLog]]:
    """A maker of Redis logs, each another process's view of the same streams (one key
    prefix per test, deleted afterwards)."""
    made: list[RedisJamLog] = []
    prefix = f"test:{uuid.uuid4().hex[:10]}:"

    def make(maxlen: int = 1000, block_ms: int = 5000) -> RedisJamLog:
        made.append(RedisJamLog(redis_url, prefix=prefix, maxlen=maxlen, block_ms=block_ms))
        return made[-1]

    yield make
    cleaner = RedisJamLog(redis_url)
    keys = [key async for key in cleaner.redis.scan_iter(f"{prefix}*")]
    if keys:
        await cleaner.redis.delete(*keys)
    await cleaner.close()
    for log in made:
        await log.close()


@pytest.fixture(params=["memory", "redis"])
def make_log(request: pytest.FixtureRequest) -> MakeLog:
    """A maker of logs on either backend."""
    if request.param == "redis":
        maker: MakeLog = request.getfixturevalue("make_redis_log")
        return maker
    return lambda maxlen=1000, **_: MemoryJamLog(maxlen=maxlen)


def state(revision: int) -> dict[str, Any]:
    return {"type": "state", "revision": revision, "state": {"progress_ms": revision}}


async def next_event(events: AsyncIterator[JamEvent], timeout: float = 5) -> JamEvent:
    return await asyncio.wait_for(anext(events), timeout)


async def test_replay_after_an_id(make_log: MakeLog) -> None:
    log = make_log()
    ids = [await log.append(7, revision, state(revision)) for revision in (1, 2, 3)]
    assert len(set(ids)) == 3
    replay = await log.since(7, ids[0])
    assert replay is not None
    assert [e.stream_id for e in replay] == ids[1:]
    assert [e.data for e in replay] == [state(2), state(3)]
    assert await log.since(7, ids[2]) == []  # up to date: nothing missed


async def test_unknown_ids_ask_for_a_snapshot(make_log: MakeLog) -> None:
    log = make_log()
    first = await log.append(7, 1, state(1))
    assert await log.since(8, first) is None  # another jam's id
    assert await log.since(7, "not-an-id") is None
    assert await log.since(7, "0-0") is None
    assert await log.since(7, "99-1") is None  # from the future
    assert await log.since(7, "") is None


async def test_a_trimmed_id_asks_for_a_snapshot(make_log: MakeLog) -> None:
    # Redis trims whole nodes of its stream (~100 entries): append well past the limit
    log = make_log(maxlen=10)
    ids = [await log.append(7, revision, state(revision)) for revision in range(1, 400)]
    assert await log.since(7, ids[0]) is None
    recent = await log.since(7, ids[-4])
    assert recent is not None
    assert [e.data["revision"] for e in recent] == [397, 398, 399]


async def test_revisions_only_go_up(make_log: MakeLog) -> None:
    log = make_log()
    await log.append(7, 5, state(5))
    for stale in (5, 4, 0):
        with pytest.raises(LogConflict):
            await log.append(7, stale, state(stale))
    await log.append(7, 6, state(6))
    await log.append(8, 1, state(1))  # each jam its own order
    replay = await log.since(7, "5-1")
    assert replay is not None
    assert [e.data["revision"] for e in replay] == [6]


async def test_subscribers_get_what_is_appended_after_subscribing(make_log: MakeLog) -> None:
    log = make_log()
    await log.append(7, 1, state(1))
    async with log.subscribe(7) as first, log.subscribe(7) as second:
        await log.append(7, 2, state(2))
        await log.append(8, 1, state(1))  # another jam: not delivered
        await log.append(7, 3, state(3))
        for events in (first, second):
            got = [(await next_event(events)).data["revision"] for _ in range(2)]
            assert got == [2, 3]
    async with log.subscribe(7) as late:
        await log.append(7, 4, state(4))
        assert (await next_event(late)).data == state(4)


async def test_order_is_kept_under_a_burst(make_log: MakeLog) -> None:
    log = make_log()
    async with log.subscribe(7) as events:
        for revision in range(1, 301):
            await log.append(7, revision, state(revision))
        got = [(await next_event(events)).data["revision"] for _ in range(300)]
    assert got == list(range(1, 301))


async def test_the_memory_log_is_the_default() -> None:
    assert isinstance(create_jam_log(None), MemoryJamLog)


async def test_one_log_per_process_closed_with_it(settings: Settings) -> None:
    async with running_app(settings, with_worker=False) as app:
        runtime = app.state.runtime
        log = jam_log(runtime)
        assert jam_log(runtime) is log
        assert isinstance(log, MemoryJamLog)
        assert log.close in runtime.on_close


async def test_a_stalled_subscriber_is_told_to_resync() -> None:
    inbox = Inbox(limit=3)
    for revision in range(1, 6):
        inbox.push(JamEvent(f"{revision}-1", state(revision)))
    events = inbox.events()
    assert [(await anext(events)).data["revision"] for _ in range(3)] == [1, 2, 3]
    with pytest.raises(SubscriberLagged):
        await anext(events)


# --- Redis: several processes -------------------------------------------------------------


async def test_a_command_through_one_process_reaches_another(
    make_redis_log: Callable[..., RedisJamLog],
) -> None:
    a, b = make_redis_log(), make_redis_log()
    async with a.subscribe(7) as on_a:
        await b.append(7, 1, state(1))
        await a.append(7, 2, state(2))
        with pytest.raises(LogConflict):  # one order for every process
            await b.append(7, 2, state(2))
        assert [(await next_event(on_a)).data["revision"] for _ in range(2)] == [1, 2]
    assert [e.data["revision"] for e in await b.since(7, "1-1") or []] == [2]


async def test_a_new_jam_is_read_without_waiting_out_the_block(
    make_redis_log: Callable[..., RedisJamLog],
) -> None:
    log, other = make_redis_log(block_ms=60_000), make_redis_log()
    async with log.subscribe(1) as first:
        await other.append(1, 1, state(1))
        await next_event(first)  # the reader is now blocked on jam 1 for a minute
        async with log.subscribe(2) as second:
            await other.append(2, 1, state(1))
            assert (await next_event(second, timeout=2)).data == state(1)


async def test_a_process_reads_only_jams_with_local_subscribers(
    make_redis_log: Callable[..., RedisJamLog],
) -> None:
    log, other = make_redis_log(block_ms=200), make_redis_log()
    read: list[set[str]] = []
    xread = log.redis.xread

    async def spy(streams: dict[str, str], **kwargs: Any) -> Any:
        read.append({key.rsplit(":", 1)[-1] for key in streams if ":log:" in key})
        return await xread(streams, **kwargs)

    log.redis.xread = spy  # type: ignore[method-assign]
    async with log.subscribe(1) as events:
        await other.append(1, 1, state(1))
        await other.append(2, 1, state(1))
        await next_event(events)
        assert read and all(jams == {"1"} for jams in read)
    read.clear()
    await poll(lambda: len(read) >= 2, what="the reader to go round again")
    assert read[-1] == set()
