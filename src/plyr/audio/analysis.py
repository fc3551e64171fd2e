"""Loudness (EBU R128) and a waveform envelope, in one streaming decode pass.

Memory is constant in the file length: samples are never accumulated; loudness uses
libebur128's histogram mode and the waveform a fixed-size min/max block buffer whose block
size doubles whenever it fills up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pyebur128
from av.audio.resampler import AudioResampler
from av.container import InputContainer

from plyr.audio import inputs
from plyr.audio.decoding import DecodeStats, Progress, decoded_frames
from plyr.audio.formats import CorruptAudio, UnsupportedAudio, unsupported_message

_FINE = 16  # envelope blocks kept per output point (at least half of it after merges)
_CHUNK_FRAMES = 32768  # resampler output frame size: fewer, larger numpy operations


@dataclass(frozen=True)
class Analysis:
    loudness_lufs: float | None  # EBU R128 integrated loudness; None for silence / too short
    peaks: list[tuple[float, float]]  # `points` (min, max) pairs in -1..1, over all channels
    duration: float  # decoded duration in seconds


class _Envelope:
    """Streaming (min, max) envelope over interleaved samples, in bounded memory."""

    def __init__(self, points: int, channels: int) -> None:
        self.points = points
        self.channels = channels
        self.capacity = 2 * _FINE * points
        self.mins = np.empty(self.capacity, dtype=np.float32)
        self.maxs = np.empty(self.capacity, dtype=np.float32)
        self.count = 0
        self.block = 1  # frames per stored block
        self.carry = np.empty(0, dtype=np.float32)

    def add(self, samples: np.ndarray) -> None:
        data = np.concatenate((self.carry, samples)) if self.carry.size else samples
        pos = 0
        while True:
            if self.count == self.capacity:
                self._merge()
            width = self.block * self.channels
            n = min((data.size - pos) // width, self.capacity - self.count)
            if n <= 0:
                break
            blocks = data[pos : pos + n * width].reshape(n, width)
            blocks.min(axis=1, out=self.mins[self.count : self.count + n])
            blocks.max(axis=1, out=self.maxs[self.count : self.count + n])
            self.count += n
            pos += n * width
        self.carry = data[pos:].copy()

    def _merge(self) -> None:
        half = self.count // 2
        np.minimum(self.mins[0 : 2 * half : 2], self.mins[1 : 2 * half : 2], out=self.mins[:half])
        np.maximum(self.maxs[0 : 2 * half : 2], self.maxs[1 : 2 * half : 2], out=self.maxs[:half])
        self.count = half
        self.block *= 2

    def result(self) -> list[tuple[float, float]]:
        if self.carry.size:  # the last, partial block
            if self.count == self.capacity:
                self._merge()
            self.mins[self.count] = self.carry.min()
            self.maxs[self.count] = self.carry.max()
            self.count += 1
            self.carry = np.empty(0, dtype=np.float32)
        mins, maxs = self.mins[: self.count], self.maxs[: self.count]
        if self.count > self.points:
            starts = (np.arange(self.points, dtype=np.int64) * self.count) // self.points
            mins = np.minimum.reduceat(mins, starts)
            maxs = np.maximum.reduceat(maxs, starts)
        mins = np.clip(mins, -1.0, 1.0)
        maxs = np.clip(maxs, -1.0, 1.0)
        return [(float(lo), float(hi)) for lo, hi in zip(mins, maxs, strict=True)]


class _Meter:
    """Converts decoded frames to interleaved float and feeds loudness + envelope."""

    def __init__(self, frame: av.AudioFrame, points: int) -> None:
        channels = 1 if frame.layout.nb_channels == 1 else 2  # surround is downmixed
        rate = frame.sample_rate
        self.channels = channels
        self.rate = rate
        self.source = _signature(frame)
        self.resampler = self._resampler()
        mode = pyebur128.MeasurementMode.MODE_I | pyebur128.MeasurementMode.MODE_HISTOGRAM
        self.state = pyebur128.R128State(channels, rate, mode)
        if channels == 1:  # a mono file plays on both speakers
            self.state.set_channel(0, pyebur128.ChannelType.DUAL_MONO)
        self.envelope = _Envelope(points, channels)

    def _resampler(self) -> AudioResampler:
        layout = "mono" if self.channels == 1 else "stereo"
        return AudioResampler("flt", layout, self.rate, frame_size=_CHUNK_FRAMES)

    def feed(self, frame: av.AudioFrame | None) -> None:
        if frame is not None and _signature(frame) != self.source:  # e.g. chained Ogg
            self._convert(None)
            self.source = _signature(frame)
            self.resampler = self._resampler()
        self._convert(frame)

    def _convert(self, frame: av.AudioFrame | None) -> None:
        for out in self.resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1)
            if samples.size:
                self.state.add_frames(samples, samples.size // self.channels)
                self.envelope.add(samples)

    def loudness(self) -> float | None:
        value = pyebur128.get_loudness_global(self.state)
        return value if math.isfinite(value) else None


def _signature(frame: av.AudioFrame) -> tuple[str, str, int]:
    return frame.format.name, frame.layout.name, frame.sample_rate


def analyze(
    path: Path,
    *,
    points: int = 1000,
    expected_duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Analysis:
    """Decode `path` once and measure integrated loudness and a `points`-long envelope.

    Like players, skips isolated undecodable packets. Raises CorruptAudio if the file can't
    be opened or too much of it can't be decoded, or if `expected_duration` (from the
    container header) exceeds the decoded duration by more than max(1 s, 2%): truncation.
    """
    if points < 1:
        raise ValueError("points must be >= 1")
    stats = DecodeStats()
    try:
        container = inputs.open_input(path)
    except (av.FFmpegError, UnsupportedAudio) as exc:
        raise CorruptAudio(f"The audio could not be decoded ({exc}).") from exc
    try:
        with container:
            meter, decoded = _measure(container, points, expected_duration, stats, on_progress)
    except av.FFmpegError as exc:
        raise CorruptAudio(f"The audio could not be decoded ({exc}).") from exc
    if expected_duration and expected_duration - decoded > max(1.0, 0.02 * expected_duration):
        raise CorruptAudio(
            f"The file is truncated: decoded {decoded:.1f} s of {expected_duration:.1f} s."
        )
    if meter is None:
        raise CorruptAudio("The file contains no decodable audio.")
    if stats.too_damaged:
        raise CorruptAudio(f"The audio is damaged: {stats.errors} blocks could not be decoded.")
    if on_progress is not None:
        on_progress(1.0)
    return Analysis(meter.loudness(), meter.envelope.result(), decoded)


def _measure(
    container: InputContainer,
    points: int,
    expected: float | None,
    stats: DecodeStats,
    on_progress: Callable[[float], None] | None,
) -> tuple[_Meter | None, float]:
    if not container.streams.audio:
        raise UnsupportedAudio(unsupported_message("The file contains no audio"))
    stream = container.streams.audio[0]
    total = expected or (container.duration / av.time_base if container.duration else None)
    progress = Progress(on_progress, total)
    meter: _Meter | None = None
    decoded = 0.0
    for frame in decoded_frames(container, stream, stats):
        if meter is None:
            meter = _Meter(frame, points)
        meter.feed(frame)
        decoded += frame.samples / frame.sample_rate
        progress.update(decoded)
    if meter is not None:
        meter.feed(None)
    return meter, decoded
