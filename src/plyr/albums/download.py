"""An album as a ZIP built while it is sent: each file is read from storage in chunks and
passed through (deflate level 0: stored blocks, no real compression of audio that would not
compress anyway), so memory stays constant whatever the album's size."""

from __future__ import annotations

import re
import stat
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from stream_zip import ZIP_AUTO, AsyncMemberFile, async_stream_zip

from plyr.core.storage import Storage

CHUNK = 1 << 20
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@dataclass(frozen=True)
class Member:
    name: str  # the file's name in the archive
    key: str  # where its bytes are in storage
    size: int
    modified_at: datetime


def safe_name(text: str, limit: int = 120) -> str:
    """A file name any system accepts: no separators or control characters."""
    cleaned = " ".join(_UNSAFE.sub("-", text).split()).strip(" .-")
    return cleaned[:limit].rstrip(" .") or "untitled"


def member_name(position: int, title: str, ext: str) -> str:
    return f"{position:02d} {safe_name(title)}.{ext}"


def attachment(filename: str) -> str:
    """`Content-Disposition` for a download named `filename` (UTF-8 kept, ASCII fallback)."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


async def zip_stream(storage: Storage, members: Sequence[Member]) -> AsyncIterator[bytes]:
    """The archive's bytes, in order; a member is read only when its turn comes."""

    async def files() -> AsyncIterator[AsyncMemberFile]:
        for member in members:
            yield (
                member.name,
                member.modified_at,
                stat.S_IFREG | 0o644,
                ZIP_AUTO(member.size, level=0),
                storage.read_chunks(member.key, CHUNK),
            )

    async for chunk in async_stream_zip(files()):
        yield chunk
