"""An album downloads as a ZIP of its tracks' files, in album order, built while it is sent
(never whole in memory), honouring the artist's download policy."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from httpx import AsyncClient

from plyr.albums.download import Member, zip_stream
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import new_album, upload_tone, upload_track


async def test_the_zip_has_the_originals_in_album_order(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]], tmp_path: Path
) -> None:
    lossless = make_audio(tmp_path / "hall.aiff", "aiff", seconds=1, frequency=520)
    hall = await upload_track(client, alice, lossless, title="Hall / Echo")
    secret = await upload_tone(client, alice, tmp_path, "Secret", 905, visibility="private")
    album = await new_album(client, alice, "Whole Day")
    order = [songs[2]["id"], hall["id"], secret["id"], songs[0]["id"]]
    await client.put(f"/albums/{album['id']}/tracks", json={"track_ids": order}, headers=alice.auth)

    async with client.stream("GET", "/albums/alice.test/whole-day/download") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        assert "content-length" not in response.headers  # streamed as it is built
        assert "Whole Day.zip" in response.headers["content-disposition"]
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == ["01 Night.mp3", "02 Hall - Echo.aiff", "03 Morning.mp3"]  # no private
    assert archive.read(names[1]) == lossless.read_bytes()  # the original, not the mp3

    own = await client.get("/albums/alice.test/whole-day/download", headers=alice.auth)
    assert len(zipfile.ZipFile(io.BytesIO(own.content)).namelist()) == 4  # hers, all of them

    await client.post("/preferences", json={"download_policy": "closed"}, headers=alice.auth)
    refused = await client.get("/albums/alice.test/whole-day/download", headers=bob.auth)
    assert refused.status_code == 403 and "download" in refused.json()["detail"]
    assert (
        await client.get("/albums/alice.test/whole-day/download", headers=alice.auth)
    ).status_code == 200


async def test_nothing_to_download(client: AsyncClient, alice: User) -> None:
    await new_album(client, alice, "Empty")
    assert (await client.get("/albums/alice.test/empty/download")).status_code == 404
    assert (await client.get("/albums/alice.test/none/download")).status_code == 404


class CountingStorage:
    """Storage that serves made-up files in 1 MiB chunks and notes what has been read."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        self.read: list[str] = []

    async def read_chunks(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        self.read.append(key)
        left = self.sizes[key]
        while left:
            n = min(chunk_size, left)
            left -= n
            yield bytes([len(self.read)]) * n


async def test_the_zip_is_streamed_not_built_in_memory() -> None:
    mib = 1 << 20
    sizes = {"audio/a.mp3": 3 * mib, "audio/b.mp3": 3 * mib, "audio/c.mp3": 3 * mib}
    storage = CountingStorage(sizes)
    now = datetime.now(UTC)
    members = [Member(f"{i}.mp3", key, sizes[key], now) for i, key in enumerate(sizes, 1)]
    chunks: list[bytes] = []
    read_when_first_mib_was_out: list[str] = []
    async for chunk in zip_stream(storage, members):  # type: ignore[arg-type]
        chunks.append(chunk)
        if not read_when_first_mib_was_out and sum(map(len, chunks)) > mib:
            read_when_first_mib_was_out = list(storage.read)
    assert read_when_first_mib_was_out == ["audio/a.mp3"]  # the others not yet touched
    assert storage.read == list(sizes)
    largest = max(map(len, chunks))
    assert largest <= 2 * mib  # never more than about a chunk at a time
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert [i.file_size for i in archive.infolist()] == [3 * mib] * 3
    assert archive.read("2.mp3") == bytes([2]) * (3 * mib)
