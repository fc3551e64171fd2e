"""Fan-out: one ordered log per jam, and this process's subscribers to it.

With REDIS_URL the log is a Redis Stream per jam (`plyr.jams.redis_log`), which every
process reads and appends to; without it, an in-process log with the same behaviour (one
`plyr serve` process). Either way a socket replays what it missed from the log on
reconnect, or gets a snapshot when the log no longer holds its last id."""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from plyr.core.runtime import Runtime
from plyr.jams.log import (
    Inbox,
    JamEvent,
    JamLog,
    LogConflict,
    SubscriberLagged,
    revision_of,
    stream_id_of,
)
from plyr.jams.redis_log import RedisJamLog

__all__ = [
    "JamEvent",
    "JamLog",
    "LogConflict",
    "MemoryJamLog",
    "SubscriberLagged",
    "create_jam_log",
    "jam_log",
]

MAXLEN = 1000  # events kept per jam: a reconnect further behind gets a snapshot


class MemoryJamLog:
    """The log in this process: the last MAXLEN events of each of the last `max_jams` jams
    that changed (a jam idle long enough to fall out gets snapshots, which is all a log
    could give it anyway)."""

    def __init__(self, maxlen: int = MAXLEN, max_jams: int = 10_000) -> None:
        self.maxlen = maxlen
        self.max_jams = max_jams
        self._logs: OrderedDict[int, deque[tuple[int, JamEvent]]] = OrderedDict()
        self._last: dict[int, int] = {}  # jam -> the last revision appended
        self._inboxes: defaultdict[int, set[Inbox]] = defaultdict(set)

    async def append(self, jam_id: int, revision: int, data: dict[str, Any]) -> str:
        last = self._last.get(jam_id)
        if last is not None and revision <= last:
            raise LogConflict(f"jam {jam_id}: revision {revision} after {last}")
        event = JamEvent(stream_id_of(revision), data)
        log = self._logs.get(jam_id)
        if log is None:
            log = self._logs[jam_id] = deque(maxlen=self.maxlen)
            self._forget_oldest()
        self._logs.move_to_end(jam_id)
        log.append((revision, event))
        self._last[jam_id] = revision
        for inbox in self._inboxes.get(jam_id, ()):
            inbox.push(event)
        return event.stream_id

    def _forget_oldest(self) -> None:
        while len(self._logs) > self.max_jams:
            jam_id, _ = self._logs.popitem(last=False)
            self._last.pop(jam_id, None)

    async def since(self, jam_id: int, last_id: str) -> list[JamEvent] | None:
        revision = revision_of(last_id)
        log = self._logs.get(jam_id)
        if revision is None or not log:
            return None
        # newest first: a reconnect has usually missed only the last few events
        for index in range(len(log) - 1, -1, -1):
            if log[index][0] == revision:
                return [event for _, event in list(log)[index + 1 :]]
            if log[index][0] < revision:
                break
        return None  # trimmed, or never in this log

    @asynccontextmanager
    async def subscribe(self, jam_id: int) -> AsyncIterator[AsyncIterator[JamEvent]]:
        inbox = Inbox()
        self._inboxes[jam_id].add(inbox)
        try:
            yield inbox.events()
        finally:
            self._inboxes[jam_id].discard(inbox)
            if not self._inboxes[jam_id]:
                del self._inboxes[jam_id]

    async def close(self) -> None:
        self._logs.clear()
        self._last.clear()


def create_jam_log(redis_url: str | None, *, prefix: str = "plyr:jams:") -> JamLog:
    """A Redis Streams log when `redis_url` is set (keys under `prefix`), else in-process."""
    return RedisJamLog(redis_url, prefix=prefix, maxlen=MAXLEN) if redis_url else MemoryJamLog()


KEY = "jams.log"


def jam_log(runtime: Runtime) -> JamLog:
    """This process's log, made on first use and closed with the runtime. Its Redis keys
    live under the queue name, which tells apart the instances sharing one Redis."""
    log: JamLog | None = runtime.process_state.get(KEY)
    if log is None:
        settings = runtime.settings
        log = create_jam_log(settings.redis_url, prefix=f"{settings.queue_name}:jams:")
        runtime.process_state[KEY] = log
        runtime.on_close.append(log.close)
    return log
