"""Bad input and faults: each gets a clear 4xx or a failed job, and leaves nothing behind."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.core.config import Settings
from plyr.core.storage import StorageError
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import media_files, post_upload, row_counts, temp_files, wait_job


async def assert_nothing_left(app: FastAPI, settings: Settings) -> None:
    assert media_files(settings) == []
    assert temp_files(settings) == []
    assert await row_counts(app) == {"tracks": 0, "audio_files": 0}


@pytest.mark.parametrize(
    ("name", "content", "status", "says"),
    [
        ("empty.mp3", b"", 400, "empty"),
        ("noise.mp3", bytes(range(256)) * 400, 415, "flac"),  # names the accepted formats
        ("notes.wav", b"these are not the sounds you are looking for\n" * 100, 415, "flac"),
    ],
    ids=["zero-byte file", "random bytes named .mp3", "text file named .wav"],
)
async def test_a_file_that_is_not_audio_is_refused(
    client: AsyncClient,
    alice: User,
    tmp_path: Path,
    app: FastAPI,
    settings: Settings,
    name: str,
    content: bytes,
    status: int,
    says: str,
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    response = await post_upload(client, alice, bad)
    assert response.status_code == status
    assert says in response.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_truncated_flac_fails_the_job(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    whole = make_audio(tmp_path / "whole.flac", "flac", seconds=20.0)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    response = await post_upload(client, alice, cut)
    assert response.status_code == 202
    job = await wait_job(client, alice, response.json()["upload_id"])
    assert job["status"] == "failed"
    assert "truncated" in job["error"]
    await assert_nothing_left(app, settings)


async def test_one_byte_over_the_limit(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    settings.max_upload_mb = 1
    big = tmp_path / "big.wav"
    big.write_bytes(make_audio(tmp_path / "x.wav", "wav", seconds=8).read_bytes()[: (1 << 20) + 1])
    response = await post_upload(client, alice, big)
    assert response.status_code == 413
    assert "1 MB" in response.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_exactly_at_the_limit_is_accepted(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    settings.max_upload_mb = 1
    wav = make_audio(tmp_path / "x.wav", "wav", seconds=8)
    exact = tmp_path / "exact.wav"
    exact.write_bytes(wav.read_bytes()[: 1 << 20])
    response = await post_upload(client, alice, exact)
    assert response.status_code == 202


async def test_title_of_257_characters(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    response = await post_upload(
        client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="x" * 257
    )
    assert response.status_code == 422
    assert "title" in response.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_missing_title_and_missing_file(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    no_title = await client.post(
        "/tracks/",
        headers=alice.auth,
        files={"file": ("s.mp3", make_audio(tmp_path / "s.mp3", "mp3").read_bytes())},
    )
    assert no_title.status_code == 422 and "title" in no_title.json()["detail"]
    no_file = await client.post(
        "/tracks/",
        headers=alice.auth,
        data={"title": "x"},
        files={"image": ("a.png", b"", "image/png")},
    )
    assert no_file.status_code == 422 and "file" in no_file.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_eleven_tags(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    response = await post_upload(
        client, alice, make_audio(tmp_path / "s.mp3", "mp3"), tags=[f"tag{i}" for i in range(11)]
    )
    assert response.status_code == 422
    assert "at most 10 tags" in response.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_tags_that_are_not_json(client: AsyncClient, alice: User, tmp_path: Path) -> None:
    response = await post_upload(
        client, alice, make_audio(tmp_path / "s.mp3", "mp3"), tags="ambient, live"
    )
    assert response.status_code == 422
    assert "JSON list" in response.json()["detail"]


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a huge canvas."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


async def test_decompression_bomb_image(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    response = await post_upload(
        client,
        alice,
        make_audio(tmp_path / "s.mp3", "mp3"),
        image=("bomb.png", png_bomb(), "image/png"),
    )
    assert response.status_code in (400, 413)
    assert "pixels" in response.json()["detail"] or "large" in response.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_images_over_25_megapixels_are_refused(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    """Covers are decoded in the web process: 30 MP (under Pillow's own bomb limit) is a
    4xx before any pixel is decoded, on upload and on edit."""
    big = png_bomb(6_000, 5_000)
    response = await post_upload(
        client, alice, make_audio(tmp_path / "s.mp3", "mp3"), image=("big.png", big, "image/png")
    )
    assert response.status_code == 400 and "25 megapixels" in response.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_image_that_is_not_an_image(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    response = await post_upload(
        client,
        alice,
        make_audio(tmp_path / "s.mp3", "mp3"),
        image=("cover.jpg", b"not an image at all", "image/jpeg"),
    )
    assert response.status_code in (400, 415)
    await assert_nothing_left(app, settings)


async def test_album_and_album_id_together(
    client: AsyncClient, alice: User, tmp_path: Path, app: FastAPI, settings: Settings
) -> None:
    response = await post_upload(
        client, alice, make_audio(tmp_path / "s.mp3", "mp3"), album="LP", album_id=1
    )
    assert response.status_code == 400
    assert "not both" in response.json()["detail"]
    await assert_nothing_left(app, settings)


async def test_album_id_of_another_artist(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    from tests.helpers import upload_track

    bobs = await upload_track(client, bob, make_audio(tmp_path / "b.mp3", "mp3"), album="Bob's LP")
    response = await post_upload(
        client,
        alice,
        make_audio(tmp_path / "a.mp3", "mp3", seconds=1),
        album_id=bobs["album"]["id"],
    )
    assert response.status_code == 403
    missing = await post_upload(
        client, alice, make_audio(tmp_path / "c.mp3", "mp3", seconds=1.2), album_id=999_999
    )
    assert missing.status_code == 404


async def test_not_multipart(client: AsyncClient, alice: User) -> None:
    response = await client.post("/tracks/", json={"title": "x"}, headers=alice.auth)
    assert response.status_code == 415


async def test_upload_requires_a_session(client: AsyncClient, tmp_path: Path) -> None:
    response = await client.post("/tracks/", files={"file": ("s.mp3", b"abc")})
    assert response.status_code == 401


async def test_cookie_upload_from_another_origin_is_refused(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    client.cookies.set("session_id", alice.token)
    files = {"file": ("s.mp3", make_audio(tmp_path / "s.mp3", "mp3").read_bytes())}
    evil = await client.post(
        "/tracks/", data={"title": "x"}, files=files, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    ours = await client.post(
        "/tracks/", data={"title": "x"}, files=files, headers={"Origin": "http://plyr.test"}
    )
    assert ours.status_code == 202


async def test_storage_failure_leaves_no_row(
    client: AsyncClient,
    alice: User,
    tmp_path: Path,
    app: FastAPI,
    settings: Settings,
    monkeypatch: object,
) -> None:
    storage = app.state.runtime.storage
    calls = 0

    async def broken_put_file(key: str, src: Path, content_type: str, **_: object) -> None:
        nonlocal calls
        calls += 1
        raise StorageError("disk full")

    monkeypatch.setattr(storage, "put_file", broken_put_file)  # type: ignore[attr-defined]
    response = await post_upload(client, alice, make_audio(tmp_path / "s.flac", "flac"))
    job = await wait_job(client, alice, response.json()["upload_id"])
    assert job["status"] == "failed"
    assert "disk full" in job["error"]
    assert calls == 3  # retried, then given up
    await assert_nothing_left(app, settings)


async def test_failure_after_storing_removes_the_stored_media(
    client: AsyncClient,
    alice: User,
    tmp_path: Path,
    app: FastAPI,
    settings: Settings,
    monkeypatch: object,
) -> None:
    from plyr.tracks import records

    async def broken_create(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(records, "create_track", broken_create)  # type: ignore[attr-defined]
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (50, 50), "green").save(png, "PNG")
    response = await post_upload(
        client,
        alice,
        make_audio(tmp_path / "s.aiff", "aiff"),
        image=("c.png", png.getvalue(), "image/png"),
    )
    job = await wait_job(client, alice, response.json()["upload_id"])
    assert job["status"] == "failed"
    await assert_nothing_left(app, settings)
