"""Media in a folder on this machine; the app (or nginx via X-Accel-Redirect) serves it."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path

import anyio

from plyr.core.storage.base import StorageError


class LocalStorage:
    """One folder for public and private objects: the app checks who may read each."""

    name = "local"
    separates_private = False

    def __init__(self, root: Path, *, public_url: str) -> None:
        self.root = root.resolve()
        self.base_url = public_url.rstrip("/")

    def local_path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise StorageError(f"invalid storage key: {key!r}")
        return path

    async def put_file(
        self, key: str, src: Path, content_type: str, *, private: bool = False
    ) -> None:
        await anyio.to_thread.run_sync(self._link_into_place, key, src)

    async def put_bytes(
        self, key: str, data: bytes, content_type: str, *, private: bool = False
    ) -> None:
        await anyio.to_thread.run_sync(self._write_bytes, key, data)

    async def place(self, key: str, *, private: bool) -> None:
        return None

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.local_path(key).is_file)

    async def delete(self, key: str) -> None:
        try:
            await anyio.to_thread.run_sync(self.local_path(key).unlink, True)
        except OSError as e:
            raise StorageError(f"could not delete {key}: {e}") from e

    async def read_chunks(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.local_path(key), "rb") as f:
            while chunk := await f.read(chunk_size):
                yield chunk

    async def iter_keys(
        self, prefix: str, *, older_than: datetime | None = None, page_size: int = 1000
    ) -> AsyncIterator[list[str]]:
        cutoff = older_than.timestamp() if older_than else None
        files = self._walk(prefix, cutoff)
        while page := await anyio.to_thread.run_sync(lambda: list(islice(files, page_size))):
            yield page

    def _walk(self, prefix: str, cutoff: float | None) -> Iterator[str]:
        """Keys under `prefix` (last written before `cutoff`), read lazily from the disk."""
        top = self.root / prefix.rpartition("/")[0]
        for folder, _, names in os.walk(top):
            for name in names:
                path = Path(folder) / name
                key = path.relative_to(self.root).as_posix()
                if name.startswith(".") or not key.startswith(prefix):
                    continue
                try:
                    if cutoff is None or path.stat().st_mtime < cutoff:
                        yield key
                except FileNotFoundError:
                    continue  # deleted since the folder was read

    async def list_keys(self, prefix: str = "", *, older_than: datetime | None = None) -> list[str]:
        cutoff = older_than.timestamp() if older_than else None

        def walk() -> list[str]:
            if not self.root.exists():
                return []
            files = (p for p in self.root.rglob("*") if p.is_file() and not p.name.startswith("."))
            if cutoff is not None:
                files = (p for p in files if p.stat().st_mtime < cutoff)
            keys = (p.relative_to(self.root).as_posix() for p in files)
            return sorted(k for k in keys if k.startswith(prefix))

        return await anyio.to_thread.run_sync(walk)

    def public_url(self, key: str) -> str:
        if key.startswith("audio/"):
            return f"{self.base_url}/audio/{Path(key).stem}"
        return f"{self.base_url}/media/{key}"

    async def presigned_url(self, key: str, *, filename: str | None = None) -> str | None:
        return None

    async def close(self) -> None:
        return None

    def _link_into_place(self, key: str, src: Path) -> None:
        dst = self.local_path(key)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
            if dst.exists() and os.path.samefile(src, dst):
                os.utime(dst)
                return  # stored by an earlier attempt
            tmp.unlink(missing_ok=True)
            try:
                os.link(src, tmp)  # same filesystem: no copy
            except OSError:
                shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
            # rename() between two links of one file is a no-op that leaves `tmp`
            tmp.unlink(missing_ok=True)
            # a link keeps the upload's mtime, which may be hours old after a backlog: the
            # orphan sweep judges age by mtime, so the object must look new
            os.utime(dst)
        except OSError as e:
            raise StorageError(f"could not store {key}: {e}") from e

    def _write_bytes(self, key: str, data: bytes) -> None:
        dst = self.local_path(key)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
            tmp.write_bytes(data)
            os.replace(tmp, dst)
        except OSError as e:
            raise StorageError(f"could not store {key}: {e}") from e
