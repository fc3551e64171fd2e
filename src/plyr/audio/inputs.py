"""Opening untrusted audio: with the demuxer its content sniffed as, local files only, and a
wall-clock deadline. Left to probe the format itself, ffmpeg takes an HLS or DASH playlist
that also holds MP3 frames (which `sniff_format` calls mp3) for a playlist, and opens the
files or URLs it names."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import av
from av.container import InputContainer

from plyr.audio.formats import AudioError
from plyr.audio.sniff import sniff_format

# ffmpeg's demuxer for each accepted format (`sniff_format`'s names)
DEMUXERS: dict[str, str] = {
    "mp3": "mp3",
    "wav": "wav",
    "m4a": "mov",
    "aiff": "aiff",
    "flac": "flac",
    "ogg": "ogg",
    "opus": "ogg",
    "webm": "matroska",
}
# no protocol but reading the local file itself: a container cannot pull in anything else
OPTIONS: dict[str, str] = {"protocol_whitelist": "file"}
# the longest any one pass over a file (probe, analysis, transcode) may take
DEADLINE_S = 30 * 60.0


class TookTooLong(AudioError):
    """Processing ran past DEADLINE_S (a pathological file, or a stuck decoder)."""

    def __init__(self) -> None:
        super().__init__(f"Processing the audio took longer than {DEADLINE_S / 60:.0f} minutes.")


def demuxer_of(path: Path) -> str:
    """The demuxer to read `path` with (UnsupportedAudio for anything else)."""
    return DEMUXERS[sniff_format(path)]


def open_input(path: Path, **kwargs: Any) -> InputContainer:
    """`av.open` for reading an uploaded file, its demuxer pinned."""
    return av.open(str(path), format=demuxer_of(path), options=dict(OPTIONS), **kwargs)


def cli_input_args(path: Path) -> list[str]:
    """The ffmpeg CLI's input options for `path`, the same rules as `open_input`."""
    return ["-protocol_whitelist", "file", "-f", demuxer_of(path), "-i", f"file:{path}"]


def deadline() -> float:
    """A `time.monotonic()` deadline for a pass starting now."""
    return time.monotonic() + DEADLINE_S


def check(until: float) -> None:
    if time.monotonic() > until:
        raise TookTooLong()
