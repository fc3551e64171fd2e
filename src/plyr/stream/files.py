"""Reading audio files without blocking the event loop, and without a thread hop when the
bytes are already in the page cache (`preadv` with RWF_NOWAIT); open descriptors are reused."""

from __future__ import annotations

import errno
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio

NOWAIT = getattr(os, "RWF_NOWAIT", 0)
FD_TTL_SECONDS = 30.0
MAX_OPEN_FILES = 256


@dataclass
class OpenFile:
    fd: int
    size: int
    mtime: float
    opened: float


class OpenFiles:
    """An LRU of open descriptors with expiry, so a deleted file's space is soon released."""

    def __init__(self, max_open: int = MAX_OPEN_FILES, ttl_s: float = FD_TTL_SECONDS) -> None:
        self.max_open = max_open
        self.ttl_s = ttl_s
        self._files: OrderedDict[str, OpenFile] = OrderedDict()

    async def get(self, key: str, locate: Callable[[], Path]) -> OpenFile:
        """The open file for `key`; `locate` finds its path when it must be (re)opened."""
        entry = self._files.get(key)
        now = time.monotonic()
        if entry is not None and now - entry.opened < self.ttl_s:
            self._files.move_to_end(key)
            return entry
        if entry is not None:
            self._close(key)
        entry = await anyio.to_thread.run_sync(_open, locate(), now)
        self._files[key] = entry
        while len(self._files) > self.max_open:
            self._close(next(iter(self._files)))
        return entry

    def _close(self, key: str) -> None:
        entry = self._files.pop(key)
        os.close(entry.fd)

    def forget_audio(self, file_ids: frozenset[str]) -> None:
        """Close the files of this audio now (deleted: its disk space is released; hidden:
        nothing keeps serving it)."""
        for key in [k for k in self._files if Path(k).stem in file_ids]:
            self._close(key)

    def close_all(self) -> None:
        for path in list(self._files):
            self._close(path)


def _open(path: Path, now: float) -> OpenFile:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    stat = os.fstat(fd)
    return OpenFile(fd=fd, size=stat.st_size, mtime=stat.st_mtime, opened=now)


# One scratch buffer: a page-cache read is copied out before the next await, so requests
# never share it (and a fresh 64 KiB allocation per request costs more than the read).
_scratch = bytearray(256 * 1024)


async def read_at(fd: int, offset: int, length: int) -> bytes:
    """`length` bytes at `offset` (fewer at end of file): in the loop when cached, else a thread."""
    global _scratch
    if NOWAIT:
        if len(_scratch) < length:
            _scratch = bytearray(length)
        view = memoryview(_scratch)[:length]
        try:
            count = os.preadv(fd, [view], offset, NOWAIT)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EOPNOTSUPP, errno.EINVAL):
                raise
        else:
            head = bytes(view[:count])
            if count == length or count == 0 or offset + count >= os.fstat(fd).st_size:
                return head
            # partly cached: fetch the rest from disk
            rest = await anyio.to_thread.run_sync(os.pread, fd, length - count, offset + count)
            return head + rest
    return await anyio.to_thread.run_sync(os.pread, fd, length, offset)


class Unsatisfiable(ValueError):
    """The range lies outside the file (answered with 416)."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=` range as (start, end inclusive); None for forms left to the general
    handler (multi-range, malformed). Raises Unsatisfiable past the end of the file."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if not first:  # a suffix: the last N bytes
            count = int(last)
            if count <= 0:
                raise Unsatisfiable(header)
            return max(0, size - count), size - 1
        start, end = int(first), int(last) if last else size - 1
    except ValueError as e:
        if isinstance(e, Unsatisfiable):
            raise
        return None
    if start >= size or start > end:
        raise Unsatisfiable(header)
    return start, min(end, size - 1)
