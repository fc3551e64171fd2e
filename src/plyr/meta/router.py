"""Instance metadata: health, public configuration, platform stats."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from plyr.audio import ACCEPTED_FORMATS
from plyr.core.db import ping
from plyr.core.deps import DbSession, RuntimeDep
from plyr.tracks import repository as tracks

router = APIRouter(tags=["meta"])


class ConfigOut(BaseModel):
    max_upload_size_mb: int
    max_image_size_mb: int
    accepted_audio_formats: list[str]
    default_hidden_tags: list[str]
    public_url: str
    signup_pds_hosts: list[str]


class StatsOut(BaseModel):
    total_plays: int
    total_tracks: int
    total_artists: int
    total_duration_seconds: float


@router.get("/health", responses={503: {"description": "database unreachable"}})
async def health(runtime: RuntimeDep) -> JSONResponse:
    """Liveness: 503 when the database is unreachable."""
    try:
        await ping(runtime.engine)
    except Exception:
        return JSONResponse({"status": "unavailable", "detail": "database unreachable"}, 503)
    return JSONResponse({"status": "ok"})


@router.get("/config")
async def public_config(runtime: RuntimeDep) -> ConfigOut:
    """Limits and defaults clients need."""
    s = runtime.settings
    return ConfigOut(
        max_upload_size_mb=s.max_upload_mb,
        max_image_size_mb=s.max_image_mb,
        accepted_audio_formats=list(ACCEPTED_FORMATS),
        default_hidden_tags=s.default_hidden_tags,
        public_url=s.public_url,
        signup_pds_hosts=s.signup_pds_urls,
    )


@router.get("/stats")
async def stats(db: DbSession) -> StatsOut:
    """Platform totals over public tracks."""
    plays, count, artists, seconds = await tracks.platform_stats(db)
    return StatsOut(
        total_plays=plays, total_tracks=count, total_artists=artists, total_duration_seconds=seconds
    )
