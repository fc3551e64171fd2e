"""Streaming multipart/form-data: files go straight to disk, hashed on the way, in constant
memory, and a part that passes its size limit stops the upload at once with 413."""

from __future__ import annotations

import hashlib
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from plyr.core.errors import BadRequest, TooLarge, UnsupportedMedia

FLUSH_BYTES = 1 << 20
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 32


@dataclass
class ReceivedFile:
    field: str
    filename: str
    path: Path
    size: int = 0
    sha256: str = ""


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, ReceivedFile] = field(default_factory=dict)


def safe_filename(name: str) -> str:
    """The last path component of a client-sent filename, without control characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if c.isprintable()).strip().strip(".")
    return name[:255]


def _megabytes(n: int) -> str:
    return f"{n / (1 << 20):g} MB"


class _FormReceiver:
    """Holds the parser's state between callbacks; file bytes are written in a thread."""

    def __init__(self, dest: Path, file_limits: dict[str, int]) -> None:
        self.dest = dest
        self.file_limits = file_limits
        self.form = ReceivedForm()
        self.parts = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._name = ""
        self._file: ReceivedFile | None = None
        self._handle: IO[bytes] | None = None
        self._hash: Any = None
        self._value = bytearray()
        self.pending = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise BadRequest(f"too many form fields (at most {MAX_PARTS})")
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).decode("latin-1").lower()] = bytes(
            self._header_value
        )
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition"))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            self._file, self._value = None, bytearray()
            return
        if self._name not in self.file_limits:
            raise BadRequest(f"unexpected file field '{self._name}'")
        if self._name in self.form.files:
            raise BadRequest(f"field '{self._name}' was sent twice")
        filename = safe_filename(options[b"filename"].decode("utf-8", "replace"))
        self._file = ReceivedFile(self._name, filename, self.dest / f"part-{self.parts}")
        self._handle = self._file.path.open("wb")
        self._hash = hashlib.sha256()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None:
            if len(self._value) + end - start > MAX_FIELD_BYTES:
                raise TooLarge(f"field '{self._name}' is too long")
            self._value.extend(data[start:end])
            return
        self._file.size += end - start
        limit = self.file_limits[self._name]
        if self._file.size > limit:
            raise TooLarge(f"'{self._name}' is too large: the limit is {_megabytes(limit)}")
        self.pending.extend(data[start:end])

    def _part_end(self) -> None:
        if self._file is None:
            value = self._value.decode("utf-8", "replace")
            if "\x00" in value:  # PostgreSQL text cannot hold one (see plyr.core.nul)
                raise BadRequest(f"field '{self._name}' holds a NUL character")
            self.form.fields[self._name] = value
            return
        self.flush()
        assert self._handle is not None
        self._handle.close()
        self._file.sha256 = self._hash.hexdigest()
        self.form.files[self._name] = self._file
        self._file, self._handle = None, None

    def flush(self) -> None:
        """Blocking: write buffered file bytes (called in a worker thread)."""
        if self.pending and self._handle is not None:
            self._hash.update(self.pending)
            self._handle.write(self.pending)
        self.pending.clear()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


async def receive_form(
    request: Request, dest: Path, *, file_limits: dict[str, int]
) -> ReceivedForm:
    """Parse the request body into `dest` (created here; the caller removes it)."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type == b"application/x-www-form-urlencoded":
        return ReceivedForm(fields=await _urlencoded_fields(request))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMedia("send the form as multipart/form-data")
    declared = request.headers.get("content-length")
    allowance = sum(file_limits.values()) + MAX_PARTS * MAX_FIELD_BYTES
    if declared and declared.isdigit() and int(declared) > allowance:
        limits = ", ".join(f"{k} {_megabytes(v)}" for k, v in file_limits.items())
        raise TooLarge(f"upload is too large (limits: {limits})")

    await anyio.Path(dest).mkdir(parents=True, exist_ok=True)
    receiver = _FormReceiver(dest, file_limits)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if len(receiver.pending) >= FLUSH_BYTES:
                await anyio.to_thread.run_sync(receiver.flush)
        parser.finalize()
    except ClientDisconnect as e:
        raise BadRequest("the upload was interrupted") from e
    except (BadRequest, TooLarge):
        raise
    except Exception as e:  # the parser's own errors: a malformed body
        raise BadRequest(f"malformed multipart body: {e}") from e
    finally:
        receiver.close()
    return receiver.form


async def _urlencoded_fields(request: Request) -> dict[str, str]:
    """A form without files; small by nature, so it is read whole (within a bound)."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_PARTS * MAX_FIELD_BYTES:
            raise TooLarge("form is too large")
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
