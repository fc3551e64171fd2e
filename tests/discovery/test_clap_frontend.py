"""CLAP's front-end: the Slaney mel scale and area-normalised filterbank (librosa's
`filters.mel(htk=False, norm="slaney")`) checked by their defining properties, and the log-mel
features pinned to values transformers' `ClapFeatureExtractor` computed once for the same
generated signal (librosa and transformers are not dependencies of plyr)."""

from __future__ import annotations

import numpy as np
import pytest

from plyr.discovery.models.clap_frontend import (
    FMAX,
    FMIN,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    LogMel,
    split_windows,
)
from plyr.discovery.models.mel import hz_to_mel, mel_to_hz
from plyr.discovery.models.mel import slaney_mel_filterbank as bank_of


def slaney_mel_filterbank() -> np.ndarray:
    """CLAP's bank: 64 filters over 50 Hz to 14 kHz at 48 kHz with a 1024-point FFT."""
    return bank_of(SAMPLE_RATE, N_FFT, N_MELS, FMIN, FMAX)


BIN_HZ = SAMPLE_RATE / N_FFT


def edges_hz() -> np.ndarray:
    return mel_to_hz(np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), N_MELS + 2))


def test_the_slaney_scale_is_linear_to_1khz_then_27_mels_per_factor_6_4() -> None:
    np.testing.assert_allclose(hz_to_mel([0.0, 200 / 3, 500.0, 1000.0]), [0, 1, 7.5, 15])
    np.testing.assert_allclose(hz_to_mel([6400.0, 6400 * 6.4]), [42.0, 69.0])
    hz = np.geomspace(1.0, SAMPLE_RATE / 2, 200)
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)), hz, rtol=1e-12)
    # HTK's 2595 log10(1 + f/700) puts 1 kHz at ~1000 mels: a different scale altogether
    assert hz_to_mel(1000.0) == pytest.approx(15.0)


def test_filter_centres_are_evenly_spaced_in_hz_below_1khz_and_geometric_above() -> None:
    edges = edges_hz()
    assert edges[0] == pytest.approx(FMIN) and edges[-1] == pytest.approx(FMAX)
    low, high = edges[edges < 1000.0], edges[edges > 1000.0]
    np.testing.assert_allclose(np.diff(low), np.diff(low)[0])
    ratios = high[1:] / high[:-1]
    np.testing.assert_allclose(ratios, ratios[0])


def test_each_filter_is_a_triangle_of_unit_area_between_its_neighbours_centres() -> None:
    bank = slaney_mel_filterbank()
    edges = edges_hz()
    fft_hz = np.arange(bank.shape[1]) * BIN_HZ
    assert bank.shape == (N_MELS, 1 + N_FFT // 2)
    assert (bank >= 0).all()
    for i, row in enumerate(bank):
        outside = (fft_hz <= edges[i]) | (fft_hz >= edges[i + 2])
        assert not row[outside].any()
        height = 2.0 / (edges[i + 2] - edges[i])  # area 1: base * height / 2
        assert row.max() <= height * (1 + 1e-9)
        assert abs(fft_hz[row.argmax()] - edges[i + 1]) <= BIN_HZ
        if edges[i + 2] - edges[i] > 10 * BIN_HZ:  # sampled finely enough to integrate
            assert row.sum() * BIN_HZ == pytest.approx(1.0, abs=0.01)
            assert row.max() >= 0.9 * height


def test_it_matches_librosas_slaney_bank_at_a_few_pinned_values() -> None:
    """librosa 0.11's `filters.mel(sr=48000, n_fft=1024, n_mels=64, fmin=50, fmax=14000)`."""
    bank = slaney_mel_filterbank()
    np.testing.assert_allclose(
        bank.max(axis=1)[[0, 1, 2, 3, 4, -3, -2, -1]],
        [
            *(0.01501181, 0.01257221, 0.0108307, 0.0132703, 0.01570991),
            *(0.00148679, 0.00141398, 0.00131327),
        ],
        rtol=1e-5,
    )


def chirp(seconds: float) -> np.ndarray:
    """A log sweep from 50 Hz to 14 kHz over 10 s with a steady 440 Hz tone."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    rate = np.log(FMAX / FMIN) / 10
    sweep = np.sin(2 * np.pi * FMIN / rate * (np.exp(rate * t) - 1))
    return (0.5 * sweep + 0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


# transformers' ClapFeatureExtractor (feature_size 64, 48 kHz, hop 480, fft 1024, fmin 50,
# fmax 14000, rand_trunc, repeatpad) on chirp(10): mean dB per mel band, and per frame
BAND_MEANS_DB = [
    -24.416, -21.349, -19.772, -17.177, -10.753, 9.594, 16.679, 14.013, -2.258, -16.953,
    -25.548, -31.603, -36.410, -41.047, -44.101, -46.799, -49.284, -51.405, -53.338, -56.314,
    -57.683, -59.738, -61.521, -63.471, -65.117, -66.902, -68.588, -70.253, -71.896, -73.534,
    -74.746, -76.613, -77.994, -79.527, -81.045, -82.529, -83.770, -85.065, -86.219, -87.349,
    -88.374, -89.162, -90.051, -90.736, -91.405, -92.038, -92.532, -92.938, -93.313, -93.641,
    -93.906, -94.167, -94.388, -94.574, -94.751, -94.931, -95.144, -95.368, -95.539, -95.686,
    -95.838, -96.001, -96.253, -96.861,
]  # fmt: skip
FRAMES_PINNED = [0, 350, 700, 1000]
FRAME_MEANS_DB = [-24.372, -66.217, -62.449, -14.549]
# on chirp(7): repeat-padded once, then 3 s of zeros (-100 dB, the power floor)
SHORT_FRAME_MEANS_DB = [-24.372, -66.217, -11.021, -100.0]


def test_log_mel_matches_transformers_clap_feature_extractor() -> None:
    features = LogMel()(split_windows(chirp(10)))[0, 0]
    np.testing.assert_allclose(features.mean(axis=0), BAND_MEANS_DB, atol=0.01)
    np.testing.assert_allclose(features[FRAMES_PINNED].mean(axis=1), FRAME_MEANS_DB, atol=0.01)

    short = LogMel()(split_windows(chirp(7)))[0, 0]
    np.testing.assert_allclose(short[FRAMES_PINNED].mean(axis=1), SHORT_FRAME_MEANS_DB, atol=0.01)
