"""The fast path for public audio answers exactly like the route it shortcuts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.stream import files, router, service
from plyr.stream.files import OpenFiles, Unsatisfiable, parse_range, read_at
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import upload_track


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=0-0", (0, 0)),
        ("bytes=0-1,5-9", None),  # multi-range: the route's business
        ("bytes=abc", None),
        ("items=0-1", None),
    ],
)
def test_parse_range(header: str, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5-4", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


async def test_public_audio_is_served_without_the_route(
    client: AsyncClient, alice: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_audio(tmp_path / "s.mp3", "mp3", seconds=3)
    data = path.read_bytes()
    track = await upload_track(client, alice, path, title="s")
    url = f"/audio/{track['file_id']}"
    routed = await client.get(url, headers={"Range": "bytes=10-19"})  # primes the cache

    async def no_database(*args: object) -> None:
        raise AssertionError("the fast path should not reach the route")

    monkeypatch.setattr(service, "audio_access", no_database)
    fast = await client.get(url, headers={"Range": "bytes=10-19"})
    assert fast.status_code == routed.status_code == 206
    assert fast.content == routed.content == data[10:20]
    for name in (
        "content-type",
        "content-range",
        "etag",
        "cache-control",
        "accept-ranges",
        "content-length",
    ):
        assert fast.headers[name] == routed.headers[name], name
    whole = await client.get(url)
    assert whole.status_code == 200 and whole.content == data  # several 256 KiB chunks
    head = await client.head(url)
    assert head.headers["content-length"] == str(len(data)) and head.content == b""
    assert (
        await client.get(url, headers={"If-None-Match": fast.headers["etag"]})
    ).status_code == 304
    assert (await client.get(url, headers={"Range": f"bytes={len(data)}-"})).status_code == 416


async def test_published_media_redirect_without_the_route(
    app: FastAPI,
    client: AsyncClient,
    alice: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a published media folder the fast path answers public audio's 307 as the route
    does; a file not (yet) in that folder is left to the route, which sends the bytes."""
    storage = app.state.runtime.storage
    monkeypatch.setattr(storage, "media_base_url", "https://plyr.test/media")
    path = make_audio(tmp_path / "s.mp3", "mp3")
    track = await upload_track(client, alice, path, title="s")
    url = f"/audio/{track['file_id']}"
    routed = await client.get(url)  # primes the cache

    async def not_routed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast path should not reach the route")

    with monkeypatch.context() as patched:
        patched.setattr(router, "_send", not_routed)
        fast = await client.get(url, headers={"Range": "bytes=10-19"})
    assert fast.status_code == routed.status_code == 307
    published = f"https://plyr.test/media/audio/{track['file_id']}.mp3"
    assert fast.headers["location"] == routed.headers["location"] == published
    assert fast.headers["cache-control"] == routed.headers["cache-control"] == "no-store"
    await storage.place(f"audio/{track['file_id']}.mp3", private=True)  # a move under way
    unpublished = await client.get(url, headers={"Range": "bytes=10-19"})
    assert unpublished.status_code == 206 and unpublished.content == path.read_bytes()[10:20]


async def test_multi_range_falls_back_to_the_route(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="s")
    url = f"/audio/{track['file_id']}"
    await client.get(url)
    multi = await client.get(url, headers={"Range": "bytes=0-9,20-29"})
    assert multi.status_code == 206
    assert multi.headers["content-type"].startswith("multipart/byteranges")


async def test_deleted_track_stops_streaming(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="s")
    url = f"/audio/{track['file_id']}"
    assert (await client.get(url)).status_code == 200
    assert (await client.get(url)).status_code == 200  # now from the fast path
    await client.delete(f"/tracks/{track['id']}", headers=alice.auth)
    assert (await client.get(url)).status_code == 404


async def test_read_at_uses_the_page_cache_or_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "blob"
    payload = os.urandom(1 << 20)
    path.write_bytes(payload)
    fd = os.open(path, os.O_RDONLY)
    threaded = 0
    real_run_sync = files.anyio.to_thread.run_sync

    async def counting(func, *args):  # type: ignore[no-untyped-def]
        nonlocal threaded
        threaded += 1
        return await real_run_sync(func, *args)

    monkeypatch.setattr(files.anyio.to_thread, "run_sync", counting)
    try:
        assert await read_at(fd, 1000, 5000) == payload[1000:6000]
        cached_hops = threaded
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # drop the pages from the cache
        assert await read_at(fd, 500_000, 65536) == payload[500_000:565_536]
        assert await read_at(fd, len(payload) - 10, 100) == payload[-10:]
    finally:
        os.close(fd)
    if files.NOWAIT:
        assert cached_hops == 0  # served from the page cache inside the loop


async def test_open_files_expire_and_are_bounded(tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        p = tmp_path / f"f{i}"
        p.write_bytes(b"x" * (i + 1))
        paths.append(p)
    cache = OpenFiles(max_open=2, ttl_s=60)
    first = await cache.get("f0", lambda: paths[0])
    assert (await cache.get("f0", lambda: paths[0])).fd == first.fd  # reused
    await cache.get("f1", lambda: paths[1])
    await cache.get("f2", lambda: paths[2])
    with pytest.raises(OSError):
        os.fstat(first.fd)  # the least recently used was closed
    expiring = OpenFiles(ttl_s=0)
    one = await expiring.get("f1", lambda: paths[1])
    two = await expiring.get("f1", lambda: paths[1])
    assert one.fd != two.fd or one.opened != two.opened
    cache.close_all()
    expiring.close_all()
