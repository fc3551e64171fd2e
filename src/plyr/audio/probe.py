"""Full metadata of an audio file: format, codec, duration, stream parameters, tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
from av.audio.stream import AudioStream
from av.container import InputContainer

from plyr.audio import inputs
from plyr.audio.formats import AudioError, CorruptAudio, UnsupportedAudio, unsupported_message
from plyr.audio.sniff import sniff_format
from plyr.audio.tags import extract_cover, read_tags

# sniff_format and extract_cover live in their own modules; re-exported here as well
__all__ = ["AudioInfo", "extract_cover", "needs_transcode", "probe", "sniff_format"]


@dataclass(frozen=True)
class AudioInfo:
    format: str  # canonical extension from ACCEPTED_FORMATS, decided by content
    codec: str  # e.g. "mp3", "flac", "pcm_s16be", "alac", "aac", "opus", "vorbis"
    duration: float | None  # seconds
    sample_rate: int
    channels: int
    bit_rate: int | None
    tags: dict[str, str] = field(default_factory=dict)
    has_cover: bool = False


def probe(path: Path) -> AudioInfo:
    """Read the container and stream headers, check that audio decodes, and read the tags.

    Raises UnsupportedAudio when the content is not an accepted audio format (or has no
    audio stream) and CorruptAudio when it is one but cannot be read.
    """
    fmt = sniff_format(path)
    try:
        with inputs.open_input(path, metadata_errors="replace") as container:
            info = _inspect(container, fmt)
            metadata = dict(container.metadata)
            metadata.update({k: v for k, v in info.tags.items() if k not in metadata})
    except AudioError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise CorruptAudio(f"The {fmt} file is damaged and could not be read ({exc}).") from exc
    return AudioInfo(
        format=info.format,
        codec=info.codec,
        duration=info.duration,
        sample_rate=info.sample_rate,
        channels=info.channels,
        bit_rate=info.bit_rate,
        tags=read_tags(path, fallback=metadata),
        has_cover=extract_cover(path) is not None,
    )


def _inspect(container: InputContainer, fmt: str) -> AudioInfo:
    if not container.streams.audio:
        raise UnsupportedAudio(unsupported_message("The file contains no audio"))
    stream = container.streams.audio[0]
    ctx = stream.codec_context
    codec = ctx.codec.canonical_name if ctx.codec is not None else None
    if not codec or not ctx.sample_rate:
        raise CorruptAudio(f"The {fmt} file has an unreadable audio stream.")
    if fmt == "ogg" and codec == "opus":
        fmt = "opus"
    _check_decodes(container, stream, fmt)
    return AudioInfo(
        format=fmt,
        codec=codec,
        duration=_duration(container, stream),
        sample_rate=ctx.sample_rate,
        channels=ctx.channels or 0,
        bit_rate=ctx.bit_rate or container.bit_rate or None,
        tags={k.lower(): v for k, v in stream.metadata.items()},
    )


def _duration(container: InputContainer, stream: AudioStream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    return None


def _check_decodes(container: InputContainer, stream: AudioStream, fmt: str) -> None:
    """Decode the first audio frame: catches files whose header is fine but data is not."""
    for frame in container.decode(stream):
        if frame.samples:
            return
    raise CorruptAudio(f"The {fmt} file contains no audio data.")


def needs_transcode(info: AudioInfo) -> bool:
    """True when browsers can't play the file as uploaded: AIFF, ALAC, and non-PCM WAV."""
    if info.format == "aiff" or info.codec == "alac":
        return True
    return info.format == "wav" and not info.codec.startswith("pcm_")
