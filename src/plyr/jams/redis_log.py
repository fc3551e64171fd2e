"""The jam log on Redis Streams: one stream per jam (`XADD … MAXLEN ~ 1000`), shared by
every process; replay with XRANGE; one reader task per process.

The reader blocks in one XREAD on the streams of the jams that have subscribers in this
process, and hands what arrives to their inboxes. A jam subscribed while it is blocked is
added by waking it: an XADD to this process's own wake stream, which that XREAD also
watches (so there is no window in which a wake-up is lost)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from plyr.jams.log import Inbox, JamEvent, LogConflict, revision_of, stream_id_of

log = logging.getLogger(__name__)

LOG_TTL_S = 24 * 3600  # a jam's stream outlives its last change by a day, then goes
WAKE_TTL_S = 3600  # a process's wake stream, should the process die without closing
RETRY_S = 0.5  # after Redis failed under the reader

Entry = tuple[str, dict[str, str]]  # a stream entry: its id and fields


@dataclass
class _LocalJam:
    """A jam with subscribers here: the last stream id the reader has handed them."""

    inboxes: set[Inbox] = field(default_factory=set)
    position: str | None = None  # None until the first subscriber has read it
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _order(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


class RedisJamLog:
    def __init__(
        self, url: str, *, prefix: str = "plyr:jams:", maxlen: int = 1000, block_ms: int = 5000
    ) -> None:
        self.redis: Redis = Redis.from_url(url, decode_responses=True)
        self.prefix = prefix
        self.maxlen = maxlen
        self.block_ms = block_ms  # the reader's longest wait (a safety net: wakes are prompt)
        self._wake_key = f"{prefix}wake:{uuid.uuid4().hex}"
        self._wake_id = "0-0"
        self._locals: dict[int, _LocalJam] = {}
        self._reader: asyncio.Task[None] | None = None

    def _key(self, jam_id: int) -> str:
        return f"{self.prefix}log:{jam_id}"

    async def append(self, jam_id: int, revision: int, data: dict[str, Any]) -> str:
        key, stream_id = self._key(jam_id), stream_id_of(revision)
        async with self.redis.pipeline(transaction=True) as pipe:
            # the explicit id makes Redis itself refuse a revision at or below the last one
            pipe.xadd(key, {"d": json.dumps(data)}, id=stream_id, maxlen=self.maxlen)
            pipe.expire(key, LOG_TTL_S)
            added, _ = await pipe.execute(raise_on_error=False)
        if isinstance(added, ResponseError):
            if "equal or smaller" in str(added):
                raise LogConflict(f"jam {jam_id}: revision {revision} is not above the last")
            raise added
        return stream_id

    async def since(self, jam_id: int, last_id: str) -> list[JamEvent] | None:
        if revision_of(last_id) is None:
            return None
        # from last_id itself: finding it proves nothing after it was trimmed away
        entries = cast(
            "list[Entry]",
            await self.redis.xrange(
                self._key(jam_id), min=last_id, max="+", count=2 * self.maxlen + 1
            ),
        )
        if not entries or entries[0][0] != last_id:
            return None
        return [_event(stream_id, fields) for stream_id, fields in entries[1:]]

    @asynccontextmanager
    async def subscribe(self, jam_id: int) -> AsyncIterator[AsyncIterator[JamEvent]]:
        inbox = Inbox()
        local = self._locals.setdefault(jam_id, _LocalJam())
        local.inboxes.add(inbox)
        try:
            await self._start_reading(jam_id, local)
            yield inbox.events()
        finally:
            local.inboxes.discard(inbox)
            if not local.inboxes and self._locals.get(jam_id) is local:
                del self._locals[jam_id]

    async def _start_reading(self, jam_id: int, local: _LocalJam) -> None:
        """Fix where the reader starts on this jam (its stream's end now) and wake it."""
        async with local.lock:
            if local.position is not None:
                return
            newest = cast("list[Entry]", await self.redis.xrevrange(self._key(jam_id), count=1))
            local.position = newest[0][0] if newest else "0-0"
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_forever(), name="jam-log-reader")
        else:
            await self._wake()

    async def _wake(self) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(self._wake_key, {"w": "1"}, maxlen=1, approximate=False)
            pipe.expire(self._wake_key, WAKE_TTL_S)
            await pipe.execute()

    async def _read_forever(self) -> None:
        while True:
            streams: dict[Any, Any] = {
                self._key(jam_id): local.position
                for jam_id, local in self._locals.items()
                if local.position is not None
            }
            streams[self._wake_key] = self._wake_id
            try:
                replies = cast(
                    "list[tuple[str, list[Entry]]] | None",
                    await self.redis.xread(streams, count=100, block=self.block_ms),
                )
            except (RedisError, OSError) as e:
                log.warning("jam log reader: %s; retrying", e)
                await asyncio.sleep(RETRY_S)
                continue
            for key, entries in replies or ():
                if key == self._wake_key:
                    self._wake_id = entries[-1][0]
                else:
                    self._deliver(int(key.rsplit(":", 1)[1]), entries)

    def _deliver(self, jam_id: int, entries: list[Entry]) -> None:
        local = self._locals.get(jam_id)
        if local is None or local.position is None:
            return  # its last subscriber left while the reader waited
        for stream_id, fields in entries:
            # a jam subscribed anew during the read starts later than what was asked for
            if _order(stream_id) <= _order(local.position):
                continue
            local.position = stream_id
            event = _event(stream_id, fields)
            for inbox in local.inboxes:
                inbox.push(event)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(RedisError, OSError):
            await self.redis.delete(self._wake_key)
        await self.redis.aclose()


def _event(stream_id: str, fields: dict[str, str]) -> JamEvent:
    return JamEvent(stream_id, json.loads(fields["d"]))
