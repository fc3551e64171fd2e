"""Content sniffing: decide the container format from magic bytes and container headers.

Reads at most a few small pieces of the file (the first 64 KiB plus box/element headers
reached by seeking), so it is constant-time in the file size.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from plyr.audio.formats import UnsupportedAudio, unsupported_message

_HEAD = 64 * 1024
_MAX_HEADERS = 256  # box/element headers visited before giving up

# MPEG audio layer III tables (kbit/s, Hz)
_MP3_BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def sniff_format(path: Path) -> str:
    """Return the canonical extension of `path` judged by its content.

    Raises UnsupportedAudio (message names the accepted formats) for empty files, non-audio
    files, containers without an audio track, and formats outside ACCEPTED_FORMATS.
    OSError (e.g. a missing file) propagates unchanged.
    """
    with open(path, "rb") as f:
        head = f.read(_HEAD)
        if not head:
            raise UnsupportedAudio(unsupported_message("The file is empty"))
        offset = 0
        for _ in range(4):  # skip (possibly repeated) ID3v2 tags in front of the audio
            size = _id3_size(head)
            if not size:
                break
            offset += size
            f.seek(offset)
            head = f.read(_HEAD)
        fmt = _classify(f, head, offset)
    if fmt is None:
        raise UnsupportedAudio(unsupported_message())
    return fmt


def _classify(f: BinaryIO, head: bytes, offset: int) -> str | None:
    if head.startswith(b"fLaC"):
        return "flac"
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head.startswith(b"OggS"):
        return _ogg_kind(head)
    if head[4:8] == b"ftyp":
        return "m4a" if _mp4_has_sound(f, offset) else None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if _webm_has_audio(f, offset) else None
    if _find_mp3_frames(head, whole_file=len(head) < _HEAD):
        return "mp3"
    return None


def _id3_size(head: bytes) -> int:
    if len(head) < 10 or not head.startswith(b"ID3") or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


# --- MP3 -----------------------------------------------------------------------------------


def _mp3_frame(head: bytes, pos: int) -> tuple[int, int] | None:
    """(frame length, signature) of a layer III frame header at `pos`, else None."""
    if pos + 4 > len(head) or head[pos] != 0xFF or head[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = head[pos + 1], head[pos + 2]
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_idx, rate_idx = b2 >> 4, (b2 >> 2) & 3
    if version == 1 or layer != 1 or bitrate_idx in (0, 15) or rate_idx == 3:
        return None
    bitrate = _MP3_BITRATES[3 if version == 3 else 2][bitrate_idx] * 1000
    rate = _MP3_RATES[version][rate_idx]
    length = (144 if version == 3 else 72) * bitrate // rate + ((b2 >> 1) & 1)
    return length, (b1 & 0xFE) << 8 | (b2 & 0x0C)


def _find_mp3_frames(head: bytes, *, whole_file: bool, needed: int = 3) -> bool:
    """True if `head` contains `needed` consecutive, consistent layer III frames."""
    pos = head.find(b"\xff")
    while pos != -1:
        first = _mp3_frame(head, pos)
        if first is not None and _mp3_chain(head, pos, first[1], needed, whole_file):
            return True
        pos = head.find(b"\xff", pos + 1)
    return False


def _mp3_chain(head: bytes, pos: int, signature: int, needed: int, whole_file: bool) -> bool:
    for _ in range(needed):
        frame = _mp3_frame(head, pos)
        if frame is None or frame[1] != signature:
            # a short file may legitimately end after fewer frames
            return whole_file and pos == len(head)
        pos += frame[0]
    return True


# --- Ogg -----------------------------------------------------------------------------------

_OGG_CODECS = ((b"OpusHead", "opus"), (b"\x01vorbis", "ogg"), (b"\x7fFLAC", "ogg"))


def _ogg_kind(head: bytes) -> str | None:
    """Look at the beginning-of-stream pages (which all come first) for an audio codec."""
    pos = 0
    while head.startswith(b"OggS", pos) and pos + 27 <= len(head):
        header_type, nsegs = head[pos + 5], head[pos + 26]
        if not header_type & 0x02:  # past the BOS pages
            break
        data = pos + 27 + nsegs
        page_len = sum(head[pos + 27 : data])
        for magic, fmt in _OGG_CODECS:
            if head.startswith(magic, data):
                return fmt
        pos = data + page_len
    return None


# --- MP4 / M4A -----------------------------------------------------------------------------


def _boxes(f: BinaryIO, start: int, end: int | None) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload start, box end) for the ISO-BMFF boxes in [start, end)."""
    pos = start
    for _ in range(_MAX_HEADERS):
        if end is not None and pos + 8 > end:
            return
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header[:8])
        payload = pos + 8
        if size == 1 and len(header) == 16:
            size, payload = struct.unpack(">Q", header[8:16])[0], pos + 16
        elif size == 0:  # extends to the end of the file
            size = f.seek(0, 2) - pos
        if size < payload - pos:
            return
        yield kind, payload, pos + size
        pos += size


def _child(f: BinaryIO, start: int, end: int, kind: bytes) -> Iterator[tuple[int, int]]:
    for box, payload, box_end in _boxes(f, start, end):
        if box == kind:
            yield payload, box_end


def _mp4_has_sound(f: BinaryIO, offset: int) -> bool:
    for kind, payload, end in _boxes(f, offset, None):
        if kind != b"moov":
            continue
        for trak, trak_end in _child(f, payload, end, b"trak"):
            for mdia, mdia_end in _child(f, trak, trak_end, b"mdia"):
                for hdlr, _ in _child(f, mdia, mdia_end, b"hdlr"):
                    f.seek(hdlr + 8)
                    if f.read(4) == b"soun":
                        return True
        return False
    return False


# --- WebM / Matroska -----------------------------------------------------------------------

_EBML_DOCTYPE, _SEGMENT, _TRACKS, _CLUSTER = 0x4282, 0x18538067, 0x1654AE6B, 0x1F43B675
_TRACK_ENTRY, _TRACK_TYPE, _AUDIO_TRACK = 0xAE, 0x83, 2


def _vint(f: BinaryIO, *, keep_marker: bool) -> int | None:
    first = f.read(1)
    if not first or first[0] == 0:
        return None
    length = 8 - first[0].bit_length() + 1
    rest = f.read(length - 1)
    if len(rest) != length - 1:
        return None
    value = first[0] if keep_marker else first[0] & (0xFF >> length)
    for byte in rest:
        value = value << 8 | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return -1  # unknown size
    return value


def _elements(f: BinaryIO, start: int, end: int | None) -> Iterator[tuple[int, int, int]]:
    """Yield (id, data start, data size or -1 if unknown) for EBML elements in [start, end)."""
    pos = start
    for _ in range(_MAX_HEADERS):
        if end is not None and pos >= end:
            return
        f.seek(pos)
        element_id = _vint(f, keep_marker=True)
        size = _vint(f, keep_marker=False)
        if element_id is None or size is None:
            return
        data = f.tell()
        yield element_id, data, size
        if size < 0:
            return
        pos = data + size


def _webm_has_audio(f: BinaryIO, offset: int) -> bool:
    elements = _elements(f, offset, None)
    header = next(elements, None)
    if header is None or header[2] < 0:
        return False
    doctype = None
    for element_id, data, size in _elements(f, header[1], header[1] + header[2]):
        if element_id == _EBML_DOCTYPE:
            f.seek(data)
            doctype = f.read(min(size, 16)).rstrip(b"\0")
    if doctype != b"webm":
        return False
    segment = next(elements, None)
    if segment is None or segment[0] != _SEGMENT:
        return False
    seg_end = None if segment[2] < 0 else segment[1] + segment[2]
    for element_id, data, size in _elements(f, segment[1], seg_end):
        if element_id == _CLUSTER or size < 0:
            return False  # media data before any track list: not a usable file
        if element_id == _TRACKS:
            return _tracks_have_audio(f, data, data + size)
    return False


def _tracks_have_audio(f: BinaryIO, start: int, end: int) -> bool:
    for element_id, data, size in _elements(f, start, end):
        if element_id != _TRACK_ENTRY or size < 0:
            continue
        for child_id, child_data, child_size in _elements(f, data, data + size):
            if child_id == _TRACK_TYPE and 0 < child_size <= 8:
                f.seek(child_data)
                if int.from_bytes(f.read(child_size), "big") == _AUDIO_TRACK:
                    return True
    return False
