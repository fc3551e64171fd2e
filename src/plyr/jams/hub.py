"""This process's jam sockets, by jam: how many a jam has here, and the older socket of a
client that synced again (it is closed with 4010 at once; one in another process learns it
at its next presence refresh)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any, Protocol

from plyr.core.runtime import Runtime

log = logging.getLogger(__name__)

REPLACED = 4010


class Socket(Protocol):
    jam_id: int
    client_id: str | None

    def stop(self, code: int) -> None: ...


class Hub:
    def __init__(self) -> None:
        self._sockets: defaultdict[int, set[Socket]] = defaultdict(set)
        self._later: set[asyncio.Task[None]] = set()

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after its socket is gone (held here, so it is not collected midway)."""
        task = asyncio.create_task(work)
        self._later.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._later.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("jam socket follow-up failed", exc_info=task.exception())

    def count(self, jam_id: int) -> int:
        return len(self._sockets.get(jam_id, ()))

    def add(self, socket: Socket) -> None:
        self._sockets[socket.jam_id].add(socket)

    def remove(self, socket: Socket) -> None:
        sockets = self._sockets.get(socket.jam_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[socket.jam_id]

    def replace(self, newer: Socket) -> None:
        """`newer` synced as its client: any other socket of that client here is closed."""
        for socket in list(self._sockets.get(newer.jam_id, ())):
            if socket is not newer and socket.client_id == newer.client_id:
                socket.stop(REPLACED)


KEY = "jams.hub"


def hub(runtime: Runtime) -> Hub:
    found: Hub | None = runtime.process_state.get(KEY)
    if found is None:
        found = runtime.process_state[KEY] = Hub()
    return found
