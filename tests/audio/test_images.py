"""process_image(): accepted formats, orientation, thumbnail, and hostile inputs."""

from __future__ import annotations

import io
import os
import struct
import time
import tracemalloc
import zlib

import pytest
from PIL import Image

from plyr.audio import ACCEPTED_IMAGE_FORMATS, ImageError, process_image
from tests.audio.media import make_image

FORMATS = [("jpg", "JPEG", "image/jpeg"), ("png", "PNG", "image/png")]
FORMATS += [("webp", "WEBP", "image/webp"), ("gif", "GIF", "image/gif")]


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("ext,pil_format,content_type", FORMATS)
def test_accepted_formats(ext: str, pil_format: str, content_type: str) -> None:
    data = make_image(pil_format, (300, 200))
    result = process_image(data)
    assert ext in ACCEPTED_IMAGE_FORMATS
    assert (result.ext, result.content_type) == (ext, content_type)
    assert (result.width, result.height) == (300, 200)
    assert result.data == data  # upright already: stored unchanged
    thumb = _open(result.thumbnail)
    assert (thumb.format, thumb.size) == ("WEBP", (96, 96))


def test_thumbnail_is_center_cropped() -> None:
    img = Image.new("RGB", (300, 100), (255, 0, 0))
    img.paste((0, 0, 255), (100, 0, 200, 100))  # blue center third
    out = io.BytesIO()
    img.save(out, "PNG")
    thumb = _open(process_image(out.getvalue()).thumbnail).convert("RGB")
    for x in (2, 48, 93):
        r, _, b = thumb.getpixel((x, 48))  # type: ignore[misc]
        assert b > 200 and r < 60


def test_transparent_palette_png_thumbnail() -> None:
    img = Image.new("P", (50, 50), 0)
    out = io.BytesIO()
    img.save(out, "PNG", transparency=0)
    thumb = _open(process_image(out.getvalue()).thumbnail)
    assert thumb.size == (96, 96) and thumb.mode == "RGBA"


def test_exif_rotated_jpeg_comes_out_upright() -> None:
    # stored sideways: 80 wide x 40 high, left half red; orientation 6 = rotate 90° clockwise
    img = Image.new("RGB", (80, 40), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=95)

    result = process_image(out.getvalue())
    assert (result.width, result.height) == (40, 80)
    stored = _open(result.data)
    assert stored.format == "JPEG" and stored.size == (40, 80)
    assert stored.getexif().get(0x0112, 1) == 1  # not rotated twice by viewers
    top = stored.convert("RGB").getpixel((20, 10))
    bottom = stored.convert("RGB").getpixel((20, 70))
    assert top[0] > 200 and bottom[2] > 200  # type: ignore[index]  # red went to the top
    assert _open(result.thumbnail).size == (96, 96)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def test_decompression_bomb_is_rejected_from_the_header() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    bomb = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
    bomb += _png_chunk(b"IEND", b"")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ImageError, match="too large"):
            process_image(bomb)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 5 * 1024 * 1024


def test_just_over_our_limit_is_rejected() -> None:
    ihdr = struct.pack(">IIBBBBB", 5_000, 5_001, 8, 0, 0, 0, 0)  # 25.005 Mpx, grayscale
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")
    with pytest.raises(ImageError, match="too large"):
        process_image(data)


@pytest.mark.parametrize(
    "data",
    [b"", os.urandom(4096), b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"GIF89a" + b"\0" * 3],
)
def test_garbage_is_rejected(data: bytes) -> None:
    with pytest.raises(ImageError):
        process_image(data)


@pytest.mark.parametrize("pil_format", ["BMP", "TIFF", "ICO"])
def test_other_image_formats_are_rejected(pil_format: str) -> None:
    with pytest.raises(ImageError, match="JPEG, PNG, WebP or GIF"):
        process_image(make_image(pil_format, (32, 32)))


@pytest.mark.parametrize("pil_format", ["JPEG", "PNG", "WEBP"])
def test_truncated_image_is_rejected(pil_format: str) -> None:
    data = make_image(pil_format, (400, 300), **({"quality": 95} if pil_format != "PNG" else {}))
    with pytest.raises(ImageError):
        process_image(data[: len(data) // 2])
