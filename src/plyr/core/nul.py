"""NUL characters never reach the app: PostgreSQL text cannot hold one (a 500 on any write
that carries it) and no honest title, comment or name has one. The path, the query string and
small text bodies (JSON, urlencoded forms) are checked here, once, for every route; such a body
is read whole to check it, so it is capped (1 MB, else 413). Multipart bodies (uploads) pass
through untouched, streamed as they come: their text fields are checked by the form parser."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_TEXT_BODY = 1 << 20
_NO_BODY = {"GET", "HEAD", "OPTIONS"}


class RefuseNul:
    def __init__(self, app: ASGIApp, max_body: int = MAX_TEXT_BODY) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope["query_string"]):
            await _refuse(send, 400, "the address holds a NUL character")
            return
        kind = _text_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)  # no body, or one streamed (multipart)
            return
        body = await self._read(scope, receive)
        if body is None:
            await _refuse(send, 413, f"the body is larger than {self.max_body // 1024} KB")
        elif _holds_nul(kind, body):
            await _refuse(send, 400, "the body holds a NUL character")
        else:
            await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None when it is larger than allowed (not read further)."""
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.max_body:
            return None
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return bytes(body)  # disconnected: the app sees an empty body and ends
            body += message.get("body", b"")
            if len(body) > self.max_body:
                return None
            if not message.get("more_body", False):
                return bytes(body)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _text_kind(scope: Scope) -> str | None:
    """ "json" or "form" for a body read here; None for none or one passed through."""
    if scope["method"] in _NO_BODY:
        return None
    media = _header(scope, b"content-type").split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media in ("", "application/json") or media.endswith("+json"):
        return "json"  # FastAPI reads a body without a content type as JSON too
    return None


def _holds_nul(kind: str, body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if kind == "form":
        return b"\x00" in unquote_to_bytes(body)
    if b"\\u0000" not in body.lower():
        return False
    try:  # `\u0000` was seen; it may be an escaped backslash and "u0000": look at the text
        return _text_has_nul(json.loads(body))
    except (ValueError, RecursionError):
        return False  # not JSON (or too deep to read): the app answers that


def _text_has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_text_has_nul(k) or _text_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_text_has_nul(item) for item in value)
    return False


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read here, then whatever comes next (a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, status: int, detail: str) -> None:
    content = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def no_nul(value: str | None) -> str | None:
    """A field validator (`AfterValidator(no_nul)`), for text the middleware does not see."""
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value
