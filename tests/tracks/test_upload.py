"""Uploads that succeed: every accepted format becomes a playable, streamable track."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from httpx import AsyncClient
from PIL import Image

from plyr.core.config import Settings
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import media_files, post_upload, temp_files, upload_track, wait_job


def png_bytes(size: tuple[int, int] = (300, 200), color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


async def test_flac_upload_becomes_a_track(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    path = make_audio(tmp_path / "song.flac", "flac", seconds=3.0)
    track = await upload_track(
        client,
        alice,
        path,
        title="First Light",
        tags=[" Ambient ", "LIVE"],
        description="recorded at dawn",
    )
    assert track["title"] == "First Light"
    assert track["file_type"] == "flac" and track["original_file_type"] is None
    assert track["duration"] == 3
    assert track["tags"] == ["ambient", "live"]
    assert track["artist"]["handle"] == "alice.test"
    assert track["audio_url"] == f"{settings.public_url}/audio/{track['file_id']}"
    assert track["loudness_lufs"] is not None
    assert media_files(settings) == [f"audio/{track['file_id']}.flac"]
    assert temp_files(settings) == []
    feed = (await client.get("/tracks/")).json()
    assert [t["id"] for t in feed["tracks"]] == [track["id"]]


async def test_aiff_is_transcoded_to_mp3_and_the_original_kept(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    path = make_audio(tmp_path / "song.aiff", "aiff", seconds=2.0)
    track = await upload_track(client, alice, path, title="Aiff")
    assert track["file_type"] == "mp3" and track["original_file_type"] == "aiff"
    stored = media_files(settings)
    assert f"audio/{track['file_id']}.mp3" in stored
    assert len([k for k in stored if k.endswith(".aiff")]) == 1
    audio = await client.get(track["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"


async def test_alac_is_transcoded_but_aac_is_not(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    alac = make_audio(tmp_path / "alac.m4a", "m4a", codec="alac")
    aac = make_audio(tmp_path / "aac.m4a", "m4a", codec="aac")
    assert (await upload_track(client, alice, alac, title="alac"))["file_type"] == "mp3"
    assert (await upload_track(client, alice, aac, title="aac"))["file_type"] == "m4a"


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg", "opus", "webm"])
async def test_browser_playable_formats_are_stored_as_sent(
    client: AsyncClient, alice: User, tmp_path: Path, fmt: str
) -> None:
    path = make_audio(tmp_path / f"song.{fmt}", fmt)
    track = await upload_track(client, alice, path, title=fmt)
    assert track["file_type"] == fmt and track["original_file_type"] is None


async def test_artwork_is_stored_with_a_thumbnail(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    path = make_audio(tmp_path / "song.mp3", "mp3")
    track = await upload_track(
        client, alice, path, title="With art", image=("cover.png", png_bytes(), "image/png")
    )
    assert track["image_url"] and track["thumbnail_url"]
    thumb = await client.get(track["thumbnail_url"].removeprefix(settings.public_url))
    assert thumb.status_code == 200
    assert Image.open(io.BytesIO(thumb.content)).size == (96, 96)


async def test_embedded_cover_art_is_used_when_no_image_is_sent(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "song.mp3", "mp3", cover=png_bytes(color="blue"))
    track = await upload_track(client, alice, path, title="Embedded")
    assert track["image_url"] is not None


async def test_album_by_title_is_created_once(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    one = await upload_track(
        client,
        alice,
        make_audio(tmp_path / "1.mp3", "mp3", seconds=1),
        title="one",
        album="Café MÜNCHËN",
    )
    two = await upload_track(
        client,
        alice,
        make_audio(tmp_path / "2.mp3", "mp3", seconds=1.5),
        title="two",
        album="cafe munchen",
    )
    assert one["album"]["slug"] == "cafe-munchen"
    assert one["album"]["id"] == two["album"]["id"]


async def test_progress_streams_as_server_sent_events(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    response = await post_upload(client, alice, make_audio(tmp_path / "s.aiff", "aiff"))
    upload_id = response.json()["upload_id"]
    stream = await client.get(f"/tracks/uploads/{upload_id}/progress", headers=alice.auth)
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: ")
    ]
    assert events[-1]["status"] == "completed" and events[-1]["phase"] == "done"
    assert events[-1]["progress_pct"] == 100
    percents = [e["progress_pct"] for e in events]
    assert percents == sorted(percents)


async def test_jobs_are_visible_to_their_owner_only(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    response = await post_upload(client, alice, make_audio(tmp_path / "s.mp3", "mp3"))
    upload_id = response.json()["upload_id"]
    await wait_job(client, alice, upload_id)
    assert (await client.get(f"/jobs/{upload_id}", headers=bob.auth)).status_code == 404
    assert (await client.get(f"/jobs/{upload_id}")).status_code == 401


async def test_same_bytes_twice_fails_as_a_duplicate(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path, settings: Settings
) -> None:
    path = make_audio(tmp_path / "s.flac", "flac")
    first = await upload_track(client, alice, path, title="original")
    again = await post_upload(client, alice, path, title="copy")
    job = await wait_job(client, alice, again.json()["upload_id"])
    assert job["status"] == "failed"
    assert job["error"] == f"duplicate upload: track already exists (id: {first['id']})"
    # another artist may upload the same bytes: the stored file is shared
    theirs = await upload_track(client, bob, path, title="bob's")
    assert theirs["file_id"] == first["file_id"]
    assert media_files(settings) == [f"audio/{first['file_id']}.flac"]
    assert temp_files(settings) == []


async def test_unsafe_filename_is_harmless(
    client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    path = make_audio(tmp_path / "s.mp3", "mp3")
    response = await post_upload(client, alice, path, filename="../../etc/ünïcødé ☃.mp3")
    job = await wait_job(client, alice, response.json()["upload_id"])
    assert job["status"] == "completed"
    assert all(k.startswith("audio/") for k in media_files(settings))
    assert not (settings.data_dir.parent / "etc").exists()


async def test_plyr_fm_upload_fields_are_accepted(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    """plyr.fm's form sends `auto_tag` (suggested tags, applied once analysed) and
    `self_labels` (content warnings: kept, and written as the record's labels)."""
    path = make_audio(tmp_path / "warned.mp3", "mp3", seconds=1.0)
    track = await upload_track(
        client, alice, path, title="Warned", auto_tag="true", self_labels=["sexual", "sexual"]
    )
    assert track["self_labels"] == ["sexual"]
    too_many = await post_upload(
        client, alice, path, title="x", self_labels=[f"l{i}" for i in range(11)]
    )
    assert too_many.status_code == 422 and "self-labels" in too_many.text
    other = make_audio(tmp_path / "other.mp3", "mp3", seconds=1.5)
    listed = await upload_track(client, alice, other, title="Listed", self_labels="porn, nudity")
    assert listed["self_labels"] == ["porn", "nudity"]  # comma-separated works too
    edited = await client.patch(
        f"/tracks/{listed['id']}", data={"self_labels": "[]"}, headers=alice.auth
    )
    assert edited.status_code == 200 and edited.json()["self_labels"] == []
