"""Analysis at upload, recommended tags, auto_tag and `plyr discovery backfill`, on generated
audio (tests/discovery/synth.py) uploaded through the API and analysed by the in-process
worker."""

from __future__ import annotations

import logging
import subprocess
import sys
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import delete, select

from plyr.core.config import Settings
from plyr.discovery import analysis, models, tags
from plyr.discovery.models import clap
from plyr.discovery.tasks import ANALYZE_TRACK, analyze_track, run_analysis
from plyr.discovery.vectors.base import from_bytes
from plyr.models import Track, TrackFeatures
from plyr.tracks.publishing import ANALYZE_TRACK as ENQUEUED_NAME
from tests.app import User
from tests.discovery import synth
from tests.discovery.clap_stand_in import (
    text_table,
    write_audio_model,
    write_text_model,
    write_tokenizer,
)
from tests.helpers import poll, upload_track
from tests.servers import plyr_env, run_plyr

SECONDS = 12.0
AMBIENT_LIKE = {"ambient", "strings", "new age", "slow", "synth", "chillout", "quiet", "soft"}
BEAT_LIKE = {"electronic", "beat", "techno", "drums", "electro", "dance", "house"}


def write_wav(path: Path, samples: np.ndarray) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(synth.RATE)
        out.writeframes(pcm.tobytes())
    return path


async def upload_clip(
    client: AsyncClient, user: User, tmp_path: Path, clip: str, **fields: Any
) -> dict[str, Any]:
    path = write_wav(tmp_path / f"{clip}.wav", synth.CLIPS[clip](SECONDS))
    return await upload_track(client, user, path, title=clip, **fields)


async def features(app: FastAPI, track_id: int) -> TrackFeatures | None:
    async with app.state.runtime.sessionmaker() as db:
        return await db.get(TrackFeatures, track_id)


async def analysed(app: FastAPI, track_id: int) -> TrackFeatures:
    return await poll(
        lambda: features(app, track_id), timeout=120, what=f"track {track_id}'s analysis"
    )


async def tag_names(client: AsyncClient, track_id: int) -> list[str]:
    response = await client.get(f"/tracks/{track_id}")
    assert response.status_code == 200
    return list(response.json()["tags"])


async def recommended(client: AsyncClient, track_id: int, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/tracks/{track_id}/recommended-tags", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_musicnn_label_has_its_place_in_the_tag_map() -> None:
    assert list(tags.MTT_TAGS) == models.musicnn_model("MTT").labels
    assert list(tags.MSD_TAGS) == models.musicnn_model("MSD").labels
    mapped = {name for name in tags.TAG_NAMES if name is not None}
    assert all(name == name.lower().strip() for name in mapped)  # plyr's tags are lower-case
    assert {"ambient", "electronic", "techno", "hip-hop", "instrumental", "chillout"} <= mapped


def test_musicnn_scores_take_the_best_of_synonyms_above_the_floor() -> None:
    probabilities = np.zeros(100, dtype=np.float32)
    labels = list(tags.MTT_TAGS) + list(tags.MSD_TAGS)
    probabilities[labels.index("female")] = 0.2
    probabilities[labels.index("woman")] = 0.4
    probabilities[labels.index("rock")] = tags.MIN_PROBABILITY / 2  # MTT's: below the floor
    probabilities[labels.index("00s")] = 0.9  # no plyr tag
    assert tags.musicnn_scores(probabilities) == {"female vocals": pytest.approx(0.4)}


def test_auto_tags_follow_plyr_fm_s_rule() -> None:
    scores = (1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.4)
    ranked = [tags.Suggestion(n, s) for n, s in zip("abcdefg", scores, strict=True)]
    assert tags.auto_tags(ranked) == ["a", "b", "c", "d", "e"]  # >= half the top, at most 5
    assert tags.auto_tags(ranked[:1] + ranked[-1:]) == ["a"]
    assert tags.auto_tags([]) == []


def test_tracks_enqueue_the_task_discovery_registers() -> None:
    assert ENQUEUED_NAME == ANALYZE_TRACK == analyze_track.__name__


async def test_upload_is_analysed_and_tags_are_suggested(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    pad = await upload_clip(client, alice, tmp_path, "ambient_pad")
    drums = await upload_clip(client, alice, tmp_path, "drums", tags=["electronic", "mine"])
    for track in (pad, drums):
        row = await analysed(app, track["id"])
        assert row.model_version == analysis.current_version(app.state.runtime)
        assert from_bytes(row.tags).shape == (100,)
        embedding = from_bytes(row.embedding)
        assert embedding.shape == (400,)
        assert abs(float(np.linalg.norm(embedding)) - 1.0) < 1e-4
        assert row.clap is None  # no CLAP configured
    assert not list(analysis.work_root(app.state.runtime).iterdir())  # its decoded samples
    analysed_at = row.analyzed_at
    assert await run_analysis(app.state.runtime, drums["id"]) == "current"  # not again
    assert (await features(app, drums["id"])).analyzed_at == analysed_at  # type: ignore[union-attr]

    pad_tags = await recommended(client, pad["id"])
    assert pad_tags["available"] is True and pad_tags["track_id"] == pad["id"]
    names = [t["name"] for t in pad_tags["tags"]]
    assert 0 < len(names) <= 5
    assert AMBIENT_LIKE & set(names[:3]), pad_tags
    scores = [t["score"] for t in pad_tags["tags"]]
    assert scores == sorted(scores, reverse=True)

    drum_tags = await recommended(client, drums["id"], limit=10)
    names = [t["name"] for t in drum_tags["tags"]]
    assert BEAT_LIKE & set(names[:3]), drum_tags
    assert not {"electronic", "mine"} & set(names)  # its own tags are never suggested
    # the drums' tags reach the pad through the neighbours' votes ("mine" is no musicnn tag)
    assert "mine" in [t["name"] for t in (await recommended(client, pad["id"], limit=20))["tags"]]


async def test_recommended_tags_of_an_unanalysed_or_hidden_track(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    track = await upload_clip(client, alice, tmp_path, "piano_arpeggio", visibility="private")
    await analysed(app, track["id"])
    assert (await client.get(f"/tracks/{track['id']}/recommended-tags")).status_code == 404
    hidden = await client.get(f"/tracks/{track['id']}/recommended-tags", headers=bob.auth)
    assert hidden.status_code == 404
    async with app.state.runtime.writer() as db:
        await db.execute(delete(TrackFeatures).where(TrackFeatures.track_id == track["id"]))
        await db.commit()
    response = await client.get(f"/tracks/{track['id']}/recommended-tags", headers=alice.auth)
    assert response.json() == {"track_id": track["id"], "tags": [], "available": False}
    assert (await client.get("/tracks/999999/recommended-tags")).status_code == 404


async def test_auto_tag_on_upload_and_on_edit(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    guitar = await upload_clip(
        client, alice, tmp_path, "distorted_guitar", tags=["mine"], auto_tag="true"
    )
    await analysed(app, guitar["id"])
    tags = await poll(
        lambda: _more_tags_than(client, guitar["id"], 1), what="the auto tags on upload"
    )
    assert "mine" in tags and 2 <= len(tags) <= 1 + 5

    pad = await upload_clip(client, alice, tmp_path, "ambient_pad")
    await analysed(app, pad["id"])
    assert await tag_names(client, pad["id"]) == []  # not asked for
    suggested = (await recommended(client, pad["id"]))["tags"]
    top = suggested[0]["score"]
    expected = [t["name"] for t in suggested if t["score"] >= top / 2][:5]
    edited = await client.patch(
        f"/tracks/{pad['id']}", data={"auto_tag": "true"}, headers=alice.auth
    )
    assert edited.status_code == 200, edited.text
    tags = await poll(lambda: _more_tags_than(client, pad["id"], 0), what="the auto tags on edit")
    assert sorted(tags) == sorted(expected)


async def _more_tags_than(client: AsyncClient, track_id: int, count: int) -> list[str] | None:
    tags = await tag_names(client, track_id)
    return tags if len(tags) > count else None


async def test_undecodable_audio_leaves_no_analysis_and_the_upload_published(
    app: FastAPI,
    client: AsyncClient,
    alice: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"ID3" + bytes(range(256)) * 64)

    async def stored_audio(*_args: Any) -> Path:
        return garbage  # as if the stored file were corrupt

    monkeypatch.setattr(analysis, "_local_copy", stored_audio)
    caplog.set_level(logging.WARNING, logger="plyr.discovery.tasks")
    track = await upload_clip(client, alice, tmp_path, "drums")
    await poll(
        lambda: "could not be analysed" in caplog.text, what="the analysis to fail and say so"
    )
    assert await features(app, track["id"]) is None
    async with app.state.runtime.sessionmaker() as db:
        assert (await db.get(Track, track["id"])).status == "published"  # type: ignore[union-attr]
    assert (await client.get(f"/tracks/{track['id']}")).status_code == 200
    assert (await recommended(client, track["id"]))["available"] is False


async def test_backfill_analyses_existing_tracks_once(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    tracks = [await upload_clip(client, alice, tmp_path, clip) for clip in ("drums", "ambient_pad")]
    for track in tracks:
        await analysed(app, track["id"])
    async with app.state.runtime.writer() as db:  # as before discovery existed
        await db.execute(delete(TrackFeatures))
        await db.commit()
    env = plyr_env(settings.data_dir, DATABASE_URL=settings.resolved_database_url)

    first = run_plyr("discovery", "backfill", "--concurrency", "2", env=env)
    assert first.returncode == 0, first.stderr
    assert "0/2 tracks" in first.stdout and "2/2 tracks" in first.stdout
    assert "done: 2 analysed, 0 failed" in first.stdout
    async with app.state.runtime.sessionmaker() as db:
        stored = (await db.execute(select(TrackFeatures.track_id))).scalars().all()
    assert sorted(stored) == sorted(t["id"] for t in tracks)

    again = run_plyr("discovery", "backfill", env=env)
    assert again.returncode == 0, again.stderr
    assert "0/0 tracks" in again.stdout and "done: 0 analysed" in again.stdout


def test_starting_the_app_loads_no_model(tmp_path: Path) -> None:
    probe = f"""
import asyncio, sys
from plyr.app import create_app
from plyr.core.config import Settings
from plyr.core.migrate import upgrade
import plyr.discovery.models as m

settings = Settings(PLYR_DATA_DIR={str(tmp_path)!r}, PLYR_SECRET_KEY="x")
upgrade(settings.resolved_database_url)

async def main():
    app = create_app(settings, with_worker=True)
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.2)

asyncio.run(main())
assert m.musicnn_model.cache_info().currsize == 0
assert m.minilm_model.cache_info().currsize == 0
loaded = {{"musicnn", "tokenizers", "safetensors", "onnxruntime"}} & set(sys.modules)
assert not loaded, loaded
"""
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=120)


@pytest.fixture
def clap_dir(tmp_path: Path) -> Path:
    """test_clap.py's stand-in CLAP export (small generated ONNX graphs)."""
    directory = tmp_path / "clap"
    directory.mkdir()
    write_audio_model(directory / "clap_audio.onnx")
    write_text_model(directory / "clap_text.onnx", text_table())
    write_tokenizer(directory / "tokenizer.json")
    return directory


def test_an_operators_clap_adds_its_vector_from_the_same_decode(
    clap_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(PLYR_DATA_DIR=tmp_path / "data", PLYR_CLAP_DIR=clap_dir)
    runtime: Any = SimpleNamespace(settings=settings)
    version = analysis.current_version(runtime)
    assert version.startswith(models.analysis_version()) and "+clap:" in version
    assert len(version) <= 128
    source = write_wav(tmp_path / "pad.wav", synth.ambient_pad(SECONDS))
    work = tmp_path / "work"
    work.mkdir()
    result = analysis.analyse_file(7, source, work, version, clap.configured_clap(settings))
    assert result.features.model_version == version
    assert result.audio_seconds == pytest.approx(SECONDS, abs=0.1)
    vector = result.features.clap
    assert vector is not None and vector.shape == (512,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert sorted(p.name for p in work.iterdir()) == ["samples-16000.f32", "samples-48000.f32"]
    assert (work / "samples-48000.f32").stat().st_size == pytest.approx(
        3 * (work / "samples-16000.f32").stat().st_size, rel=0.01
    )
