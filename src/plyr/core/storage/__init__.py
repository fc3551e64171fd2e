"""Object storage: one interface, a local folder (default) or any S3-compatible store."""

from __future__ import annotations

from plyr.core.config import Settings
from plyr.core.storage.base import Storage, StorageError, audio_key, image_key, thumbnail_key
from plyr.core.storage.local import LocalStorage


def create_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        from plyr.core.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    return LocalStorage(
        settings.media_dir,
        public_url=settings.public_url,
        private_root=settings.private_media_dir,
        media_base_url=settings.public_media_base_url,
    )


__all__ = [
    "LocalStorage",
    "Storage",
    "StorageError",
    "audio_key",
    "create_storage",
    "image_key",
    "thumbnail_key",
]
