"""`GET /moderation/sensitive-images` (spec: moderation.md, Sensitive artwork)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from plyr.core.deps import DbSession, RuntimeDep
from plyr.media.urls import image_urls
from plyr.moderation.images import service
from plyr.moderation.images.schemas import SensitiveImages

router = APIRouter(prefix="/moderation", tags=["moderation"])
# a listing anyone may cache briefly: a new mark shows within a minute
CACHE_CONTROL = "public, max-age=60"


@router.get("/sensitive-images")
async def sensitive_images(
    db: DbSession, runtime: RuntimeDep, response: Response
) -> SensitiveImages:
    """Every image marked sensitive (by the classifier or a person), oldest first."""
    rows = await service.sensitive_images(db)
    urls: list[str] = []
    for row in rows:
        urls.extend(url for url in image_urls(runtime.storage, row.image_id, row.ext) if url)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return SensitiveImages(image_ids=[row.image_id for row in rows], urls=urls)
