"""The Slaney mel filterbank both front-ends use (musicnn's and CLAP's): librosa's
`filters.mel(htk=False, norm="slaney")`, also transformers' `mel_filter_bank(norm="slaney",
mel_scale="slaney")`. The Slaney (Auditory Toolbox) scale is linear below 1 kHz and
logarithmic above; each filter has unit area. An HTK-scale or peak-normalised bank gives
features a model was never trained on: plausible-looking and wrong."""

from __future__ import annotations

import numpy as np

# The Slaney scale: 3 mels per 200 Hz up to 1 kHz (mel 15), then 27 mels per factor 6.4
_LINEAR_HZ_PER_MEL = 200.0 / 3
_LOG_START_HZ = 1000.0
_LOG_START_MEL = _LOG_START_HZ / _LINEAR_HZ_PER_MEL
_MELS_PER_LOG_HZ = 27.0 / np.log(6.4)


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _LINEAR_HZ_PER_MEL
    with np.errstate(divide="ignore"):
        logarithmic = _LOG_START_MEL + np.log(hz / _LOG_START_HZ) * _MELS_PER_LOG_HZ
    return np.where(hz >= _LOG_START_HZ, logarithmic, linear)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _LINEAR_HZ_PER_MEL
    logarithmic = _LOG_START_HZ * np.exp((mel - _LOG_START_MEL) / _MELS_PER_LOG_HZ)
    return np.where(mel >= _LOG_START_MEL, logarithmic, linear)


def slaney_mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float
) -> np.ndarray:
    """`[n_mels, 1 + n_fft // 2]` triangular filters, equally spaced in Slaney mels, each of
    unit area in Hz (triangles scaled by 2 / bandwidth), float64 like librosa's."""
    fft_hz = np.linspace(0.0, sample_rate / 2, 1 + n_fft // 2)
    # n_mels + 2 edges: filter i rises from edge i, peaks at edge i+1 and falls to edge i+2
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges_hz)
    offsets = edges_hz[:, None] - fft_hz[None, :]
    rising = -offsets[:-2] / widths[:-1, None]
    falling = offsets[2:] / widths[1:, None]
    triangles = np.maximum(0.0, np.minimum(rising, falling))
    area_norm = 2.0 / (edges_hz[2:] - edges_hz[:-2])
    return triangles * area_norm[:, None]
