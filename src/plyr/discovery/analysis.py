"""Analysing a track's audio for discovery: decode it once, run the models, store the result.

Decoding streams the stored audio through PyAV's resampler into a temp float32 file (16 kHz
mono for musicnn; 48 kHz too when an operator's CLAP is configured), which the models read
through `np.memmap`: a two-hour mix never sits in memory, decoded or twice. The models run
in a worker thread, one BLAS thread, loaded on first use (`plyr.discovery.models`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import anyio
import av
import numpy as np
from av.audio.resampler import AudioResampler
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.audio import inputs
from plyr.audio.decoding import DecodeStats, decoded_frames
from plyr.audio.formats import AudioError, CorruptAudio
from plyr.core.runtime import Runtime
from plyr.discovery import models
from plyr.discovery.models import clap
from plyr.discovery.store import vector_store
from plyr.discovery.vectors import Features
from plyr.models import Track, TrackFeatures

log = logging.getLogger(__name__)

MUSICNN_RATE = models.SAMPLE_RATE  # 16 kHz
CLAP_RATE = 48_000
_CHUNK = 32768  # resampler output frames: few, large writes
ABANDONED_AFTER_S = 24 * 3600.0


class AnalysisFailed(Exception):
    """The audio could not be analysed (undecodable, silent, gone from storage)."""


@dataclass(frozen=True)
class Result:
    features: Features
    audio_seconds: float
    analysis_seconds: float


def current_version(runtime: Runtime) -> str:
    """What an analysis made now is stored as: musicnn's checkpoints and front-end, plus the
    operator's CLAP model when one is configured (so configuring one re-analyses). Blocking:
    the first call loads the models."""
    version = models.analysis_version()
    model = _clap(runtime)
    if model is not None:
        with suppress(clap.ClapUnavailable):  # logged once by the model; analyse without it
            version = f"{version}+clap:{model.model_version[-24:]}"
    return version[:128]


def _clap(runtime: Runtime) -> clap.ClapModel | None:
    model = clap.configured_clap(runtime.settings)
    return model if model is not None and model.available() else None


async def stored_version(db: AsyncSession, track_id: int) -> str | None:
    row = await db.get(TrackFeatures, track_id)
    return row.model_version if row is not None else None


# --- decoding ---------------------------------------------------------------------------


class _Sink:
    """Resampled mono float32 samples appended to a file."""

    def __init__(self, rate: int, file: BinaryIO) -> None:
        self.rate = rate
        self.file = file
        self.samples = 0
        self.resampler: AudioResampler | None = None

    def feed(self, frame: av.AudioFrame | None) -> None:
        if self.resampler is None:
            if frame is None:
                return
            self.resampler = AudioResampler("flt", "mono", self.rate, frame_size=_CHUNK)
        for out in self.resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1).astype("<f4", copy=False)
            self.file.write(samples.tobytes())
            self.samples += samples.size

    def open(self, path: Path) -> np.ndarray:
        if self.samples == 0:
            return np.zeros(0, dtype=np.float32)
        return np.memmap(path, dtype="<f4", mode="r", shape=(self.samples,))


def decode(source: Path, work: Path, rates: tuple[int, ...]) -> dict[int, np.ndarray]:
    """`source` decoded once to mono float32 at each of `rates`, as memory-mapped arrays of
    files in `work` (removed with it). Raises CorruptAudio when nothing decodes."""
    paths = {rate: work / f"samples-{rate}.f32" for rate in rates}
    files = {rate: path.open("wb") for rate, path in paths.items()}
    sinks = {rate: _Sink(rate, files[rate]) for rate in rates}
    stats = DecodeStats()
    try:
        with inputs.open_input(source) as container:
            if not container.streams.audio:
                raise CorruptAudio("the file holds no audio stream")
            stream = container.streams.audio[0]
            signature = None
            for frame in decoded_frames(container, stream, stats):
                current = (frame.format.name, frame.layout.name, frame.sample_rate)
                if signature is not None and current != signature:  # e.g. chained Ogg
                    for sink in sinks.values():
                        sink.feed(None)
                        sink.resampler = None
                signature = current
                for sink in sinks.values():
                    sink.feed(frame)
            for sink in sinks.values():
                sink.feed(None)
    except av.FFmpegError as e:
        raise CorruptAudio(f"the audio could not be decoded ({e})") from e
    finally:
        for file in files.values():
            file.close()
    if stats.too_damaged or sinks[rates[0]].samples == 0:
        raise CorruptAudio("the file holds no decodable audio")
    return {rate: sink.open(paths[rate]) for rate, sink in sinks.items()}


# --- the models -------------------------------------------------------------------------


def audio_vector(analysis: models.AudioAnalysis) -> np.ndarray:
    """The 400-d similarity vector: L2(L2(MSD penultimate) ⊕ L2(MTT penultimate))."""
    parts = [_unit(analysis.msd.embedding), _unit(analysis.mtt.embedding)]
    return _unit(np.concatenate(parts)).astype(np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def analyse_file(
    track_id: int, source: Path, work: Path, version: str, clap_model: clap.ClapModel | None
) -> Result:
    """Decode and run the models (blocking: call it in a worker thread)."""
    started = time.monotonic()
    rates = (MUSICNN_RATE, CLAP_RATE) if clap_model is not None else (MUSICNN_RATE,)
    samples = decode(source, work, rates)
    mono = samples[MUSICNN_RATE]
    if not np.any(mono):
        raise AnalysisFailed("the audio is silent")
    analysis = models.analyze_audio(mono)
    clap_vector = None
    if clap_model is not None:
        clap_vector = clap_model.embed_audio(samples[CLAP_RATE])
    features = Features(
        track_id=track_id,
        model_version=version,
        tags=np.concatenate([analysis.mtt.tags, analysis.msd.tags]).astype(np.float32),
        embedding=audio_vector(analysis),
        clap=clap_vector,
    )
    return Result(features, len(mono) / MUSICNN_RATE, time.monotonic() - started)


def work_root(runtime: Runtime) -> Path:
    """Where analyses decode to: on the data disk (a long mix's samples take hundreds of MB;
    the system's /tmp may be memory), apart from the uploads' temp files."""
    return runtime.settings.data_dir / "analysis"


def _remove_abandoned(root: Path) -> None:
    """Work left by a process killed mid-analysis."""
    for path in root.iterdir():
        try:
            if time.time() - path.stat().st_mtime > ABANDONED_AFTER_S:
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:  # another analysis removed it meanwhile
            continue


@contextmanager
def _work_dir(runtime: Runtime) -> Iterator[Path]:
    root = work_root(runtime)
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root)
    path = Path(tempfile.mkdtemp(prefix=uuid.uuid4().hex[:8], dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def _local_copy(runtime: Runtime, key: str, work: Path) -> Path:
    """The stored audio as a local file: the store's own path, or a copy in `work`."""
    local = runtime.storage.local_path(key)
    if local is not None and local.exists():
        return local
    target = work / "audio"
    async with await anyio.open_file(target, "wb") as file:
        async for chunk in runtime.storage.read_chunks(key):
            await file.write(chunk)
    return target


async def analyse_track(runtime: Runtime, track: Track, version: str) -> Result:
    """Analyse the track's playable audio. Raises AnalysisFailed (or AudioError)."""
    with _work_dir(runtime) as work:
        source = await _local_copy(runtime, track.audio.key, work)
        clap_model = _clap(runtime)
        return await anyio.to_thread.run_sync(
            analyse_file, track.id, source, work, version, clap_model
        )


async def save(runtime: Runtime, db: AsyncSession, features: Features) -> None:
    """In the caller's transaction: the analysis row (and pgvector's copy)."""
    store = await vector_store(runtime)
    await store.upsert(db, features)


__all__ = [
    "AnalysisFailed",
    "AudioError",
    "Result",
    "analyse_track",
    "current_version",
    "save",
    "stored_version",
]
