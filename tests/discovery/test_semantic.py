"""Mood search (`/search/semantic`) and similar tracks (`/tracks/{id}/similar`) over generated
audio: a drum pattern, an ambient pad, a piano arpeggio and a distorted guitar, uploaded,
then analysed here (the analysis task is not part of these tests: `store_analysis` runs
musicnn on the clip and writes the track's features through the vector store, as the task
does)."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import update

from plyr.core.config import Settings
from plyr.discovery import service
from plyr.discovery.models import AudioAnalysis, analysis_version, analyze_audio
from plyr.discovery.models.clap import configured_clap
from plyr.discovery.service import forget_catalogue
from plyr.discovery.store import vector_store
from plyr.discovery.vectors import Features
from plyr.models import Track
from tests.app import PUBLIC_URL, User, make_user, running_app
from tests.discovery import clap_stand_in as stand_in
from tests.discovery import synth
from tests.helpers import poll, upload_track

SECONDS = 12.0  # four 3 s musicnn patches: enough for the tags, quick to analyse


@cache
def clip(name: str) -> np.ndarray:
    return synth.CLIPS[name](SECONDS)


@cache
def clip_analysis(name: str) -> AudioAnalysis:
    return analyze_audio(clip(name))


def encode_clip(path: Path, samples: np.ndarray, codec: str, muxer: str, bitrate: int) -> Path:
    """16 kHz mono float samples written as `codec` in `muxer` at `bitrate` bits/s."""
    with av.open(str(path), "w", format=muxer) as container:
        stream = cast(av.AudioStream, container.add_stream(codec, rate=synth.RATE, layout="mono"))
        stream.bit_rate = bitrate
        frame_size = stream.codec_context.frame_size or 1024
        pts = 0
        for start in range(0, len(samples), frame_size):
            block = samples[start : start + frame_size].astype(np.float32)
            frame = av.AudioFrame.from_ndarray(block[None, :], format="fltp", layout="mono")
            frame.sample_rate = synth.RATE
            frame.pts = pts
            pts += len(block)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def decode_16k_mono(path: Path) -> np.ndarray:
    """A file's audio as the analysis decodes it: 16 kHz mono float32."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=synth.RATE)
    blocks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                blocks.append(out.to_ndarray().reshape(-1))
    for out in resampler.resample(None):
        blocks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(blocks).astype(np.float32)


def features_of(track_id: int, analysis: AudioAnalysis, clap: np.ndarray | None = None) -> Features:
    """The stored shape of an analysis: 100 tag probabilities (MTT then MSD) and the 400-d
    embedding L2(MSD penultimate) ⊕ L2(MTT penultimate), L2-normalised."""

    def unit(vector: np.ndarray) -> np.ndarray:
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    embedding = unit(np.concatenate([unit(analysis.msd.embedding), unit(analysis.mtt.embedding)]))
    return Features(
        track_id=track_id,
        model_version=analysis_version(),
        tags=np.concatenate([analysis.mtt.tags, analysis.msd.tags]).astype(np.float32),
        embedding=embedding.astype(np.float32),
        clap=clap,
    )


async def store_analysis(
    app: FastAPI,
    track_id: int,
    analysis: AudioAnalysis,
    clap: np.ndarray | None = None,
    *,
    forget: bool = True,
) -> None:
    """Write a track's analysis through the process's vector store, as the analysis task
    does, and have this process's caches catch up at once."""
    runtime = app.state.runtime
    store = await vector_store(runtime)
    async with runtime.writer() as db:
        await store.upsert(db, features_of(track_id, analysis, clap))
        await db.commit()
    async with runtime.sessionmaker() as db:
        await store.refresh(db)
    if forget:
        forget_catalogue(runtime)


async def set_track(app: FastAPI, track_id: int, **values: Any) -> None:
    async with app.state.runtime.writer() as db:
        await db.execute(update(Track).where(Track.id == track_id).values(**values))
        await db.commit()
    forget_catalogue(app.state.runtime)


async def upload_clip(
    client: AsyncClient, user: User, tmp_path: Path, name: str, title: str, **fields: Any
) -> dict[str, Any]:
    path = encode_clip(
        tmp_path / f"{name}-{user.handle}.mp3", clip(name), "libmp3lame", "mp3", 96_000
    )
    return await upload_track(client, user, path, title=title, **fields)


async def analysed_clip(
    app: FastAPI,
    client: AsyncClient,
    user: User,
    tmp_path: Path,
    name: str,
    title: str,
    **fields: Any,
) -> dict[str, Any]:
    track = await upload_clip(client, user, tmp_path, name, title, **fields)
    await store_analysis(app, track["id"], clip_analysis(name))
    return track


@pytest.fixture
async def catalogue(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> dict[str, dict[str, Any]]:
    """The four clips, analysed, each a public track of alice's with a title that says
    nothing about its sound (so keyword search cannot find them by mood)."""
    titles = {name: f"Number {n}" for n, name in enumerate(synth.CLIPS, start=1)}
    return {
        name: await analysed_clip(app, client, alice, tmp_path, name, title)
        for name, title in titles.items()
    }


async def mood(client: AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/search/semantic", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ranks(body: dict[str, Any]) -> list[int]:
    return [result["id"] for result in body["results"]]


# --- mood search ------------------------------------------------------------------------


async def test_ambient_calm_ranks_the_pad_above_the_drums(
    client: AsyncClient, catalogue: dict[str, dict[str, Any]]
) -> None:
    body = await mood(client, "ambient calm")
    assert body["available"] is True and body["mode"] == "bridge"
    order = ranks(body)
    assert order[0] == catalogue["ambient_pad"]["id"], body
    assert order.index(catalogue["ambient_pad"]["id"]) < order.index(catalogue["drums"]["id"])
    pad = body["results"][0]
    assert "ambient" in pad["matched_tags"]
    assert pad["type"] == "track" and pad["title"] == "Number 2"
    assert pad["artist_handle"] == "alice.test" and 0 < pad["similarity"] <= 1


async def test_electronic_dance_beat_ranks_the_drums_above_the_pad(
    client: AsyncClient, catalogue: dict[str, dict[str, Any]]
) -> None:
    body = await mood(client, "electronic dance beat")
    order = ranks(body)
    assert order.index(catalogue["drums"]["id"]) < order.index(catalogue["ambient_pad"]["id"])
    assert set(body["results"][0]["matched_tags"]) & {"dance", "beat", "electronic", "electronica"}
    assert body["mode"] == "bridge"


async def test_out_of_vocabulary_words_do_not_bridge(
    app: FastAPI,
    client: AsyncClient,
    bob: User,
    tmp_path: Path,
    catalogue: dict[str, dict[str, Any]],
) -> None:
    named = await upload_clip(client, bob, tmp_path, "piano_arpeggio", "Xylophone Zebra Quantum")
    body = await mood(client, "xylophone zebra quantum")
    assert body["available"] is True
    # the keyword match only: no analysed track is pretended to sound like it
    assert ranks(body) == [named["id"]]
    assert body["results"][0]["matched_tags"] == []


async def test_user_tags_near_the_query_bring_their_tracks(
    app: FastAPI,
    client: AsyncClient,
    bob: User,
    tmp_path: Path,
    catalogue: dict[str, dict[str, Any]],
) -> None:
    tagged = await upload_clip(client, bob, tmp_path, "drums", "Untitled", tags=["meditation"])
    body = await mood(client, "meditation")
    hit = next(result for result in body["results"] if result["id"] == tagged["id"])
    assert "meditation" in hit["matched_tags"]


async def test_only_tracks_anyone_may_see(
    app: FastAPI,
    client: AsyncClient,
    alice: User,
    bob: User,
    catalogue: dict[str, dict[str, Any]],
) -> None:
    pad = catalogue["ambient_pad"]["id"]
    for change in ({"visibility": "private"}, {"status": "pending"}, {"support_gate": "any"}):
        await set_track(app, pad, **change)
        for viewer in (None, alice, bob):
            headers = viewer.auth if viewer else {}
            response = await client.get(
                "/search/semantic", params={"q": "ambient calm", "limit": 50}, headers=headers
            )
            assert response.status_code == 200
            assert pad not in ranks(response.json()), change
        await set_track(app, pad, visibility="public", status="published", support_gate=None)
    assert pad in ranks(await mood(client, "ambient calm"))


async def test_a_stale_catalogue_is_reloaded_in_the_background(
    app: FastAPI,
    client: AsyncClient,
    bob: User,
    tmp_path: Path,
    catalogue: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len((await mood(client, "ambient calm"))["results"]) == 4
    bobs = await upload_clip(client, bob, tmp_path, "ambient_pad", "Bob's pad")
    await store_analysis(app, bobs["id"], clip_analysis("ambient_pad"), forget=False)
    monkeypatch.setattr(service, "CATALOGUE_SECONDS", 0.0)

    async def bobs_pad_found() -> bool:
        return bobs["id"] in ranks(await mood(client, "ambient calm"))

    await poll(bobs_pad_found, what="the reloaded catalogue to have bob's pad")


async def test_nothing_analysed_is_unavailable(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    await upload_clip(client, alice, tmp_path, "ambient_pad", "Ambient Calm")
    body = await mood(client, "ambient calm")
    assert body == {"results": [], "query": "ambient calm", "available": False, "mode": "bridge"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "ab"},
        {"q": "x" * 201},
        {"q": "ambient", "limit": 0},
        {"q": "ambient", "limit": 51},
        {"q": "ambient", "limit": "many"},
    ],
)
async def test_invalid_queries_are_422(client: AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/search/semantic", params=params)
    assert response.status_code == 422, response.text


async def test_limit_and_latency_on_the_test_catalogue(
    client: AsyncClient, catalogue: dict[str, dict[str, Any]]
) -> None:
    assert len((await mood(client, "ambient calm", limit=2))["results"]) == 2
    timings = []
    for q in ["ambient calm", "electronic dance beat", "solo piano", "loud rock guitar"] * 5:
        started = time.perf_counter()
        await mood(client, q)
        timings.append(time.perf_counter() - started)
    p50 = float(np.median(timings))
    print(f"mood search p50 over {len(timings)} queries: {p50 * 1000:.1f} ms")
    assert p50 < 1.0  # a loose bound for a shared test machine; bench/discovery.py measures


async def test_an_operators_clap_answers_in_clap_mode(settings: Settings, tmp_path: Path) -> None:
    """With PLYR_CLAP_DIR (stand-in graphs of CLAP's signatures, tests/discovery/clap_stand_in.py),
    text meets the tracks' stored CLAP audio vectors, fused with the bridge."""
    clap_dir = tmp_path / "clap"
    clap_dir.mkdir()
    stand_in.write_audio_model(clap_dir / "clap_audio.onnx")
    stand_in.write_text_model(clap_dir / "clap_text.onnx", stand_in.text_table())
    stand_in.write_tokenizer(clap_dir / "tokenizer.json")
    async with running_app(settings.model_copy(update={"clap_dir": clap_dir})) as app:
        model = configured_clap(app.state.runtime.settings)
        assert model is not None
        clap_audio = {
            "ambient_pad": model.embed_audio(stand_in.pad_clip(10)),
            "drums": model.embed_audio(stand_in.drum_clip(10)),
        }
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            alice = await make_user(app, "alice.test")
            ids = {}
            for name, vector in clap_audio.items():
                track = await upload_clip(client, alice, tmp_path, name, f"Clip {name[:1]}")
                await store_analysis(app, track["id"], clip_analysis(name), vector)
                ids[name] = track["id"]
            body = await mood(client, "ambient calm")
            assert body["mode"] == "clap" and body["available"] is True
            assert ranks(body) == [ids["ambient_pad"], ids["drums"]]
            assert ranks(await mood(client, "electronic beat drums"))[0] == ids["drums"]


# --- similar tracks -----------------------------------------------------------------------


async def similar(
    client: AsyncClient, track_id: int, viewer: User | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    response = await client.get(
        f"/tracks/{track_id}/similar", params=params, headers=viewer.auth if viewer else {}
    )
    return response.status_code, response.json()


async def test_a_tracks_nearest_neighbour_is_its_own_re_encode(
    app: FastAPI,
    client: AsyncClient,
    alice: User,
    bob: User,
    tmp_path: Path,
    catalogue: dict[str, dict[str, Any]],
) -> None:
    original = catalogue["piano_arpeggio"]
    reencoded = encode_clip(tmp_path / "piano.m4a", clip("piano_arpeggio"), "aac", "ipod", 48_000)
    copy = await upload_track(client, bob, reencoded, title="Same piano, smaller file")
    await store_analysis(app, copy["id"], analyze_audio(decode_16k_mono(reencoded)))
    status, body = await similar(client, original["id"])
    assert status == 200 and body["available"] is True
    ids = [track["id"] for track in body["tracks"]]
    assert ids[0] == copy["id"]
    assert original["id"] not in ids
    assert body["tracks"][0]["title"] == "Same piano, smaller file"  # the usual track shape
    # the other way round as well
    status, body = await similar(client, copy["id"])
    assert body["tracks"][0]["id"] == original["id"]


async def test_other_artists_come_first(
    app: FastAPI,
    client: AsyncClient,
    bob: User,
    tmp_path: Path,
    catalogue: dict[str, dict[str, Any]],
) -> None:
    bobs = await analysed_clip(app, client, bob, tmp_path, "distorted_guitar", "Bob's guitar")
    status, body = await similar(client, catalogue["drums"]["id"], limit=50)
    assert status == 200
    ids = [track["id"] for track in body["tracks"]]
    assert ids[0] == bobs["id"]
    assert sorted(ids[1:]) == sorted(t["id"] for n, t in catalogue.items() if n != "drums")
    status, body = await similar(client, catalogue["drums"]["id"], limit=1)
    assert [track["id"] for track in body["tracks"]] == [bobs["id"]]


async def test_similar_shows_only_what_the_viewer_may_see(
    app: FastAPI,
    client: AsyncClient,
    alice: User,
    bob: User,
    tmp_path: Path,
    catalogue: dict[str, dict[str, Any]],
) -> None:
    bobs = await analysed_clip(app, client, bob, tmp_path, "ambient_pad", "Bob's pad")
    await set_track(app, bobs["id"], visibility="private")
    pad = catalogue["ambient_pad"]["id"]
    for viewer in (None, alice):
        status, body = await similar(client, pad, viewer, limit=50)
        assert status == 200 and bobs["id"] not in [t["id"] for t in body["tracks"]]
    # bob sees his own private track among the neighbours, and its own neighbours
    status, body = await similar(client, pad, bob, limit=50)
    assert body["tracks"][0]["id"] == bobs["id"]
    status, body = await similar(client, bobs["id"], bob)
    assert status == 200 and body["tracks"][0]["id"] == pad
    # nobody else can see it: 404, as for the track itself
    for viewer in (None, alice):
        status, _ = await similar(client, bobs["id"], viewer)
        assert status == 404
    status, _ = await similar(client, 999_999)
    assert status == 404


async def test_a_track_without_analysis_is_unavailable(
    client: AsyncClient, bob: User, tmp_path: Path, catalogue: dict[str, dict[str, Any]]
) -> None:
    fresh = await upload_clip(client, bob, tmp_path, "piano_arpeggio", "Not analysed yet")
    status, body = await similar(client, fresh["id"])
    assert (status, body) == (200, {"tracks": [], "available": False})


@pytest.mark.parametrize("limit", [0, 51, "x"])
async def test_similar_limit_is_validated(client: AsyncClient, limit: Any) -> None:
    response = await client.get("/tracks/1/similar", params={"limit": limit})
    assert response.status_code == 422
