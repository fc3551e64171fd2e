"""Test-audio generators (PyAV for the audio, mutagen for tags and cover art).

Reusable by any test suite: ``from tests.audio.media import make_audio``. Everything is
generated on the fly, so no binary fixtures live in the repository.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import av
import mutagen
import numpy as np
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, TXXX, Frames
from mutagen.mp4 import MP4, MP4Cover

# name -> (fmt, codec, expected format, expected codec)
CASES: dict[str, tuple[str, str | None, str, str]] = {
    "mp3": ("mp3", None, "mp3", "mp3"),
    "flac": ("flac", None, "flac", "flac"),
    "wav": ("wav", None, "wav", "pcm_s16le"),
    "aiff": ("aiff", None, "aiff", "pcm_s16be"),
    "m4a-aac": ("m4a", None, "m4a", "aac"),
    "m4a-alac": ("m4a", "alac", "m4a", "alac"),
    "ogg-vorbis": ("ogg", None, "ogg", "vorbis"),
    "opus": ("opus", None, "opus", "opus"),
    "webm-opus": ("webm", None, "webm", "opus"),
    "webm-vorbis": ("webm", "vorbis", "webm", "vorbis"),
}

AudioFactory = Callable[..., Path]  # the `audio` fixture: (fmt, **make_audio kwargs) -> a file

# fmt -> (muxer, default codec)
FORMATS: dict[str, tuple[str, str]] = {
    "mp3": ("mp3", "libmp3lame"),
    "flac": ("flac", "flac"),
    "wav": ("wav", "pcm_s16le"),
    "aiff": ("aiff", "pcm_s16be"),
    "m4a": ("ipod", "aac"),
    "ogg": ("ogg", "vorbis"),
    "opus": ("ogg", "libopus"),
    "webm": ("webm", "libopus"),
}
_CHUNK = 8192
_ID3_KEYS = {"title": TIT2, "artist": TPE1, "album": TALB}
_MP4_KEYS = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "genre": "\xa9gen"}


def make_audio(
    path: Path,
    fmt: str,
    seconds: float = 2.0,
    codec: str | None = None,
    sample_rate: int = 44100,
    channels: int = 2,
    tags: dict[str, str] | None = None,
    cover: bytes | None = None,
    *,
    frequency: float = 440.0,
    amplitude: float = 0.5,
    noise: float = 0.0,
    muxer: str | None = None,
) -> Path:
    """Write `seconds` of a sine (plus optional white noise) as `fmt` and return `path`.

    `fmt` is one of FORMATS; `codec` overrides the default encoder (e.g. "alac" for m4a,
    "vorbis"/"libopus" for webm). Tags are written with mutagen (PyAV metadata for webm);
    `cover` (image bytes) is embedded for every format but webm. Opus is always encoded at
    48 kHz (its only real rate). `muxer` overrides the container (e.g. "matroska", "adts").
    """
    default_muxer, default_codec = FORMATS[fmt]
    muxer = muxer or default_muxer
    if (codec or default_codec) == "vorbis" and channels != 2:
        raise ValueError("FFmpeg's native Vorbis encoder only does stereo")
    if fmt == "webm" and cover is not None:
        raise ValueError("WebM has no standard place for cover art")
    codec = codec or default_codec
    if codec in ("libopus", "opus"):
        sample_rate = 48000
    path = Path(path)
    with av.open(str(path), "w", format=muxer) as container:
        if fmt == "webm" and tags:
            container.metadata.update({k.upper(): v for k, v in tags.items()})
        _encode(container, codec, seconds, sample_rate, channels, frequency, amplitude, noise)
    if tags or cover is not None:
        _tag(path, fmt, tags or {}, cover)
    return path


def _encode(
    container: av.container.OutputContainer,
    codec: str,
    seconds: float,
    rate: int,
    channels: int,
    frequency: float,
    amplitude: float,
    noise: float,
) -> None:
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    stream = cast(av.AudioStream, container.add_stream(codec, rate=rate, layout=layout))
    if codec == "vorbis":
        stream.codec_context.options = {"strict": "experimental"}
    fmt = "s16" if codec.startswith("pcm_") or codec in ("flac", "alac") else "fltp"
    pts = 0
    for block in signal_blocks(seconds, rate, channels, frequency, amplitude, noise):
        frame = _frame(block, rate, layout, fmt)
        frame.pts = pts
        pts += block.shape[1]
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def signal_blocks(
    seconds: float,
    rate: int,
    channels: int,
    frequency: float = 440.0,
    amplitude: float = 0.5,
    noise: float = 0.0,
) -> Iterator[np.ndarray]:
    """Yield float32 blocks shaped (channels, n) of a sine at `amplitude` plus noise."""
    total = round(seconds * rate)
    rng = np.random.default_rng(1234)
    for start in range(0, total, _CHUNK):
        n = min(_CHUNK, total - start)
        t = (np.arange(start, start + n, dtype=np.float64)) / rate
        mono = amplitude * np.sin(2 * np.pi * frequency * t)
        block = np.repeat(mono[None, :], channels, axis=0)
        if noise:
            block += noise * rng.standard_normal((channels, n))
        yield np.clip(block, -1.0, 1.0).astype(np.float32)


def _frame(block: np.ndarray, rate: int, layout: str, fmt: str) -> av.AudioFrame:
    if fmt == "s16":
        data = np.round(block * 32767).astype(np.int16).T.reshape(1, -1)
    else:
        data = np.ascontiguousarray(block)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout=layout)
    frame.sample_rate = rate
    return frame


def _tag(path: Path, fmt: str, tags: dict[str, str], cover: bytes | None) -> None:
    if fmt in ("mp3", "wav", "aiff"):
        _tag_id3(path, fmt, tags, cover)
    elif fmt == "flac":
        flac = FLAC(path)
        for key, value in tags.items():
            flac[key] = value
        if cover is not None:
            flac.add_picture(_picture(cover))
        flac.save()
    elif fmt == "m4a":
        mp4 = MP4(path)
        for key, value in tags.items():
            mp4[_MP4_KEYS.get(key, f"----:com.apple.iTunes:{key}")] = (
                [value] if key in _MP4_KEYS else [value.encode()]
            )
        if cover is not None:
            mp4["covr"] = [MP4Cover(cover, imageformat=_mp4_image_format(cover))]
        mp4.save()
    elif fmt in ("ogg", "opus"):
        ogg = mutagen.File(path)
        assert ogg is not None
        for key, value in tags.items():
            ogg[key] = value
        if cover is not None:
            ogg["metadata_block_picture"] = [base64.b64encode(_picture(cover).write()).decode()]
        ogg.save()


def _tag_id3(path: Path, fmt: str, tags: dict[str, str], cover: bytes | None) -> None:
    if fmt == "mp3":
        id3 = ID3()
        save = lambda: id3.save(path)  # noqa: E731
    else:
        holder = mutagen.File(path)
        assert holder is not None
        if holder.tags is None:
            holder.add_tags()
        id3 = holder.tags
        save = holder.save
    for key, value in tags.items():
        frame_cls = _ID3_KEYS.get(key)
        if frame_cls is not None:
            id3.add(frame_cls(encoding=3, text=value))
        elif key.upper() in Frames:
            id3.add(Frames[key.upper()](encoding=3, text=value))
        else:
            id3.add(TXXX(encoding=3, desc=key, text=value))
    if cover is not None:
        id3.add(APIC(encoding=3, mime=_mime(cover), type=3, desc="cover", data=cover))
    save()


def _picture(cover: bytes) -> Picture:
    pic = Picture()
    pic.type = 3
    pic.mime = _mime(cover)
    pic.desc = "cover"
    pic.data = cover
    return pic


def _mime(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


def _mp4_image_format(data: bytes) -> int:
    return MP4Cover.FORMAT_PNG if data.startswith(b"\x89PNG") else MP4Cover.FORMAT_JPEG


def make_image(fmt: str = "jpeg", size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    """A small gradient image encoded as `fmt` (any Pillow format name)."""
    from PIL import Image

    width, height = size
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, 1)
    img = Image.fromarray(np.stack([x, y, np.full_like(x, 128)], axis=2), "RGB")
    out = io.BytesIO()
    img.save(out, format=fmt, **save)
    return out.getvalue()


def make_video(path: Path, muxer: str = "mp4", codec: str = "mpeg4", seconds: float = 1.0) -> Path:
    """A video-only file (no audio stream)."""
    with av.open(str(path), "w", format=muxer) as container:
        stream = cast(av.VideoStream, container.add_stream(codec, rate=10))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(max(1, int(seconds * 10))):
            img = np.full((48, 64, 3), (i * 20) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_samples(
    path: Path, samples: np.ndarray, sample_rate: int = 44100, fmt: str = "flac"
) -> Path:
    """Encode float samples shaped (channels, n) in -1..1 losslessly (`fmt`: flac or wav)."""
    muxer, codec = FORMATS[fmt]
    channels = samples.shape[0]
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    with av.open(str(path), "w", format=muxer) as container:
        stream = cast(av.AudioStream, container.add_stream(codec, rate=sample_rate, layout=layout))
        for start in range(0, samples.shape[1], _CHUNK):
            block = samples[:, start : start + _CHUNK].astype(np.float32)
            frame = _frame(block, sample_rate, layout, "s16")
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return Path(path)
