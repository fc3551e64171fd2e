"""One jam WebSocket, once it is authenticated: the protocol of the spec (sync with replay
or snapshot, commands, ping), the jam's events forwarded from its log, its limits (idle,
messages per second) and its claim on the client id (`plyr.jams.presence`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from fastapi.encoders import jsonable_encoder
from starlette.websockets import WebSocket

from plyr.core.runtime import Runtime
from plyr.jams import service
from plyr.jams.fanout import JamEvent, SubscriberLagged, jam_log
from plyr.jams.hub import hub
from plyr.jams.log import revision_of, stream_id_of
from plyr.jams.presence import TTL_S, Claim, presence

log = logging.getLogger(__name__)

# close codes (the spec's); 1013 "try again later": fell behind the log, resync
NO_SESSION, BAD_ORIGIN, NOT_PARTICIPANT, NO_JAM, IDLE, FULL, REPLACED = (
    4001,
    4002,
    4003,
    4004,
    4008,
    4009,
    4010,
)
LAGGED = 1013

IDLE_S = 300.0  # no message from the client for this long closes the socket
MESSAGES_PER_S = 20  # more, on one socket, are dropped with an error
MAX_CLIENTS = 50  # connected clients per jam, over every process
REFRESH_S = TTL_S / 3  # how often a socket's process renews its presence claim
# A client away for less than this (a reload, a network blip, a move to another process)
# keeps the output device: the music does not move or pause for everyone each time.
GRACE_S = 3.0
SERVER_RESTART = 1012  # the server is going away: its clients will come back elsewhere
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class Close(Exception):
    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def closing(error: Exception) -> Close:
    """The close a service error means for a socket."""
    if isinstance(error, service.NotParticipant):
        return Close(NOT_PARTICIPANT, "not a participant")
    return Close(NO_JAM, "no such jam, or it ended")


ENDS_SOCKET = (service.NotParticipant, service.JamNotFound, service.JamEnded)


class JamSocket:
    def __init__(self, ws: WebSocket, runtime: Runtime, code: str, did: str, jam_id: int):
        self.ws, self.runtime = ws, runtime
        self.code, self.did, self.jam_id = code, did, jam_id
        self.token = uuid.uuid4().hex  # tells this socket's presence claim from a newer one's
        self.client_id: str | None = None
        self.last_revision = -1  # the newest revision the client has been sent
        self._send_lock = asyncio.Lock()
        self._stop: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._tasks: list[asyncio.Task[None]] = []
        self._exit = AsyncExitStack()
        self._recent: deque[float] = deque(maxlen=MESSAGES_PER_S)
        self._warned_at = 0.0
        self._server_going_away = False

    def stop(self, code: int) -> None:
        """End the socket with `code` (from another task, or another socket)."""
        if not self._stop.done():
            self._stop.set_result(code)

    async def run(self) -> None:
        hub(self.runtime).add(self)
        try:
            code = await self._serve()
            if code is not None:
                with contextlib.suppress(Exception):  # the client may be gone already
                    await self.ws.close(code)
        finally:
            await self._leave()

    async def _serve(self) -> int | None:
        """Handle messages until the client leaves (None) or the socket must close (a code)."""
        while True:
            receiving: asyncio.Future[Any] = asyncio.ensure_future(self.ws.receive())
            done, _ = await asyncio.wait(
                (receiving, self._stop), timeout=IDLE_S, return_when=asyncio.FIRST_COMPLETED
            )
            if receiving not in done:
                receiving.cancel()
                return self._stop.result() if self._stop.done() else IDLE
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                self._server_going_away = message.get("code") == SERVER_RESTART
                return None
            try:
                await self._handle(message.get("text"))
            except Close as close:
                return close.code

    async def _handle(self, text: str | None) -> None:
        if not self._within_rate():
            await self._warn_rate()
            return
        try:
            message = json.loads(text) if text is not None else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.error("a message is a JSON object")
            return
        kind = message.get("type")
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "sync":
            await self._sync(message)
        elif kind == "command":
            await self._command(message.get("payload"))
        else:
            await self.error(f"unknown message type: {str(kind)[:40]}")

    def _within_rate(self) -> bool:
        now = time.monotonic()
        if len(self._recent) == MESSAGES_PER_S and now - self._recent[0] < 1.0:
            return False
        self._recent.append(now)
        return True

    async def _warn_rate(self) -> None:
        """Once a second at most: the warning must not become a flood of its own."""
        now = time.monotonic()
        if now - self._warned_at >= 1.0:
            self._warned_at = now
            await self.error(f"too many messages: at most {MESSAGES_PER_S} a second")

    # --- sync -----------------------------------------------------------------------------

    async def _sync(self, message: dict[str, Any]) -> None:
        client_id, last_id = message.get("client_id"), message.get("last_id")
        if self.client_id is not None:
            await self.error("this socket is synced already")
            return
        if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
            await self.error("sync needs a client_id (1-64 letters, digits, _ . : -)")
            return
        seen = presence(self.runtime)
        connected = await seen.connected(self.jam_id)
        if client_id not in connected and len(connected) >= MAX_CLIENTS:
            raise Close(FULL, "the jam is full")
        self.client_id = client_id
        await seen.claim(self.jam_id, Claim(client_id, self.did), self.token)
        hub(self.runtime).replace(self)
        # subscribed before reading the replay or snapshot: nothing falls in between
        events = await self._exit.enter_async_context(jam_log(self.runtime).subscribe(self.jam_id))
        await self._send_initial(last_id if isinstance(last_id, str) else None)
        self._tasks.append(asyncio.create_task(self._forward(events)))
        self._tasks.append(asyncio.create_task(self._keep_presence()))
        try:
            async with self.runtime.writer() as db:
                await service.client_connected(db, self.runtime, self.code, self.did, client_id)
        except ENDS_SOCKET as e:
            raise closing(e) from e

    async def _send_initial(self, last_id: str | None) -> None:
        replay = await jam_log(self.runtime).since(self.jam_id, last_id) if last_id else None
        if replay is not None and last_id is not None:
            self.last_revision = revision_of(last_id) or -1
            for event in replay:
                await self._forward_one(event)
            return
        try:
            async with self.runtime.sessionmaker() as db:
                jam = jsonable_encoder(await service.snapshot(db, self.code, self.did))
        except ENDS_SOCKET as e:
            raise closing(e) from e
        await self.send(snapshot_message(jam))
        self.last_revision = jam["revision"]

    # --- events ---------------------------------------------------------------------------

    async def _forward(self, events: AsyncIterator[JamEvent]) -> None:
        try:
            async for event in events:
                await self._forward_one(event)
        except SubscriberLagged:
            self.stop(LAGGED)

    async def _forward_one(self, event: JamEvent) -> None:
        data = event.data
        revision = data.get("revision")
        if isinstance(revision, int):
            if revision <= self.last_revision:
                return  # sent already (in the replay or snapshot)
            self.last_revision = revision
        await self.send({**data, "stream_id": event.stream_id})
        if data.get("type") == "participant" and data.get("event") == "left":
            if data.get("did") == self.did:
                self.stop(NOT_PARTICIPANT)
        elif data.get("type") == "ended":
            self.stop(NO_JAM)

    # --- commands -------------------------------------------------------------------------

    async def _command(self, payload: Any) -> None:
        if self.client_id is None:
            await self.error("send sync first")
            return
        if not isinstance(payload, dict):
            await self.error("a command has a payload object")
            return
        try:
            async with self.runtime.writer() as db:
                await service.run_command(
                    db, self.runtime, self.code, self.did, payload, self.client_id
                )
        except service.CommandRejected as e:
            await self.error(str(e))
        except ENDS_SOCKET as e:
            raise closing(e) from e
        except Exception:  # a fault of ours: the socket goes on, the client is told
            log.exception("jam %s: command failed", self.code)
            await self.error("the command failed; try again")
        # the new state reaches every socket, this one too, through the log

    # --- presence -------------------------------------------------------------------------

    async def _keep_presence(self) -> None:
        seen, claim = presence(self.runtime), Claim(self.client_id or "", self.did)
        while True:
            await asyncio.sleep(REFRESH_S)
            try:
                if not await seen.refresh(self.jam_id, claim, self.token):
                    self.stop(REPLACED)  # a newer socket of this client, in another process
                    return
                for gone in await seen.sweep(self.jam_id):
                    await self._disconnected(gone)
            except Exception:  # Redis away for a moment: the next round tries again
                log.exception("jam %s: presence refresh failed", self.jam_id)

    async def _leave(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._exit.aclose()
        hub(self.runtime).remove(self)
        if self.client_id is None or self._server_going_away:
            # a process shutting down keeps its clients' claims: they expire (and are swept
            # by another process) unless the clients come back on another process first
            return
        try:
            if await presence(self.runtime).release(self.jam_id, self.client_id, self.token):
                claim = Claim(self.client_id, self.did)
                hub(self.runtime).later(self._disconnected_unless_back(claim))
        except Exception:
            log.exception("jam %s: leaving failed", self.jam_id)

    async def _disconnected_unless_back(self, claim: Claim) -> None:
        await asyncio.sleep(GRACE_S)
        if claim.client_id not in await presence(self.runtime).connected(self.jam_id):
            await self._disconnected(claim)

    async def _disconnected(self, claim: Claim) -> None:
        """A client is gone (not replaced by a newer socket): the output may move."""
        still = await presence(self.runtime).connected(self.jam_id)
        with contextlib.suppress(*ENDS_SOCKET):
            async with self.runtime.writer() as db:
                await service.client_disconnected(
                    db, self.runtime, self.code, claim.did, claim.client_id, still
                )

    # --- sending --------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:  # the forwarder and the handler both send
            try:
                await self.ws.send_text(json.dumps(message))
            except Exception:  # the client went away: its receive ends the socket
                self.stop(1000)

    async def error(self, message: str) -> None:
        await self.send({"type": "error", "message": message})


def snapshot_message(jam: dict[str, Any]) -> dict[str, Any]:
    """The whole jam, as a `state` message (so a client needs no other handling), with the
    jam object itself for what a state does not carry (participants, host, name)."""
    return {
        "type": "state",
        "stream_id": stream_id_of(jam["revision"]),
        "revision": jam["revision"],
        "state": jam["state"],
        "tracks_changed": True,
        "tracks": jam.get("tracks") or [],
        "actor": None,
        "snapshot": True,
        "jam": jam,
    }
