"""A small HTTP server on 127.0.0.1 that a test scripts: it answers each (method, path) with
the JSON the test put in `routes`, and keeps what it was asked. It stands in for a server
only a hostile user would run (a PDS, an authorization server, a PLC answering for them)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Answer = tuple[int, Any]
Handler = Callable[[Request], Awaitable[Answer]]


class JsonServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Answer | Handler] = {}
        self.requests: list[str] = []  # "METHOD /path"
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    def on(self, method: str, path: str, answer: Answer | Handler) -> None:
        self.routes[(method, path)] = answer

    def asked(self, path: str) -> int:
        return sum(1 for r in self.requests if r.split(" ", 1)[1] == path)

    async def _answer(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.url.path}")
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return JSONResponse({"error": "NotFound", "message": "no such route"}, 404)
        status, body = answer if isinstance(answer, tuple) else await answer(request)
        return JSONResponse(body, status_code=status)

    async def __aenter__(self) -> JsonServer:
        self._task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            await asyncio.sleep(0.01)  # polling for the server to start
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
        self.sock.close()
