"""One contract, two backends: the local folder and S3 (against a moto server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import httpx
import pytest

from plyr.core.storage import LocalStorage, Storage, StorageError
from plyr.core.storage.s3 import S3Storage


@pytest.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "local":
        backend: Storage = LocalStorage(tmp_path / "media", public_url="http://plyr.test")
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        backend = S3Storage(
            bucket=request.getfixturevalue("s3_bucket"),
            private_bucket=private_bucket(endpoint, request.getfixturevalue("s3_bucket")),
            endpoint_url=endpoint,
            region="us-east-1",
            access_key_id="test",
            secret_access_key="test",
            public_base_url="https://cdn.example/media",
        )
    yield backend
    await backend.close()


def private_bucket(endpoint: str, public: str) -> str:
    name = f"{public}-private"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=name)
    return name


async def read_all(storage: Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read_chunks(key, chunk_size=1000)])


async def test_put_file_read_and_delete(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "upload.bin"
    payload = bytes(range(256)) * 50
    src.write_bytes(payload)
    await storage.put_file("audio/abc.mp3", src, "audio/mpeg")
    assert src.read_bytes() == payload  # the caller's file is left alone
    assert await storage.exists("audio/abc.mp3")
    assert await read_all(storage, "audio/abc.mp3") == payload
    assert await storage.list_keys("audio/") == ["audio/abc.mp3"]
    await storage.delete("audio/abc.mp3")
    await storage.delete("audio/abc.mp3")  # idempotent
    assert not await storage.exists("audio/abc.mp3")
    assert await storage.list_keys() == []


async def test_put_bytes_is_idempotent(storage: Storage) -> None:
    await storage.put_bytes("images/x.png", b"one", "image/png")
    await storage.put_bytes("images/x.png", b"one", "image/png")
    assert await storage.list_keys("images/") == ["images/x.png"]


async def test_large_file_in_parts(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    with src.open("wb") as f:
        for i in range(40):
            f.write(bytes([i]) * (1 << 20))
    await storage.put_file("audio/big.flac", src, "audio/flac")
    size = 0
    async for chunk in storage.read_chunks("audio/big.flac"):
        size += len(chunk)
    assert size == 40 << 20


async def test_local_keys_cannot_escape_the_folder(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path / "media", public_url="http://plyr.test")
    with pytest.raises(StorageError):
        await local.put_bytes("../escape.txt", b"x", "text/plain")
    assert not (tmp_path / "escape.txt").exists()


async def test_s3_urls(moto_endpoint: str, s3_bucket: str) -> None:
    s3 = S3Storage(
        bucket=s3_bucket,
        private_bucket=private_bucket(moto_endpoint, s3_bucket),
        endpoint_url=moto_endpoint,
        region="us-east-1",
        access_key_id="test",
        secret_access_key="test",
        public_base_url="https://cdn.example/media",
    )
    await s3.put_bytes("audio/f.mp3", b"ID3 audio", "audio/mpeg")
    assert s3.public_url("audio/f.mp3") == "https://cdn.example/media/audio/f.mp3"
    url = await s3.presigned_url("audio/f.mp3", filename="a - b.mp3")
    assert url and "X-Amz-Signature" in url
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)
    assert fetched.status_code == 200 and fetched.content == b"ID3 audio"
    assert "attachment" in fetched.headers.get("content-disposition", "")
    await s3.close()


async def test_s3_unreachable_raises_storage_error(tmp_path: Path) -> None:
    s3 = S3Storage(
        bucket="b",
        private_bucket="p",
        endpoint_url="http://127.0.0.1:1",
        region="us-east-1",
        access_key_id="t",
        secret_access_key="t",
        public_base_url=None,
    )
    src = tmp_path / "f"
    src.write_bytes(b"x")
    with pytest.raises(StorageError):
        await s3.put_bytes("audio/f.mp3", b"x", "audio/mpeg")
    assert src.exists()
    await s3.close()


async def test_keys_listed_a_page_at_a_time(storage: Storage) -> None:
    for i in range(5):
        await storage.put_bytes(f"audio/{i}.mp3", b"x", "audio/mpeg")
    await storage.put_bytes("images/a.png", b"x", "image/png")
    pages = [page async for page in storage.iter_keys("audio/", page_size=2)]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(key for page in pages for key in page) == [f"audio/{i}.mp3" for i in range(5)]
    future = datetime.now(UTC) + timedelta(minutes=1)
    assert [
        p async for p in storage.iter_keys("audio/", older_than=future - timedelta(hours=1))
    ] == []


async def test_private_objects_are_placed_and_moved(storage: Storage, tmp_path: Path) -> None:
    """Either backend: a private object reads back like any other; `place` moves it (a no-op
    with one store) and is idempotent."""
    src = tmp_path / "a.mp3"
    src.write_bytes(b"ID3 private")
    await storage.put_file("audio/p.mp3", src, "audio/mpeg", private=True)
    await storage.put_bytes("exports/e.zip", b"PK", "application/zip", private=True)
    assert await read_all(storage, "audio/p.mp3") == b"ID3 private"
    assert await storage.list_keys() == ["audio/p.mp3", "exports/e.zip"]
    for private in (False, False, True, True):
        await storage.place("audio/p.mp3", private=private)
        assert await read_all(storage, "audio/p.mp3") == b"ID3 private"
    await storage.place("audio/missing.mp3", private=False)
    await storage.delete("audio/p.mp3")
    assert not await storage.exists("audio/p.mp3")


async def test_local_private_objects_live_outside_the_public_folder(tmp_path: Path) -> None:
    """The media folder may be published by a web server: private audio and exports are
    never in it, and a visibility change moves the file between the folders (idempotent,
    an interrupted move is finished)."""
    storage = LocalStorage(tmp_path / "media", public_url="http://plyr.test")
    public_dir, private_dir = tmp_path / "media", tmp_path / "private"
    src = tmp_path / "a.mp3"
    src.write_bytes(b"ID3 secret")
    await storage.put_file("audio/p.mp3", src, "audio/mpeg", private=True)
    await storage.put_bytes("exports/e.zip", b"PK", "application/zip", private=True)
    assert sorted(p.name for p in public_dir.rglob("*")) == []
    assert (private_dir / "audio/p.mp3").read_bytes() == b"ID3 secret"
    assert (private_dir / "exports/e.zip").read_bytes() == b"PK"
    assert not storage.is_public("audio/p.mp3")
    assert storage.local_path("audio/p.mp3") == private_dir / "audio/p.mp3"

    await storage.place("audio/p.mp3", private=False)
    assert (public_dir / "audio/p.mp3").read_bytes() == b"ID3 secret"
    assert not (private_dir / "audio/p.mp3").exists()
    assert storage.is_public("audio/p.mp3")

    # a copy that finished before a crash (both folders hold it): the next run ends it
    (private_dir / "audio/p.mp3").write_bytes(b"ID3 secret")
    await storage.place("audio/p.mp3", private=True)
    await storage.place("audio/p.mp3", private=True)
    assert not (public_dir / "audio/p.mp3").exists()
    assert await read_all(storage, "audio/p.mp3") == b"ID3 secret"
    assert [p async for p in storage.iter_keys("audio/")] == [["audio/p.mp3"]]
    await storage.delete("audio/p.mp3")
    assert not await storage.exists("audio/p.mp3")


def test_local_private_folder_may_not_be_inside_the_public_one(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        LocalStorage(tmp_path, public_url="http://x", private_root=tmp_path / "private")


def test_published_media_folder_urls(tmp_path: Path) -> None:
    plain = LocalStorage(tmp_path / "media", public_url="http://plyr.test")
    assert plain.direct_url("audio/a.mp3") is None
    published = LocalStorage(
        tmp_path / "media", public_url="http://plyr.test", media_base_url="https://m.test/media/"
    )
    assert published.direct_url("audio/a.mp3") == "https://m.test/media/audio/a.mp3"
    with pytest.raises(StorageError):
        published.direct_url("../private/audio/a.mp3")
