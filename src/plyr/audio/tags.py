"""Tags and embedded cover art, read with mutagen (PyAV as the fallback)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import av
import mutagen
from mutagen.flac import Picture
from mutagen.id3 import ID3

from plyr.audio import inputs
from plyr.audio.formats import AudioError

MAX_TAGS = 64
MAX_TAG_LENGTH = 1000
_FRONT_COVER = 3

# ID3 frames -> normalized keys, for files whose tags mutagen has no "easy" view of (WAV, AIFF)
_ID3_KEYS = {
    "TIT2": "title",
    "TPE1": "artist",
    "TALB": "album",
    "TPE2": "albumartist",
    "TRCK": "tracknumber",
    "TPOS": "discnumber",
    "TCON": "genre",
    "TDRC": "date",
    "TCOM": "composer",
    "TSRC": "isrc",
    "TBPM": "bpm",
}
# keys that describe the file rather than the work, or hold binary data
_IGNORED = {
    "encoder",
    "encoded_by",
    "major_brand",
    "minor_version",
    "compatible_brands",
    "creation_time",
    "handler_name",
    "vendor_id",
    "duration",
    "metadata_block_picture",
    "coverart",
    "covr",
}


def read_tags(path: Path, fallback: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tags with normalized lowercase keys (title, artist, album, ...).

    mutagen's view (easy where available) wins; when it finds nothing, `fallback` (e.g. the
    PyAV container metadata) is used instead. Multiple values are joined with "; ".
    """
    tags: dict[str, str] = {}
    mf = _mutagen_file(path, easy=True)
    if mf is not None and mf.tags is not None:
        if isinstance(mf.tags, ID3):
            tags = _from_id3(mf.tags)
        else:
            # .keys(): iterating a VCommentDict itself yields (key, value) pairs
            tags = _clean((key, mf.tags[key]) for key in mf.tags.keys())  # noqa: SIM118
    if not tags and fallback:
        tags = _clean(fallback.items())
    return tags


def _from_id3(id3: ID3) -> dict[str, str]:
    pairs: list[tuple[str, Any]] = []
    for frame in id3.values():
        if frame.FrameID == "TXXX":
            pairs.append((frame.desc, frame.text))
        elif frame.FrameID in _ID3_KEYS:
            pairs.append((_ID3_KEYS[frame.FrameID], frame.text))
    return _clean(pairs)


def _clean(pairs: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        name = str(key).strip().lower()
        if not name or name in _IGNORED or name in out:
            continue
        values = value if isinstance(value, list) else [value]
        text = "; ".join(str(v) for v in values if not isinstance(v, bytes | bytearray))
        text = text.replace("\x00", "").strip()
        if text:
            out[name] = text[:MAX_TAG_LENGTH]
        if len(out) >= MAX_TAGS:
            break
    return out


def extract_cover(path: Path) -> bytes | None:
    """The embedded cover art (front cover preferred), or None.

    Reads ID3 APIC (MP3, WAV, AIFF), FLAC pictures, MP4 covr and Ogg
    METADATA_BLOCK_PICTURE with mutagen, then falls back to an attached picture or an image
    attachment stream as seen by PyAV.
    """
    mf = _mutagen_file(path, easy=False)
    data = _mutagen_cover(mf) if mf is not None else None
    return data or _pyav_cover(path)


def _mutagen_file(path: Path, *, easy: bool) -> Any:
    try:
        return mutagen.File(path, easy=easy)
    except Exception:  # mutagen raises many types on odd files; tags are best-effort
        return None


def _mutagen_cover(mf: Any) -> bytes | None:
    pictures: list[tuple[int, bytes]] = [(p.type, p.data) for p in getattr(mf, "pictures", [])]
    tags = mf.tags
    if isinstance(tags, ID3):
        pictures += [(int(f.type), f.data) for f in tags.getall("APIC")]
    elif tags is not None and hasattr(tags, "get"):
        covr = tags.get("covr")
        if covr:
            pictures += [(_FRONT_COVER, bytes(c)) for c in covr]
        for encoded in tags.get("metadata_block_picture") or []:
            picture = _decode_block_picture(encoded)
            if picture is not None:
                pictures.append((picture.type, picture.data))
    pictures = [(kind, data) for kind, data in pictures if data]
    if not pictures:
        return None
    pictures.sort(key=lambda p: p[0] != _FRONT_COVER)
    return pictures[0][1]


def _decode_block_picture(encoded: str) -> Picture | None:
    try:
        return Picture(base64.b64decode(encoded))
    except (binascii.Error, ValueError, mutagen.MutagenError):
        return None


def _pyav_cover(path: Path) -> bytes | None:
    try:
        with inputs.open_input(path) as container:
            for attachment in container.streams.attachments:
                if str(attachment.mimetype or "").startswith("image/") and attachment.data:
                    return bytes(attachment.data)
            for stream in container.streams.video:
                if stream.disposition & av.stream.Disposition.attached_pic:
                    for packet in container.demux(stream):
                        if packet.size:
                            return bytes(packet)
    except (av.FFmpegError, AudioError):  # cover art is best-effort
        return None
    return None
