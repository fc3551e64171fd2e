"""What the sensitive-images endpoint answers."""

from __future__ import annotations

from pydantic import BaseModel


class SensitiveImages(BaseModel):
    """The artwork marked sensitive: its ids (as in artwork URLs, `/images/<id>.<ext>`) and
    the full-size and thumbnail URLs, for clients that blur by URL."""

    image_ids: list[str]
    urls: list[str]
