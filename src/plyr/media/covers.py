"""Receiving new artwork for an album or a playlist (an `image` field of a multipart form)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import Request

from plyr.core.errors import Invalid
from plyr.core.multipart import receive_form, remove_tree
from plyr.core.runtime import Runtime

COVER_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"image": {"type": "string", "format": "binary"}},
                    "required": ["image"],
                }
            }
        },
    }
}


@asynccontextmanager
async def received_image(request: Request, runtime: Runtime) -> AsyncIterator[Path]:
    """The uploaded image, on disk for the length of the block (jpg, png, webp or gif up to
    the image limit; checked when it is processed). The route checks who may change the
    cover before (`plyr.core.deps.check_apart`), so nobody else makes it read the body."""
    work = runtime.settings.tmp_dir / "covers" / uuid.uuid4().hex
    try:
        form = await receive_form(
            request, work, file_limits={"image": runtime.settings.max_image_bytes}
        )
        image = form.files.get("image")
        if image is None or not image.size:
            raise Invalid("image: an image file (jpg, png, webp or gif) is required")
        yield image.path
    finally:
        await anyio.to_thread.run_sync(remove_tree, work)
