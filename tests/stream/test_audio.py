"""Streaming: ranges, caching headers, downloads, X-Accel-Redirect."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient

from plyr.core import outbox
from plyr.core.config import Settings
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import media_files, upload_track


async def test_full_get_and_head(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    path = make_audio(tmp_path / "s.flac", "flac", seconds=2)
    track = await upload_track(client, alice, path, title="s")
    url = f"/audio/{track['file_id']}"
    full = await client.get(url)
    assert full.status_code == 200
    assert full.content == path.read_bytes()
    assert full.headers["content-type"] == "audio/flac"
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["etag"] == f'"{track["file_id"]}"'
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    head = await client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(path.stat().st_size)


async def test_ranges(client: AsyncClient, alice: User, tmp_path: Path) -> None:
    path = make_audio(tmp_path / "s.mp3", "mp3", seconds=2)
    data = path.read_bytes()
    track = await upload_track(client, alice, path, title="s")
    url = f"/audio/{track['file_id']}"
    part = await client.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.content == data[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    tail = await client.get(url, headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == data[-500:]
    open_ended = await client.get(url, headers={"Range": f"bytes={len(data) - 10}-"})
    assert open_ended.content == data[-10:]
    beyond = await client.get(url, headers={"Range": f"bytes={len(data) + 5}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"


async def test_conditional_get(client: AsyncClient, alice: User, tmp_path: Path) -> None:
    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="s")
    url = f"/audio/{track['file_id']}"
    etag = (await client.head(url)).headers["etag"]
    cached = await client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""


async def test_unknown_audio_is_404(client: AsyncClient) -> None:
    assert (await client.get("/audio/0123456789abcdef")).status_code == 404
    assert (await client.head("/audio/nope")).status_code == 404


async def test_download_prefers_the_lossless_original(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "s.aiff", "aiff", seconds=1)
    track = await upload_track(client, alice, path, title="Night/Day")
    response = await client.get(f"/audio/{track['file_id']}/download")
    assert response.status_code == 200
    assert response.content == path.read_bytes()
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "alice.test - Night-Day.aiff" in disposition


async def test_download_policy_is_honoured(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path
) -> None:
    from plyr.models import Artist

    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="s")
    async with app.state.runtime.writer() as db:
        artist = await db.get(Artist, alice.did)
        assert artist is not None
        artist.preferences = {"download_policy": "closed"}
        await db.commit()
    url = f"/audio/{track['file_id']}/download"
    assert (await client.get(url, headers=bob.auth)).status_code == 403
    assert (await client.get(url, headers=alice.auth)).status_code == 200


async def test_accel_redirect_mode_hands_the_bytes_to_nginx(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="s")
    settings.accel_redirect_prefix = "/_media/"
    response = await client.get(f"/audio/{track['file_id']}")
    assert response.status_code == 200
    assert response.headers["x-accel-redirect"] == f"/_media/audio/{track['file_id']}.mp3"
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.content == b""


async def test_private_audio_goes_to_the_private_internal_location(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    """Private audio is stored outside the media folder, so nginx reads it through a
    location of its own (`{prefix}private/`)."""
    path = make_audio(tmp_path / "s.mp3", "mp3")
    track = await upload_track(client, alice, path, title="s", visibility="private")
    key = f"audio/{track['file_id']}.mp3"
    assert (settings.private_media_dir / key).read_bytes() == path.read_bytes()
    assert not (settings.media_dir / key).exists()
    settings.accel_redirect_prefix = "/_media/"
    response = await client.get(f"/audio/{track['file_id']}", headers=alice.auth)
    assert response.headers["x-accel-redirect"] == f"/_media/private/{key}"


async def test_shared_audio_is_public_while_one_of_its_tracks_is(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path, settings: Settings
) -> None:
    """The same bytes uploaded privately by one and publicly by another: one copy, in the
    public folder; back to the private one when the public track goes private."""
    path = make_audio(tmp_path / "s.mp3", "mp3")
    mine = await upload_track(client, alice, path, title="mine", visibility="private")
    key = f"audio/{mine['file_id']}.mp3"
    theirs = await upload_track(client, bob, path, title="same bytes")
    assert theirs["file_id"] == mine["file_id"]
    assert await outbox.drain(app.state.runtime, due_now=True) == 0
    assert media_files(settings) == [key]
    assert (settings.media_dir / key).exists()
    edited = await client.patch(
        f"/tracks/{theirs['id']}", data={"visibility": "supporters"}, headers=bob.auth
    )
    assert edited.status_code == 200, edited.text
    assert await outbox.drain(app.state.runtime, due_now=True) == 0
    assert media_files(settings) == [key]
    assert (settings.private_media_dir / key).exists()
