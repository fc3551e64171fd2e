"""musicnn's log-mel front-end in numpy and float32, computed a frame range at a time.

Matches musicnn 0.1.0's `extractor.batch_data` (librosa's `melspectrogram` with its defaults:
centred frames with zero padding, a periodic Hann window, power 2, a slaney mel filterbank
with slaney area normalisation, then `log10(10000 * x + 1)`), except that upstream casts the
mel spectrogram to float16 before the log, where `10000 * x` overflows to inf on loud audio and
every loud track gets the same tags. Here everything stays float32.
"""

from functools import cache

import numpy as np

from plyr.discovery.models.mel import slaney_mel_filterbank

SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
# a change to anything above, or to the maths below, must change this (stored analyses record it)
FRONTEND_VERSION = "logmel-f32-v1"


@cache
def mel_filterbank() -> np.ndarray:
    """The (96, 257) slaney mel filterbank from 0 Hz to Nyquist, slaney-normalised (unit area)."""
    return slaney_mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS, 0.0, SAMPLE_RATE / 2).astype(
        np.float32
    )


@cache
def _window() -> np.ndarray:
    # periodic Hann (the DFT-even window librosa takes from scipy's get_window)
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float64)


def frame_count(n_samples: int) -> int:
    """How many centred frames a signal of `n_samples` has (librosa's `1 + n // hop`)."""
    return 1 + n_samples // HOP


def log_mel(samples: np.ndarray, first_frame: int = 0, n_frames: int | None = None) -> np.ndarray:
    """Log-mel frames `[first_frame, first_frame + n_frames)` of 16 kHz mono `samples`: (n, 96).

    Frame k is centred on sample k * HOP, zero-padded beyond the signal's ends, so any range
    equals the same rows of the whole signal's spectrogram: long audio is processed a range at
    a time without holding its whole spectrogram.
    """
    if n_frames is None:
        n_frames = frame_count(len(samples)) - first_frame
    start = first_frame * HOP - N_FFT // 2
    stop = (first_frame + n_frames - 1) * HOP + N_FFT // 2
    span = np.zeros(stop - start, dtype=np.float64)
    lo, hi = max(start, 0), min(stop, len(samples))
    if hi > lo:
        span[lo - start : hi - start] = samples[lo:hi]
        np.nan_to_num(span, copy=False, posinf=0.0, neginf=0.0)  # a bad decode is silence
    frames = np.lib.stride_tricks.sliding_window_view(span, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * _window(), axis=1)).astype(np.float32) ** 2
    mel = power @ mel_filterbank().T
    return np.log10(np.float32(10000) * mel + np.float32(1), dtype=np.float32)
