"""Embedded cover art is found in every container that has a place for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from plyr.audio import extract_cover, probe
from tests.audio.media import AudioFactory, make_image

WITH_COVER = [("mp3", None), ("flac", None), ("m4a", None), ("m4a", "alac")]
WITH_COVER += [("ogg", None), ("opus", None), ("wav", None), ("aiff", None)]


@pytest.mark.parametrize("fmt,codec", WITH_COVER)
def test_cover_is_extracted(audio: AudioFactory, cover_jpeg: bytes, fmt: str, codec: str) -> None:
    path = audio(fmt, codec=codec, seconds=1.0, cover=cover_jpeg)
    assert extract_cover(path) == cover_jpeg
    assert probe(path).has_cover


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4a", "opus", "webm"])
def test_no_cover(audio: AudioFactory, fmt: str) -> None:
    path = audio(fmt, seconds=1.0)
    assert extract_cover(path) is None
    assert not probe(path).has_cover


def test_png_cover_in_flac(audio: AudioFactory) -> None:
    png = make_image("png", (20, 10))
    assert extract_cover(audio("flac", seconds=1.0, cover=png)) == png


def test_cover_of_non_audio_is_none(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"nothing to see here" * 50)
    assert extract_cover(junk) is None
