"""Generated music for the re-upload tests: a seeded, non-repeating melody over chords and a
noisy beat (numpy only), and the copies an uploader might make of it (re-encoded, trimmed,
quieter), written with PyAV."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from plyr.moderation.fingerprint import fpcalc
from tests.audio.media import write_samples
from tests.services import missing

RATE = 22050


def require_fpcalc() -> None:
    """fpcalc is installed by scripts/test; without it: skip, or fail in CI."""
    if not fpcalc.available():
        missing("fpcalc (apt-get install libchromaprint-tools)")


def piece(seed: int, seconds: float = 40.0) -> np.ndarray:
    """A melody of random notes and lengths over random chords: no two seeds alike, and no
    stretch of one piece repeating another stretch of it."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(RATE * seconds))
    at = 0
    while at < len(out):
        length = int(RATE * rng.uniform(0.12, 0.6))
        t = np.arange(min(length, len(out) - at)) / RATE
        note = 220 * 2 ** (rng.integers(0, 24) / 12)
        chord = 110 * 2 ** (rng.integers(0, 12) / 12)
        envelope = np.exp(-t * rng.uniform(2, 8))
        tone = np.sin(2 * np.pi * note * t) + 0.5 * np.sin(2 * np.pi * 2 * note * t)
        tone += 0.6 * np.sin(2 * np.pi * chord * t) + 0.3 * np.sin(2 * np.pi * 1.5 * chord * t)
        tone += 0.15 * rng.standard_normal(len(t)) * np.exp(-t * 30)  # a percussive hit
        out[at : at + len(t)] = tone * envelope
        at += length
    return (out / np.max(np.abs(out)) * 0.8).astype(np.float32)


def write(path: Path, samples: np.ndarray) -> Path:
    return write_samples(path, samples[None, :], RATE, "flac")


def reencoded(source: Path, target: Path, bitrate: str = "96k") -> Path:
    """A lossy re-encode through ffmpeg's CLI (mp3), as an uploader's converter would."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-b:a", bitrate, str(target)],
        check=True,
    )
    return target


def trimmed(samples: np.ndarray, start_s: float, end_s: float | None = None) -> np.ndarray:
    end = None if end_s is None else int(end_s * RATE)
    return samples[int(start_s * RATE) : end]
