"""CLAP's audio front-end in numpy: the 10 s windows and log-mel features unfused HTSAT reads.

The filterbank is librosa's `filters.mel(htk=False, norm="slaney")` (also transformers'
`mel_filter_bank(norm="slaney", mel_scale="slaney")`, which `ClapFeatureExtractor` uses): the
Slaney (Auditory Toolbox) mel scale, linear below 1 kHz and logarithmic above, and filters
scaled to unit area. An HTK-scale or peak-normalised bank gives features the model was never
trained on: embeddings come out plausible-looking and wrong, so the version below names it.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from plyr.discovery.models.mel import slaney_mel_filterbank

SAMPLE_RATE = 48_000
WINDOW_SAMPLES = 480_000  # 10 s
N_FFT = 1024
HOP = 480
N_MELS = 64
FMIN = 50.0
FMAX = 14_000.0
FRAMES = 1 + WINDOW_SAMPLES // HOP  # 1001: centred frames
# Bumped whenever a change here would change an embedding (it is part of the model version)
FRONTEND_VERSION = "htsat-unfused-slaney-1"

_POWER_FLOOR = 1e-10  # -100 dB: silence stays finite


def split_windows(samples: np.ndarray) -> np.ndarray:
    """`[n, 480000]` float32: consecutive 10 s windows of 48 kHz mono audio. Shorter audio is
    repeated whole as often as it fits and zero-padded (`ClapFeatureExtractor`'s
    "repeatpad"); a trailing partial window is dropped, since a window that is mostly padding
    would pull the mean toward silence."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if samples.size == 0:
        raise ValueError("no audio samples")
    if samples.size < WINDOW_SAMPLES:
        repeated = np.tile(samples, WINDOW_SAMPLES // samples.size)
        return np.pad(repeated, (0, WINDOW_SAMPLES - repeated.size))[None, :]
    count = samples.size // WINDOW_SAMPLES
    return samples[: count * WINDOW_SAMPLES].reshape(count, WINDOW_SAMPLES)


class LogMel:
    """Power spectrogram (periodic Hann, centred frames with reflect padding) → slaney mel →
    10 log10, as `ClapFeatureExtractor` computes it (no top_db clipping)."""

    def __init__(self) -> None:
        self.window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)
        self.filterbank_t = slaney_mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS, FMIN, FMAX).T.astype(
            np.float32
        )

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        """`[n, 480000]` → `[n, 1, 1001, 64]` float32, the audio model's input."""
        features = np.stack([self._one(window) for window in windows])
        return features[:, None, :, :]

    def _one(self, window: np.ndarray) -> np.ndarray:
        padded = np.pad(window, N_FFT // 2, mode="reflect")
        frames = sliding_window_view(padded, N_FFT)[::HOP]
        power = np.abs(np.fft.rfft(frames * self.window, axis=-1)) ** 2
        mel = np.maximum(power.astype(np.float32) @ self.filterbank_t, _POWER_FLOOR)
        return (10.0 * np.log10(mel)).astype(np.float32)
