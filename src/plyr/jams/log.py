"""The ordered log of a jam, as both of its backends (`plyr.jams.fanout`) see it: an event,
the log's contract, and the inbox of one local subscriber."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

# Every event carries the jam's revision, and its stream id is made of it: `<revision>-1`
# (a Redis Stream id; `-1` because Redis refuses the id 0-0). Ids are therefore ordered as
# the revisions are, equal in every process and backend, and the same revision can never be
# appended twice.
STREAM_ID = re.compile(r"(\d{1,18})-1")


def stream_id_of(revision: int) -> str:
    return f"{revision}-1"


def revision_of(stream_id: str) -> int | None:
    """The revision an id names; None for anything a client made up."""
    match = STREAM_ID.fullmatch(stream_id)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class JamEvent:
    stream_id: str  # opaque, ordered per jam; clients echo it as `last_id`
    data: dict[str, Any]  # the server→client message ({type: "state"|"participant", ...})


class LogConflict(Exception):
    """An append whose revision is not above the log's last."""


class SubscriberLagged(Exception):
    """A subscriber fell so far behind that its inbox overflowed: it must resync (replay
    from its last id, or a snapshot) rather than hold an ever-growing backlog in memory."""


class JamLog(Protocol):
    async def append(self, jam_id: int, revision: int, data: dict[str, Any]) -> str:
        """Append in revision order; LogConflict if `revision` is not above the last one."""

    async def since(self, jam_id: int, last_id: str) -> list[JamEvent] | None:
        """The events after `last_id`; None when it is older than what the log retains
        (trimmed) or unknown: the caller sends a snapshot instead."""

    def subscribe(self, jam_id: int) -> AbstractAsyncContextManager[AsyncIterator[JamEvent]]:
        """The events appended after subscribing, from any process. A process reads only
        the logs of jams with at least one local subscriber."""

    async def close(self) -> None: ...


INBOX_LIMIT = 1000


class Inbox:
    """The events waiting for one local subscriber. Bounded: a consumer that stops reading
    (a stalled socket) ends with SubscriberLagged instead of growing without limit."""

    def __init__(self, limit: int = INBOX_LIMIT) -> None:
        self.limit = limit
        self._events: deque[JamEvent] = deque()
        self._ready = asyncio.Event()
        self.lagged = False

    def push(self, event: JamEvent) -> None:
        if len(self._events) >= self.limit:
            self.lagged = True
        else:
            self._events.append(event)
        self._ready.set()

    async def events(self) -> AsyncIterator[JamEvent]:
        while True:
            while self._events:
                yield self._events.popleft()
            if self.lagged:
                raise SubscriberLagged("the subscriber fell behind its jam's log")
            self._ready.clear()
            await self._ready.wait()
