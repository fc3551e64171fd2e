"""`/jams/{code}/ws`: who is connecting (the session cookie from one of our pages, or a
Bearer token) and to which jam; then the socket speaks the protocol (`plyr.jams.socket`).

The socket is accepted before it is checked, so that a refusal arrives as a close code
the client can read (4001 no session, 4002 bad Origin, 4003 not a participant, 4004 no
such jam, 4009 full) rather than as a bare failed handshake."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket

from plyr.auth import service as auth_service
from plyr.auth.dependencies import SESSION_COOKIE
from plyr.core.runtime import Runtime
from plyr.jams import service
from plyr.jams import socket as protocol
from plyr.jams.hub import hub
from plyr.jams.socket import BAD_ORIGIN, ENDS_SOCKET, FULL, NO_SESSION, Close, JamSocket, closing

router = APIRouter(tags=["jams"])


@router.websocket("/jams/{code}/ws")
async def jam_socket(websocket: WebSocket, code: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        did = await authenticate(websocket, runtime)
        jam_id = await jam_of(runtime, code, did)
        if hub(runtime).count(jam_id) >= protocol.MAX_CLIENTS:
            raise Close(FULL, "the jam is full")
    except Close as refused:
        with contextlib.suppress(Exception):
            await websocket.close(refused.code, refused.reason)
        return
    await JamSocket(websocket, runtime, code, did, jam_id).run()


async def authenticate(websocket: WebSocket, runtime: Runtime) -> str:
    """The DID of the session. A cookie must come with our own Origin: another site's page
    could otherwise open a socket with the visitor's cookie (cross-site WebSocket hijacking)."""
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    if not token:
        token = websocket.cookies.get(SESSION_COOKIE, "")
        if token and _origin(websocket.headers.get("origin", "")) != _origin(
            runtime.settings.public_url
        ):
            raise Close(BAD_ORIGIN, "Origin must be this instance")
    if not token:
        raise Close(NO_SESSION, "sign in required")
    async with runtime.sessionmaker() as db:
        found = await auth_service.resolve(db, token)
    if found is None:
        raise Close(NO_SESSION, "invalid or expired session")
    return found[1].did


async def jam_of(runtime: Runtime, code: str, did: str) -> int:
    """The jam's id, if it is live and `did` is in it."""
    try:
        async with runtime.sessionmaker() as db:
            jam = await service.snapshot(db, code, did)
    except ENDS_SOCKET as e:
        raise closing(e) from e
    return jam.id


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
