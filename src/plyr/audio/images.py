"""Cover/avatar image validation: format by content, bomb check, EXIF orientation, thumbnail."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

ACCEPTED_IMAGE_FORMATS: tuple[str, ...] = ("jpg", "png", "webp", "gif")
# Decoding is in the web process (covers are checked in the upload request): 25 MP (a
# 5000x5000 cover, ~75 MB of RGB) bounds its memory and CPU; bigger is refused with a 4xx.
MAX_IMAGE_PIXELS = 25_000_000
THUMBNAIL_SIZE = (96, 96)

_PIL_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
_ORIENTATION = 0x0112
_ACCEPTED_TEXT = "JPEG, PNG, WebP or GIF"


class ImageError(Exception):
    """The image was rejected; ``str(e)`` is a user-readable reason."""


@dataclass(frozen=True)
class ProcessedImage:
    ext: str  # one of ACCEPTED_IMAGE_FORMATS, decided by content
    content_type: str
    data: bytes  # upright image (re-encoded only when EXIF orientation had to be applied)
    thumbnail: bytes  # 96x96 WebP, center-cropped
    width: int
    height: int


def process_image(data: bytes) -> ProcessedImage:
    """Validate `data` as an accepted image and derive the stored image and its thumbnail.

    The pixel count is checked from the header before any pixel is decoded. Raises
    ImageError for non-images, other formats, decompression bombs and truncated files.
    """
    img, ext = _open(data)
    try:
        _load(img)
        orientation = img.getexif().get(_ORIENTATION, 1)
        if orientation in range(2, 9):
            upright = ImageOps.exif_transpose(img)
            stored = _encode_like(upright, img)
        else:
            upright, stored = img, data
        return ProcessedImage(
            ext=ext,
            content_type=_CONTENT_TYPES[ext],
            data=stored,
            thumbnail=_thumbnail(upright),
            width=upright.width,
            height=upright.height,
        )
    finally:
        img.close()


def _open(data: bytes) -> tuple[Image.Image, str]:
    if not data:
        raise ImageError("The image is empty.")
    try:
        # Pillow only reads the header here; its own (larger) bomb limit may raise already
        img = Image.open(io.BytesIO(data), formats=list(_PIL_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # -W error
        raise ImageError(_too_large()) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"The file is not a supported image ({_ACCEPTED_TEXT}).") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"The image is damaged ({exc}).") from exc
    ext = _PIL_FORMATS.get(img.format or "")
    if ext is None:
        img.close()
        raise ImageError(f"The file is not a supported image ({_ACCEPTED_TEXT}).")
    width, height = img.size
    if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
        img.close()
        raise ImageError(_too_large())
    return img, ext


def _too_large() -> str:
    return f"The image is too large (more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels)."


def _load(img: Image.Image) -> None:
    """Decode all pixels; Pillow raises on truncated or corrupt data."""
    try:
        img.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(f"The image is damaged or truncated ({exc}).") from exc


def _encode_like(image: Image.Image, original: Image.Image) -> bytes:
    """Re-encode an EXIF-transposed image in the original's format, keeping its profile."""
    out = io.BytesIO()
    fmt = original.format or "PNG"
    params: dict[str, object] = {}
    if icc := original.info.get("icc_profile"):
        params["icc_profile"] = icc
    if exif := image.info.get("exif"):
        params["exif"] = exif
    if fmt == "JPEG":
        params["quality"] = 95
        if (sampling := JpegImagePlugin.get_sampling(original)) >= 0:
            params["subsampling"] = sampling
        image = image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
    elif fmt == "WEBP":
        params.update(quality=95)
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "RGBA"):
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    thumb = ImageOps.fit(image, THUMBNAIL_SIZE, method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue()
