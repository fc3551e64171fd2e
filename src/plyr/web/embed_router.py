"""Embeds: an iframe player for a track that fits any size and needs no sign-in, and the
oEmbed endpoint that hands it out."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import escape

from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import AppError, NotFound
from plyr.tracks import service as tracks
from plyr.tracks.schemas import MAX_ID, TrackId
from plyr.web.router import GET_HEAD
from plyr.web.templating import TEMPLATES

router = APIRouter()
TRACK_PATH = re.compile(r"^/track/(\d{1,10})/?$")
TRACK_HEIGHT = 165
DEFAULT_WIDTH = 480


@router.api_route(
    "/embed/track/{track_id}",
    methods=GET_HEAD,
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def embed_track(
    request: Request, track_id: TrackId, db: DbSession, runtime: RuntimeDep
) -> Response:
    """A track's player for other sites' iframes (public and unlisted tracks)."""
    row = await tracks.get_visible(db, track_id, None)
    track = (await tracks.present(db, runtime, [row], None))[0]
    response = TEMPLATES.TemplateResponse(
        request,
        "embed/track.html",
        {"track": track, "page_url": f"{runtime.settings.public_url}/track/{track.id}"},
    )
    # other sites may frame this page (and only this kind of page)
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    return response


class NotImplementedFormat(AppError):
    status_code = 501


@router.get(
    "/oembed", tags=["meta"], responses={501: {"description": "format=xml is not supported"}}
)
async def oembed(
    db: DbSession,
    runtime: RuntimeDep,
    url: Annotated[str, Query(max_length=2048)],
    maxwidth: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    maxheight: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    format: Literal["json", "xml"] = "json",
) -> JSONResponse:
    """oEmbed (rich) for a track page URL of this instance."""
    if format != "json":
        raise NotImplementedFormat("only format=json is supported")
    track_id = _track_id(url, runtime.settings.public_url)
    row = await tracks.get_visible(db, track_id, None)
    track = (await tracks.present(db, runtime, [row], None))[0]
    width = min(maxwidth or DEFAULT_WIDTH, DEFAULT_WIDTH) if maxwidth else DEFAULT_WIDTH
    height = min(TRACK_HEIGHT, maxheight) if maxheight else TRACK_HEIGHT
    src = f"{runtime.settings.public_url}/embed/track/{track.id}"
    html = (
        f'<iframe src="{src}" width="{width}" height="{height}" frameborder="0" '
        f'allow="autoplay; encrypted-media" loading="lazy" '
        f'title="{escape(track.title)} on plyr"></iframe>'
    )
    body = {
        "version": "1.0",
        "type": "rich",
        "provider_name": "plyr",
        "provider_url": runtime.settings.public_url,
        "title": track.title,
        "author_name": track.artist.display_name or track.artist.handle,
        "author_url": f"{runtime.settings.public_url}/u/{track.artist.handle}",
        "html": html,
        "width": width,
        "height": height,
    }
    if track.image_url:
        body["thumbnail_url"] = track.image_url
    return JSONResponse(body)


def _track_id(url: str, public_url: str) -> int:
    parts, ours = urlsplit(url), urlsplit(public_url)
    match = TRACK_PATH.match(parts.path)
    if parts.netloc.lower() != ours.netloc.lower() or match is None:
        raise NotFound("not a track page of this instance")
    track_id = int(match.group(1))
    if not 1 <= track_id <= MAX_ID:
        raise NotFound("not a track page of this instance")
    return track_id
