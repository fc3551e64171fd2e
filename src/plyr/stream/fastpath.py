"""A lean ASGI path for the hottest request: a byte range of a public audio file.

Public files need no session, so once the runtime's cache knows a file is public, plyr
answers here without routing, dependencies or a database query, reading through
`stream.files`; with a published media folder it answers the 307 to it here too.
Everything else (private files, multi-range, conditional ranges, S3, X-Accel mode, a cache
miss) goes to the regular route, which stays the reference."""

from __future__ import annotations

import re
from email.utils import formatdate

from starlette.types import Scope, Send

from plyr.core.runtime import Runtime
from plyr.core.storage import LocalStorage
from plyr.stream.files import OpenFile, OpenFiles, Unsatisfiable, parse_range, read_at
from plyr.stream.service import AudioAccess

AUDIO_PATH = re.compile(r"^/audio/([0-9a-f]{16})$")
CHUNK = 256 * 1024
IMMUTABLE = b"public, max-age=31536000, immutable"


class PublicAudioFastPath:
    """Called by the app before its middleware and routing (see `plyr.app.PlyrApp`)."""

    def __init__(self) -> None:
        self.files = OpenFiles()

    async def serve(self, runtime: Runtime, scope: Scope, send: Send) -> bool:
        """Answer the request and return True, or return False to let the app answer it."""
        found = self._public_file(runtime, scope)
        if found is None:
            return False
        access, storage = found
        published = storage.direct_url(access.key) if storage.media_base_url else None
        if published is not None:
            if not storage.is_public(access.key):
                return False  # still moving into the published folder: the route serves it
            location = (b"location", published.encode())
            await _respond(send, 307, [location, (b"cache-control", b"no-store")])
            return True
        if runtime.settings.accel_redirect_prefix:
            return False
        headers = dict(scope["headers"])
        if b"if-range" in headers:
            return False
        try:
            opened = await self.files.get(access.key, lambda: storage.local_path(access.key))
        except FileNotFoundError:
            return False
        response_headers = _entity_headers(access, opened)
        if _etag(access) in _etags(headers.get(b"if-none-match", b"")):
            await _respond(send, 304, response_headers)
            return True
        wanted = headers.get(b"range")
        try:
            span = parse_range(wanted.decode("latin-1"), opened.size) if wanted else None
        except Unsatisfiable:
            await _respond(send, 416, [(b"content-range", f"bytes */{opened.size}".encode())])
            return True
        if wanted and span is None:
            return False
        await self._send_file(scope, send, opened, response_headers, span)
        return True

    def _public_file(
        self, runtime: Runtime, scope: Scope
    ) -> tuple[AudioAccess, LocalStorage] | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        match = AUDIO_PATH.match(scope["path"])
        if match is None:
            return None
        access: AudioAccess | None = runtime.public_audio.get(match.group(1))
        if access is None or access.is_remote:
            return None
        storage = runtime.storage
        return (access, storage) if isinstance(storage, LocalStorage) else None

    async def _send_file(
        self,
        scope: Scope,
        send: Send,
        opened: OpenFile,
        headers: list[tuple[bytes, bytes]],
        span: tuple[int, int] | None,
    ) -> None:
        start, end = span if span is not None else (0, opened.size - 1)
        if span is not None:
            headers.append((b"content-range", f"bytes {start}-{end}/{opened.size}".encode()))
        length = max(0, end - start + 1)
        headers.append((b"content-length", str(length).encode()))
        status = 206 if span is not None else 200
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        await self._send_body(send, opened.fd, start, length)

    async def _send_body(self, send: Send, fd: int, start: int, length: int) -> None:
        offset, remaining = start, length
        while remaining > 0:
            chunk = await read_at(fd, offset, min(CHUNK, remaining))
            if not chunk:
                break
            offset += len(chunk)
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0 or length == 0:
            await send({"type": "http.response.body", "body": b""})


def _entity_headers(access: AudioAccess, opened: OpenFile) -> list[tuple[bytes, bytes]]:
    """What describes the file itself."""
    return [
        (b"content-type", access.content_type.encode()),
        (b"accept-ranges", b"bytes"),
        (b"etag", _etag(access)),
        (b"cache-control", IMMUTABLE),
        (b"last-modified", formatdate(opened.mtime, usegmt=True).encode()),
    ]


def _etag(access: AudioAccess) -> bytes:
    return f'"{access.file_id}"'.encode()


def _etags(header: bytes) -> list[bytes]:
    return [tag.strip() for tag in header.split(b",")]


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    """A response without a body (304, 416)."""
    headers = [*headers, (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
