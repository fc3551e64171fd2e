"""musicnn's log-mel front-end in numpy and float32, computed a frame range at a time.

Matches musicnn 0.1.0's `extractor.batch_data` (librosa's `melspectrogram` with its defaults:
centred frames with zero padding, a periodic Hann window, power 2, a slaney mel filterbank
with slaney area normalisation, then `log10(10000 * x + 1)`), except that upstream casts the
mel spectrogram to float16 before the log, where `10000 * x` overflows to inf on loud audio and
every loud track gets the same tags. Here everything stays float32.
"""

from functools import cache

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
# a change to anything above, or to the maths below, must change this (stored analyses record it)
FRONTEND_VERSION = "logmel-f32-v1"


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (as librosa with htk=False)."""
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    mel = hz / f_sp
    high = hz >= min_log_hz
    mel[high] = min_log_mel + np.log(hz[high] / min_log_hz) / logstep
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    hz = f_sp * mel
    high = mel >= min_log_mel
    hz[high] = min_log_hz * np.exp(logstep * (mel[high] - min_log_mel))
    return hz


@cache
def mel_filterbank() -> np.ndarray:
    """The (96, 257) slaney mel filterbank from 0 Hz to Nyquist, slaney-normalised (unit area)."""
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    mel_edges = np.linspace(
        _hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([SAMPLE_RATE / 2]))[0], N_MELS + 2
    )
    hz_edges = _mel_to_hz(mel_edges)
    widths = np.diff(hz_edges)
    ramps = hz_edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (hz_edges[2:] - hz_edges[:-2]))[:, None]
    return weights.astype(np.float32)


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
