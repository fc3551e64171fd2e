"""One `com.atproto.label.subscribeLabels` socket: the replay from the client's cursor, then
each new label as it is issued, one `#labels` frame per label (its seq is the label's)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect

from plyr.core.runtime import Runtime
from plyr.moderation.labeler import repository, wire
from plyr.moderation.labeler.bell import bell

log = logging.getLogger(__name__)

BATCH = 200  # labels read per query while replaying
RECHECK_S = 1.0  # labels issued by another process are seen within this long
# A public, unauthenticated socket that queries the database each second: past this many in
# one process, a new one is turned away with 1013 ("try again later").
MAX_SOCKETS = 200
TRY_LATER = 1013
OPEN_KEY = "labeler.open_sockets"


class LabelStream:
    def __init__(self, websocket: WebSocket, runtime: Runtime, cursor: int | None) -> None:
        self.websocket, self.runtime, self.cursor = websocket, runtime, cursor

    async def run(self) -> None:
        state = self.runtime.process_state
        if state.get(OPEN_KEY, 0) >= MAX_SOCKETS:
            await self.websocket.close(TRY_LATER, "too many subscribers; try again later")
            return
        state[OPEN_KEY] = state.get(OPEN_KEY, 0) + 1
        try:
            await self._stream()
        finally:
            state[OPEN_KEY] -= 1

    async def _stream(self) -> None:
        async with self.runtime.sessionmaker() as db:
            last = await repository.last_own_seq(db)
        if self.cursor is not None and self.cursor > last:
            await self.websocket.send_bytes(
                wire.error_frame("FutureCursor", "the cursor is ahead of the stream")
            )
            await self.websocket.close(1008)
            return
        seq = last if self.cursor is None else self.cursor
        reader = asyncio.create_task(self._until_closed())
        try:
            while not reader.done():
                seq = await self._send_after(seq)
                waiting = asyncio.create_task(bell(self.runtime).wait(RECHECK_S))
                await asyncio.wait({waiting, reader}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went away mid-send
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _send_after(self, seq: int) -> int:
        """Send every label after `seq`; the last seq sent."""
        while True:
            async with self.runtime.sessionmaker() as db:
                labels = await repository.own_after(db, seq, BATCH)
            for label in labels:
                await self.websocket.send_bytes(wire.labels_frame(label.seq, [label]))
                seq = label.seq
            if len(labels) < BATCH:
                return seq

    async def _until_closed(self) -> None:
        """Read (and ignore) what the client sends, until it disconnects."""
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
