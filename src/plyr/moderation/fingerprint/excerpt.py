"""A short excerpt of a track as WAV bytes (mono, 16 kHz): what AudD's standard endpoint
recognises (a clip, not a whole file), taken from the middle where a song is itself."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np

from plyr.audio import inputs
from plyr.audio.decoding import DecodeStats, decoded_frames

RATE = 16000
SECONDS = 20.0


def start_of(duration: float | None) -> float:
    """30 s in (past an intro) when the track is long enough, else from the start."""
    return 30.0 if duration is not None and duration >= 30.0 + SECONDS else 0.0


def excerpt_wav(source: Path, start_s: float, seconds: float = SECONDS) -> bytes:
    """`seconds` of `source` from `start_s` as WAV; raises av.FFmpegError for bad audio."""
    first, wanted = int(start_s * RATE), int(seconds * RATE)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    blocks: list[np.ndarray] = []
    seen = kept = 0
    with inputs.open_input(source) as container:
        stream = container.streams.audio[0]
        for frame in decoded_frames(container, stream, DecodeStats()):
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1)
                block = samples[max(0, first - seen) :]
                seen += len(samples)
                block = block[: wanted - kept]
                blocks.append(block)
                kept += len(block)
            if kept >= wanted:
                break
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes(np.concatenate(blocks or [np.zeros(0, np.int16)]).tobytes())
    return buffer.getvalue()
