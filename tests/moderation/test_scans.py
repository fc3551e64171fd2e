"""Re-upload scans end to end: tracks uploaded through the API are fingerprinted by the
`scan_track` task queued after processing; another artist's copy (re-encoded, trimmed,
quieter) is flagged as a copy of the original, a different piece and the artist's own
re-upload are not; nothing is taken down. And the AudD scanner against a recorded answer."""

from __future__ import annotations

import io
import json
import uuid
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.core.config import Settings
from plyr.core.net import GuardedClient, Policy
from plyr.core.runtime import Runtime
from plyr.models import ModerationItem, Track, TrackFingerprint
from plyr.moderation.fingerprint import excerpt, service
from plyr.moderation.fingerprint.audd import AuddScanner
from plyr.moderation.fingerprint.scanner import ScanFailed, ScannedTrack
from plyr.moderation.fingerprint.store import indexed_catalog
from plyr.moderation.fingerprint.tasks import SCAN_TRACK, scan_track
from plyr.tracks.publishing import SCAN_TRACK as ENQUEUED_NAME
from tests.app import User
from tests.helpers import poll, upload_track
from tests.json_server import JsonServer
from tests.moderation import fpaudio

DATA = Path(__file__).parent / "data"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A queue of its own for each test: the in-process queue outlives a stopped app, and a
    scan a previous test's app left claimed would hold its key (`scan-1`: ids restart with
    every test on PostgreSQL) against this test's upload."""
    return settings.model_copy(update={"queue_name": f"plyr-scans-{uuid.uuid4().hex[:8]}"})


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def fingerprinted(app: FastAPI, track_id: int) -> TrackFingerprint | None:
    async with runtime_of(app).sessionmaker() as db:
        found = await db.execute(
            select(TrackFingerprint).where(TrackFingerprint.track_id == track_id)
        )
        return found.scalar_one_or_none()


async def flags(app: FastAPI, track_id: int) -> list[ModerationItem]:
    async with runtime_of(app).sessionmaker() as db:
        found = await db.execute(
            select(ModerationItem).where(
                ModerationItem.kind == "scan", ModerationItem.track_id == track_id
            )
        )
        return list(found.scalars())


def test_tracks_enqueue_the_task_moderation_registers() -> None:
    assert ENQUEUED_NAME == SCAN_TRACK == scan_track.__name__


async def test_copies_by_another_artist_are_flagged_and_nothing_else(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    fpaudio.require_fpcalc()
    piece = fpaudio.piece(1)
    original_file = fpaudio.write(tmp_path / "original.flac", piece)
    original = await upload_track(client, alice, original_file, title="Original")
    await poll(lambda: fingerprinted(app, original["id"]), what="the original's fingerprint")
    # first, while the only copy of the piece is alice's: a different piece, her re-upload
    different = await upload_track(
        client, bob, fpaudio.write(tmp_path / "other.flac", fpaudio.piece(2)), title="Other"
    )
    own = await upload_track(
        client, alice, fpaudio.reencoded(original_file, tmp_path / "own.mp3", "64k"), title="Own"
    )
    for track in (different, own):
        await poll(lambda t=track: fingerprinted(app, t["id"]), what="the fingerprint")
        assert await service.scan_track(runtime_of(app), track["id"]) == []
        assert await flags(app, track["id"]) == []

    trimmed = fpaudio.write(tmp_path / "cut.flac", fpaudio.trimmed(piece * 0.4, 4.2, 33.0))
    copies = {
        "reencoded": fpaudio.reencoded(original_file, tmp_path / "copy.mp3", "96k"),
        "trimmed-quieter": fpaudio.reencoded(trimmed, tmp_path / "cut.mp3", "128k"),
    }
    for name, path in copies.items():
        copy = await upload_track(client, bob, path, title=name)
        found = await poll(lambda c=copy: flags(app, c["id"]), what=f"{name} to be flagged")
        assert len(found) == 1
        flag = found[0]
        assert flag.status == "open" and flag.reason == "copyright"
        assert flag.target_type == "track" and flag.target_id == str(copy["id"])
        assert flag.score is not None and flag.score <= 0.15
        # alice's: the original (closest), or her own re-upload of it
        assert flag.details["matched_track_id"] in (original["id"], own["id"])
        assert flag.details["scanner"] == "chromaprint"
        assert flag.details["verdict"] == "likely"
        expected_offset = 4.2 if name == "trimmed-quieter" else 0.0
        assert flag.details["offset_s"] == pytest.approx(expected_offset, abs=0.3)
        shown = await client.get(f"/tracks/{copy['id']}")  # flagged, not taken down
        assert shown.status_code == 200


async def test_a_deleted_original_is_not_matched(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    fpaudio.require_fpcalc()
    original_file = fpaudio.write(tmp_path / "original.flac", fpaudio.piece(3))
    original = await upload_track(client, alice, original_file, title="Original")
    await poll(lambda: fingerprinted(app, original["id"]), what="the fingerprint")
    runtime = runtime_of(app)
    async with runtime.sessionmaker() as db:
        await service.indexed_catalog_refresh(runtime, db)  # held in the index...
    deleted = await client.delete(f"/tracks/{original['id']}", headers=alice.auth)
    assert deleted.status_code in (200, 204), deleted.text
    copy = await upload_track(
        client, bob, fpaudio.reencoded(original_file, tmp_path / "c.mp3"), title="Copy"
    )
    await poll(lambda: fingerprinted(app, copy["id"]), what="the copy's fingerprint")
    assert await service.scan_track(runtime, copy["id"]) == []  # ...but gone from the table


async def test_the_index_follows_the_table(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    fpaudio.require_fpcalc()
    runtime = runtime_of(app)
    catalog = indexed_catalog(runtime)
    track = await upload_track(
        client, alice, fpaudio.write(tmp_path / "a.flac", fpaudio.piece(6)), title="A"
    )
    stored = await poll(lambda: fingerprinted(app, track["id"]), what="the fingerprint")
    async with runtime.sessionmaker() as db:
        await catalog.refresh(db)
        assert catalog.held[track["id"]] == stored.created_at
        assert await catalog.refresh(db) == 0  # nothing new: nothing added twice
    assert await service.scan_track(runtime, track["id"]) == []  # stored again: replaced
    again = await fingerprinted(app, track["id"])
    assert again is not None and again.created_at > stored.created_at
    # the scan refreshed the index before matching: it holds the new fingerprint already
    assert catalog.held[track["id"]] == again.created_at and catalog.index.holds(track["id"])


async def test_audd_names_the_song_it_recognises(tmp_path: Path) -> None:
    audio = fpaudio.write(tmp_path / "clip.flac", fpaudio.piece(4, seconds=12))
    track = ScannedTrack(1, "did:plc:bob", 12.0)
    seen: list[dict[str, Any]] = []

    async def recognise(request: Any) -> tuple[int, Any]:
        form = await request.form()
        upload = form["file"]
        with wave.open(io.BytesIO(await upload.read())) as clip:
            seen.append({"token": form["api_token"], "seconds": clip.getnframes() / 16000})
        return 200, json.loads((DATA / "audd_match.json").read_text())

    async with JsonServer() as server, GuardedClient(Policy(allow_private=True)) as http:
        server.on("POST", "/", recognise)
        [match] = await AuddScanner(http, "the-token", f"{server.url}/").scan(track, audio)
        assert seen == [{"token": "the-token", "seconds": pytest.approx(12, abs=0.1)}]
        assert match.scanner == "audd" and match.verdict == "likely"
        assert match.details["artist"] == "Imagine Dragons"
        assert match.details["title"] == "Warriors"
        assert match.details["song_link"] == "https://lis.tn/Warriors"

        server.on("POST", "/", (200, {"status": "success", "result": None}))
        assert await AuddScanner(http, "t", f"{server.url}/").scan(track, audio) == []

        error = {"status": "error", "error": {"error_code": 900, "error_message": "bad token"}}
        server.on("POST", "/", (200, error))
        with pytest.raises(ScanFailed, match="900"):
            await AuddScanner(http, "t", f"{server.url}/").scan(track, audio)


def test_the_excerpt_for_audd_is_20_s_from_the_middle(tmp_path: Path) -> None:
    samples = fpaudio.piece(5, seconds=60)
    audio = fpaudio.write(tmp_path / "long.flac", samples)
    start = excerpt.start_of(60.0)
    assert start == 30.0 and excerpt.start_of(40.0) == 0.0
    with wave.open(io.BytesIO(excerpt.excerpt_wav(audio, start))) as clip:
        assert clip.getframerate() == 16000 and clip.getnchannels() == 1
        assert clip.getnframes() == 20 * 16000
        first = np.frombuffer(clip.readframes(1600), dtype="<i2") / 32768
    # the clip starts where the piece is 30 s in (resampled 22.05 -> 16 kHz: compare levels)
    expected = samples[30 * fpaudio.RATE : 30 * fpaudio.RATE + 2205]
    assert np.sqrt(np.mean(first**2)) == pytest.approx(np.sqrt(np.mean(expected**2)), rel=0.1)


async def test_audd_is_a_scanner_only_with_a_token(app: FastAPI) -> None:
    runtime = runtime_of(app)
    assert [s.name for s in service.scanners(runtime)] == ["chromaprint"]
    runtime.settings.audd_api_token = "key"
    try:
        assert [s.name for s in service.scanners(runtime)] == ["chromaprint", "audd"]
    finally:
        runtime.settings.audd_api_token = None


async def test_a_track_gone_before_its_scan_is_skipped(app: FastAPI) -> None:
    assert await service.scan_track(runtime_of(app), 999_999) == []
    async with runtime_of(app).sessionmaker() as db:
        assert (await db.execute(select(Track).where(Track.id == 999_999))).first() is None
