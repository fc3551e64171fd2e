"""Media in folders on this machine; the app or nginx (X-Accel-Redirect, or a static
location for public audio) serves it."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from itertools import chain, islice
from pathlib import Path

import anyio

from plyr.core.storage.base import StorageError


class LocalStorage:
    """Public objects in `root` (the folder a web server may publish), private ones (audio
    not playable by link, exports) in `private_root`, a folder beside it and never inside:
    publishing `root` can then never leak them. The app checks who may read each."""

    name = "local"
    separates_private = True

    def __init__(
        self,
        root: Path,
        *,
        public_url: str,
        private_root: Path | None = None,
        media_base_url: str | None = None,
    ) -> None:
        self.root = root.resolve()
        self.private_root = (private_root or root.parent / "private").resolve()
        if self.private_root.is_relative_to(self.root) or self.root.is_relative_to(
            self.private_root
        ):
            raise StorageError("the private media folder must not share a tree with the public")
        self.base_url = public_url.rstrip("/")
        # where a web server publishes `root` (e.g. https://plyr.example/media), if it does
        self.media_base_url = media_base_url.rstrip("/") if media_base_url else None

    def _path(self, key: str, *, private: bool) -> Path:
        root = self.private_root if private else self.root
        path = (root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise StorageError(f"invalid storage key: {key!r}")
        return path

    def local_path(self, key: str) -> Path:
        """Where the object is: the private copy when there is one, else the public path
        (which may not exist)."""
        private = self._path(key, private=True)
        return private if private.is_file() else self._path(key, private=False)

    def is_public(self, key: str) -> bool:
        """Stored in the public folder (so a web server publishing it may send it)."""
        return self._path(key, private=False).is_file()

    def direct_url(self, key: str) -> str | None:
        """The URL of a public object in the published folder, when one is configured."""
        if self.media_base_url is None:
            return None
        self._path(key, private=False)  # a valid key
        return f"{self.media_base_url}/{key}"

    async def put_file(
        self, key: str, src: Path, content_type: str, *, private: bool = False
    ) -> None:
        await anyio.to_thread.run_sync(self._link_into_place, key, src, private)

    async def put_bytes(
        self, key: str, data: bytes, content_type: str, *, private: bool = False
    ) -> None:
        await anyio.to_thread.run_sync(self._write_bytes, key, data, private)

    async def place(self, key: str, *, private: bool) -> None:
        await anyio.to_thread.run_sync(self._move, key, private)

    def _move(self, key: str, private: bool) -> None:
        """Rename into the other folder (one filesystem: atomic), or copy and then remove
        the source; re-running an interrupted move finishes it."""
        src, dst = self._path(key, private=not private), self._path(key, private=private)
        try:
            if not src.exists():
                return  # already there, or deleted
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.exists():  # a copy finished before a crash: keys name their content
                src.unlink(missing_ok=True)
                return
            try:
                os.rename(src, dst)
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
                tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
                shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
                src.unlink(missing_ok=True)
        except FileNotFoundError:
            return  # deleted meanwhile
        except OSError as e:
            raise StorageError(f"could not move {key}: {e}") from e

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.local_path(key).is_file)

    async def delete(self, key: str) -> None:
        def unlink_both() -> None:
            for private in (False, True):
                self._path(key, private=private).unlink(missing_ok=True)

        try:
            await anyio.to_thread.run_sync(unlink_both)
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
        files = chain(
            self._walk(self.root, prefix, cutoff), self._walk(self.private_root, prefix, cutoff)
        )
        while page := await anyio.to_thread.run_sync(lambda: list(islice(files, page_size))):
            yield page

    @staticmethod
    def _walk(root: Path, prefix: str, cutoff: float | None) -> Iterator[str]:
        """Keys under `prefix` in `root` (last written before `cutoff`), read lazily."""
        top = root / prefix.rpartition("/")[0]
        for folder, _, names in os.walk(top):
            for name in names:
                path = Path(folder) / name
                key = path.relative_to(root).as_posix()
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
            keys = chain(
                self._walk(self.root, prefix, cutoff), self._walk(self.private_root, prefix, cutoff)
            )
            return sorted(set(keys))

        return await anyio.to_thread.run_sync(walk)

    def public_url(self, key: str) -> str:
        if key.startswith("audio/"):
            return f"{self.base_url}/audio/{Path(key).stem}"
        return f"{self.base_url}/media/{key}"

    async def presigned_url(self, key: str, *, filename: str | None = None) -> str | None:
        return None

    async def close(self) -> None:
        return None

    def _link_into_place(self, key: str, src: Path, private: bool) -> None:
        dst = self._path(key, private=private)
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

    def _write_bytes(self, key: str, data: bytes, private: bool) -> None:
        dst = self._path(key, private=private)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
            tmp.write_bytes(data)
            os.replace(tmp, dst)
        except OSError as e:
            raise StorageError(f"could not store {key}: {e}") from e
