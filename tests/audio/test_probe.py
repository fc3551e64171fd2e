"""Content sniffing and probing: every accepted format, and everything that must be refused."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from plyr.audio import (
    ACCEPTED_FORMATS,
    CONTENT_TYPES,
    AudioError,
    AudioInfo,
    CorruptAudio,
    UnsupportedAudio,
    analyze,
    extract_cover,
    needs_transcode,
    probe,
    sniff_format,
)
from tests.audio.media import CASES, AudioFactory, make_audio, make_image, make_video

TAGS = {"title": "Sonata «No. 1»", "artist": "Ünïcode Artist", "album": "Album"}


def test_content_types_cover_every_accepted_format() -> None:
    assert set(CONTENT_TYPES) == set(ACCEPTED_FORMATS)
    assert CONTENT_TYPES["opus"] == "audio/ogg"
    assert issubclass(UnsupportedAudio, AudioError) and issubclass(CorruptAudio, AudioError)


@pytest.mark.parametrize("case", list(CASES))
def test_every_accepted_format_is_recognised(audio: AudioFactory, case: str) -> None:
    fmt, codec, expected_format, expected_codec = CASES[case]
    path = audio(fmt, codec=codec, seconds=2.0, tags=TAGS)

    assert sniff_format(path) == expected_format
    info = probe(path)
    assert info.format == expected_format
    assert info.codec == expected_codec
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.sample_rate == (48000 if expected_codec == "opus" else 44100)
    assert info.channels == 2
    assert info.bit_rate is None or info.bit_rate > 0


@pytest.mark.parametrize("case", list(CASES))
def test_tags_are_normalized(audio: AudioFactory, case: str) -> None:
    fmt, codec, _, _ = CASES[case]
    path = audio(fmt, codec=codec, seconds=2.0, tags=TAGS)
    tags = probe(path).tags
    assert {k: tags.get(k) for k in TAGS} == TAGS
    assert all(key == key.lower() for key in tags)


def test_format_is_decided_by_content_not_name(
    audio: AudioFactory, copy_of: Callable[[Path, str], Path]
) -> None:
    mislabelled = copy_of(audio("mp3"), "song.flac")
    assert sniff_format(mislabelled) == "mp3"
    assert probe(mislabelled).format == "mp3"
    no_extension = copy_of(audio("opus"), "upload")
    assert probe(no_extension).format == "opus"


def test_mono_and_other_rates(audio: AudioFactory) -> None:
    info = probe(audio("flac", channels=1, sample_rate=22050, seconds=1.0))
    assert (info.channels, info.sample_rate) == (1, 22050)
    assert info.duration == pytest.approx(1.0, abs=0.05)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "name,make",
    [
        ("empty.mp3", lambda p: _write(p, b"")),
        ("random.mp3", lambda p: _write(p, os.urandom(200_000))),
        ("text.wav", lambda p: _write(p, b"this is not audio, just some text\n" * 100)),
        ("cover.png", lambda p: _write(p, make_image("png"))),
        ("photo.mp3", lambda p: _write(p, make_image("jpeg", (400, 300)))),
        ("video.mp4", lambda p: make_video(p, "mp4", "mpeg4")),
        ("video.webm", lambda p: make_video(p, "webm", "libvpx")),
        ("video.m4a", lambda p: make_video(p, "ipod", "mpeg4")),
    ],
)
def test_non_audio_is_unsupported(tmp_path: Path, name: str, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path / name)
    with pytest.raises(UnsupportedAudio) as excinfo:
        sniff_format(path)
    assert "mp3, wav, m4a, aiff, flac, ogg, opus, webm" in str(excinfo.value)
    with pytest.raises(UnsupportedAudio):
        probe(path)


@pytest.mark.parametrize(
    "fmt,codec,muxer",
    [("flac", "flac", "matroska"), ("m4a", "aac", "adts"), ("mp3", "mp2", "mp2")],
)
def test_other_audio_formats_are_unsupported(
    tmp_path: Path, fmt: str, codec: str, muxer: str
) -> None:
    path = make_audio(tmp_path / f"audio.{muxer}", fmt, seconds=1.0, codec=codec, muxer=muxer)
    with pytest.raises(UnsupportedAudio):
        probe(path)


def test_mp3_behind_a_large_id3_tag(tmp_path: Path) -> None:
    cover = b"\xff\xd8\xff\xe0" + os.urandom(1_000_000)  # 1 MB of "JPEG" in the tag
    path = make_audio(tmp_path / "a.mp3", "mp3", seconds=1.0, cover=cover)
    assert path.read_bytes().startswith(b"ID3")
    assert sniff_format(path) == "mp3"
    assert extract_cover(path) == cover


def test_header_only_file_is_corrupt(audio: AudioFactory, tmp_path: Path) -> None:
    data = audio("flac", seconds=2.0).read_bytes()
    stub = _write(tmp_path / "stub.flac", data[:42])  # fLaC + STREAMINFO, no frames
    with pytest.raises(CorruptAudio):
        probe(stub)


def test_truncated_flac_is_reported_as_truncated(audio: AudioFactory, tmp_path: Path) -> None:
    data = audio("flac", seconds=10.0, noise=0.1).read_bytes()
    cut = _write(tmp_path / "cut.flac", data[: int(len(data) * 0.3)])
    with pytest.raises(CorruptAudio, match="truncated"):
        info = probe(cut)  # the header still claims 10 s
        analyze(cut, expected_duration=info.duration)


def test_sniff_is_constant_time_on_a_huge_file(audio: AudioFactory, tmp_path: Path) -> None:
    """1 GB (sparse) M4A with its moov box after the media data, and a 1 GB WAV."""
    m4a = audio("m4a", seconds=1.0).read_bytes()
    ftyp_size = int.from_bytes(m4a[:4], "big")
    moov_at = m4a.index(b"moov") - 4
    huge = tmp_path / "huge.m4a"
    with open(huge, "wb") as f:
        f.write(m4a[:ftyp_size])
        mdat_size = 1 << 30
        f.write(mdat_size.to_bytes(4, "big") + b"mdat")
        f.seek(ftyp_size + mdat_size)
        f.write(m4a[moov_at : moov_at + int.from_bytes(m4a[moov_at : moov_at + 4], "big")])
    wav = tmp_path / "huge.wav"
    with open(wav, "wb") as f:
        f.write(audio("wav", seconds=0.1).read_bytes())
        f.truncate(1 << 30)
    for path, fmt in ((huge, "m4a"), (wav, "wav")):
        start = time.perf_counter()
        assert sniff_format(path) == fmt
        assert time.perf_counter() - start < 0.05


def _info(fmt: str, codec: str) -> AudioInfo:
    return AudioInfo(fmt, codec, 1.0, 44100, 2, None, {}, False)


@pytest.mark.parametrize("case", list(CASES))
def test_needs_transcode_only_for_aiff_and_alac(audio: AudioFactory, case: str) -> None:
    fmt, codec, _, _ = CASES[case]
    expected = case in ("aiff", "m4a-alac")
    assert needs_transcode(probe(audio(fmt, codec=codec, seconds=2.0))) is expected


def test_needs_transcode_for_non_pcm_wav() -> None:
    assert needs_transcode(_info("wav", "adpcm_ms"))
    assert not needs_transcode(_info("wav", "pcm_f32le"))
