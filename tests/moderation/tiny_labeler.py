"""A tiny AT Protocol labeler on 127.0.0.1 for tests: a did:web document at
`/.well-known/did.json` (host `localhost:<port>`) and a subscribeLabels socket that replays
from the client's cursor, then sends what the test publishes. It can drop every connection
(to test reconnects) and publish a label with a forged signature."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from typing import Any

import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from plyr.models import Label
from plyr.moderation.labeler import identity, wire
from tests.helpers import poll


class TinyLabeler:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://localhost:{port}"
        self.did = f"did:web:localhost%3A{port}"
        key = ec.generate_private_key(ec.SECP256K1())
        self.labeler = identity.Labeler(did=self.did, key=key, endpoint=self.url)
        self.labels: list[Label] = []
        self.cursors: list[int | None] = []  # the cursor each connection asked for
        self._sockets: set[WebSocket] = set()
        self._published = asyncio.Condition()
        self._closing = False
        self.publish_key = True  # False: the document names no #atproto_label key
        app = Starlette(
            routes=[
                Route("/.well-known/did.json", self._document),
                WebSocketRoute("/xrpc/com.atproto.label.subscribeLabels", self._subscribe),
            ]
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    async def publish(self, uri: str, val: str, *, neg: bool = False, forged: bool = False) -> int:
        cts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        label = Label(seq=len(self.labels) + 1, src=self.did, uri=uri, val=val, neg=neg, cts=cts)
        label.sig = self.labeler.sign(wire.signing_bytes(label))
        if forged:  # signed, then changed: the signature no longer matches
            label.val = "porn" if val != "porn" else "sexual"
        self.labels.append(label)
        async with self._published:
            self._published.notify_all()
        return label.seq

    async def drop_connections(self) -> None:
        for websocket in list(self._sockets):
            self._sockets.discard(websocket)
            await websocket.close(1011)
        async with self._published:
            self._published.notify_all()

    async def _document(self, request: Request) -> JSONResponse:
        document = self.labeler.did_document()
        if not self.publish_key:
            document["verificationMethod"] = []
        return JSONResponse(document)

    async def _subscribe(self, websocket: WebSocket) -> None:
        raw = websocket.query_params.get("cursor")
        cursor = int(raw) if raw is not None else None
        self.cursors.append(cursor)
        await websocket.accept()
        self._sockets.add(websocket)
        sent = len(self.labels) if cursor is None else cursor
        try:
            while not self._closing and websocket in self._sockets:
                for label in self.labels[sent:]:
                    await websocket.send_bytes(wire.labels_frame(label.seq, [label]))
                    sent = label.seq
                async with self._published:
                    await self._published.wait()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self._sockets.discard(websocket)

    async def __aenter__(self) -> TinyLabeler:
        self._task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        await poll(lambda: self.server.started, timeout=15, what="the labeler to start")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self._closing = True
        async with self._published:
            self._published.notify_all()
        if self._task is not None:
            await self._task
        self.sock.close()
