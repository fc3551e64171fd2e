"""Fixtures for the plyr.audio tests: generated media, cached once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.audio.media import AudioFactory, make_audio, make_image

EXTENSIONS = {"m4a": "m4a", "ogg": "ogg", "opus": "opus", "webm": "webm"}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audio-media")


@pytest.fixture(scope="session")
def audio(media_dir: Path) -> AudioFactory:
    """`audio(fmt, **make_audio_kwargs)` -> a cached, generated file. Treat it as read-only."""
    cache: dict[tuple[Any, ...], Path] = {}

    def factory(fmt: str, **kwargs: Any) -> Path:
        key = (fmt, *sorted((k, repr(v)) for k, v in kwargs.items()))
        if key not in cache:
            path = media_dir / f"{len(cache)}.{EXTENSIONS.get(fmt, fmt)}"
            cache[key] = make_audio(path, fmt, **kwargs)
        return cache[key]

    return factory


@pytest.fixture
def copy_of(tmp_path: Path) -> Callable[[Path, str], Path]:
    """A private, writable copy of a cached file, under a chosen name."""

    def copy(src: Path, name: str) -> Path:
        dst = tmp_path / name
        shutil.copyfile(src, dst)
        return dst

    return copy


@pytest.fixture(scope="session")
def cover_jpeg() -> bytes:
    return make_image("jpeg", (32, 32))
