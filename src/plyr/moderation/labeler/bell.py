"""A process-local signal that this labeler's labels changed: issue() rings it after its
transaction commits, and each subscribeLabels socket wakes and reads what is new. Sockets
also re-read on a short timer, which covers labels issued by another process."""

from __future__ import annotations

import asyncio
import contextlib

from plyr.core.runtime import Runtime

KEY = "labeler.bell"


class Bell:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()
        self._event = asyncio.Event()  # the next waiters wait for the next ring

    async def wait(self, timeout_s: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout_s)


def bell(runtime: Runtime) -> Bell:
    found = runtime.process_state.get(KEY)
    if not isinstance(found, Bell):
        found = runtime.process_state[KEY] = Bell()
    return found
