"""analyze(): loudness, waveform envelope, truncation, constant memory."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from plyr.audio import CorruptAudio, analyze, probe
from tests.audio.media import AudioFactory, write_samples


@pytest.mark.parametrize("amplitude", [0.25, 0.5, 0.9])
def test_peaks_follow_the_amplitude(audio: AudioFactory, amplitude: float) -> None:
    result = analyze(audio("flac", seconds=2.0, amplitude=amplitude), points=200)
    assert len(result.peaks) == 200
    assert result.duration == pytest.approx(2.0, abs=0.01)
    # every bucket spans many periods of the 440 Hz tone, so it reaches both extremes
    for lo, hi in result.peaks:
        assert hi == pytest.approx(amplitude, abs=0.01)
        assert lo == pytest.approx(-amplitude, abs=0.01)


def test_peaks_are_in_time_order_and_use_the_loudest_channel(tmp_path: Path) -> None:
    rate = 8000
    t = np.arange(4 * rate) / rate
    left = np.where(t < 2, 0.0, 0.8 * np.sin(2 * np.pi * 100 * t))  # silent, then loud
    right = np.where(t < 2, 0.1 * np.sin(2 * np.pi * 100 * t), 0.0)  # quiet, then silent
    path = write_samples(tmp_path / "steps.flac", np.stack([left, right]), rate)

    peaks = analyze(path, points=40).peaks
    assert len(peaks) == 40
    assert all(hi == pytest.approx(0.1, abs=0.01) for _, hi in peaks[:19])
    assert all(hi == pytest.approx(0.8, abs=0.01) for _, hi in peaks[21:])
    assert all(lo == pytest.approx(-0.8, abs=0.01) for lo, _ in peaks[21:])


@pytest.mark.parametrize("channels", [1, 2])
def test_loudness_of_a_minus_20_dbfs_sine(audio: AudioFactory, channels: int) -> None:
    """BS.1770 calibration: a 0 dBFS 1 kHz sine in one channel reads -3.01 LUFS, so the
    same sine at -20 dBFS in both channels reads -20 LUFS; a mono file counts as dual mono
    (it plays on both speakers), so it reads the same."""
    amplitude = 10 ** (-20 / 20)
    path = audio("flac", seconds=5.0, frequency=1000.0, amplitude=amplitude, channels=channels)
    result = analyze(path)
    assert result.loudness_lufs == pytest.approx(-20.0, abs=0.1)


def test_louder_noise_is_louder(audio: AudioFactory) -> None:
    quiet = analyze(audio("flac", seconds=3.0, amplitude=0.0, noise=0.01)).loudness_lufs
    loud = analyze(audio("flac", seconds=3.0, amplitude=0.0, noise=0.1)).loudness_lufs
    assert quiet is not None and loud is not None
    assert loud - quiet == pytest.approx(20.0, abs=0.5)


def test_silence(audio: AudioFactory) -> None:
    result = analyze(audio("wav", seconds=2.0, amplitude=0.0), points=300)
    assert result.loudness_lufs is None
    assert len(result.peaks) == 300
    assert all(lo == 0.0 and hi == 0.0 for lo, hi in result.peaks)


def test_too_short_for_loudness_has_fewer_peaks(audio: AudioFactory) -> None:
    result = analyze(audio("wav", seconds=0.01, sample_rate=8000), points=1000)
    assert result.loudness_lufs is None  # shorter than one 400 ms gating block
    assert len(result.peaks) == 80  # one pair per sample


@pytest.mark.parametrize("points", [1, 7, 1000, 4321])
def test_exact_number_of_points(audio: AudioFactory, points: int) -> None:
    result = analyze(audio("mp3", seconds=3.0), points=points)
    assert len(result.peaks) == points
    assert all(-1.0 <= lo <= hi <= 1.0 for lo, hi in result.peaks)


@pytest.mark.parametrize("fmt,codec", [("m4a", None), ("m4a", "alac"), ("opus", None)])
def test_other_codecs(audio: AudioFactory, fmt: str, codec: str | None) -> None:
    result = analyze(audio(fmt, codec=codec, seconds=2.0, amplitude=0.5))
    assert result.duration == pytest.approx(2.0, abs=0.1)
    assert result.loudness_lufs is not None and -12 < result.loudness_lufs < -6
    assert max(hi for _, hi in result.peaks) == pytest.approx(0.5, abs=0.05)


def test_progress(audio: AudioFactory) -> None:
    progress: list[float] = []
    analyze(audio("flac", seconds=5.0), on_progress=progress.append)
    assert len(progress) > 10
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_truncated_file(audio: AudioFactory, tmp_path: Path) -> None:
    data = audio("flac", seconds=20.0, noise=0.2).read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: int(len(data) * 0.3)])
    expected = probe(cut).duration
    assert expected == pytest.approx(20.0, abs=0.01)  # the header doesn't know
    with pytest.raises(CorruptAudio, match=r"truncated: decoded \d+\.\d s of 20\.0 s"):
        analyze(cut, expected_duration=expected)
    # within the tolerance: max(1 s, 2%)
    analyze(audio("flac", seconds=20.0, noise=0.2), expected_duration=20.9)


def test_undecodable_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.flac"
    junk.write_bytes(b"definitely not audio " * 100)
    with pytest.raises(CorruptAudio):
        analyze(junk)


def _peak_memory(path: Path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        analyze(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_length(audio: AudioFactory) -> None:
    kwargs = {"sample_rate": 8000, "channels": 1, "noise": 0.1}
    short = _peak_memory(audio("flac", seconds=60.0, **kwargs))
    long = _peak_memory(audio("flac", seconds=600.0, **kwargs))
    assert long - short < 5 * 1024 * 1024, (short, long)
