"""Public URLs of stored media."""

from __future__ import annotations

from plyr.core.storage import Storage, image_key, thumbnail_key


def audio_url(public_url: str, file_id: str) -> str:
    return f"{public_url}/audio/{file_id}"


def image_urls(
    storage: Storage, image_id: str | None, ext: str | None
) -> tuple[str | None, str | None]:
    if not image_id or not ext:
        return None, None
    return storage.public_url(image_key(image_id, ext)), storage.public_url(thumbnail_key(image_id))
