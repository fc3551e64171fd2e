"""The storage contract. Keys are content-addressed, so every write is idempotent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable


class StorageError(Exception):
    """A storage backend failed (disk full, S3 unreachable, ...)."""


def audio_key(file_id: str, ext: str) -> str:
    return f"audio/{file_id}.{ext}"


def image_key(image_id: str, ext: str) -> str:
    return f"images/{image_id}.{ext}"


def thumbnail_key(image_id: str) -> str:
    return f"images/{image_id}_thumb.webp"


@runtime_checkable
class Storage(Protocol):
    """Objects are public (fetched by anyone from `public_url`, e.g. through a CDN) or
    private (only through the app or a presigned URL). A backend with one store for both
    (local) gates private objects in the app; S3 keeps them in a bucket of their own. Reads
    find an object in either store."""

    name: str
    # True when private objects live apart from public ones (and `place` moves them)
    separates_private: bool

    async def put_file(
        self, key: str, src: Path, content_type: str, *, private: bool = False
    ) -> None:
        """Store a copy of the file at `src` under `key` (`src` stays; the caller removes it).
        The object counts as written now (its age guards it from the orphan sweep)."""

    async def put_bytes(
        self, key: str, data: bytes, content_type: str, *, private: bool = False
    ) -> None: ...

    async def place(self, key: str, *, private: bool) -> None:
        """Move the object into the private or the public store. Idempotent: re-running an
        interrupted move finishes it; a missing object is not an error."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Delete `key` from every store; deleting a missing key is not an error."""

    async def read_chunks(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Stream the object's bytes (downloads, exports) in constant memory."""
        yield b""  # pragma: no cover

    async def list_keys(self, prefix: str = "", *, older_than: datetime | None = None) -> list[str]:
        """Keys under `prefix`, optionally only those last written before `older_than`."""

    def iter_keys(
        self, prefix: str, *, older_than: datetime | None = None, page_size: int = 1000
    ) -> AsyncIterator[list[str]]:
        """`list_keys` a page at a time (at most `page_size` keys each, not sorted), for
        sweeps over stores too big to list at once."""

    def local_path(self, key: str) -> Path | None:
        """The file on this machine's disk, when the backend has one (local only)."""

    def public_url(self, key: str) -> str:
        """The URL browsers fetch public objects from (the app itself, or the CDN)."""

    async def presigned_url(self, key: str, *, filename: str | None = None) -> str | None:
        """A short-lived URL for the object wherever it is, or None when the app must serve
        it."""

    async def close(self) -> None: ...
