"""Embeds: iframe players for a track, an album or a playlist that fit any size and need no
sign-in, and the oEmbed endpoint that hands them out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.types import DecoratedCallable
from markupsafe import escape

from plyr.albums import service as albums
from plyr.albums.schemas import AlbumDetail
from plyr.artists.schemas import ArtistOut
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import AppError, NotFound
from plyr.core.runtime import Runtime
from plyr.html.templating import TEMPLATES
from plyr.lists import service as playlists
from plyr.lists.schemas import PlaylistDetail, PlaylistId
from plyr.media import sensitive
from plyr.tracks import service as tracks
from plyr.tracks.schemas import MAX_ID, TrackId
from plyr.web.router import GET_HEAD

router = APIRouter()
TRACK_PATH = re.compile(r"^/track/(\d{1,10})/?$")
ALBUM_PATH = re.compile(r"^/u/([^/]{1,255})/album/([^/]{1,200})/?$")
PLAYLIST_PATH = re.compile(r"^/playlist/(\d{1,10})/?$")
TRACK_HEIGHT = 165
DEFAULT_WIDTH = 480
LIST_HEIGHT = 380  # an album's or a playlist's player: art, controls and a tracklist
MAX_LIST_HEIGHT = 600


def embed_page(path: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    return router.api_route(
        path, methods=GET_HEAD, response_class=HTMLResponse, include_in_schema=False
    )


@embed_page("/embed/track/{track_id}")
async def embed_track(
    request: Request, track_id: TrackId, db: DbSession, runtime: RuntimeDep
) -> Response:
    """A track's player for other sites' iframes (public and unlisted tracks)."""
    row = await tracks.get_visible(db, track_id, None)
    track = (await tracks.present(db, runtime, [row], None))[0]
    context = {"track": track, "page_url": f"{runtime.settings.public_url}/track/{track.id}"}
    # framable by any site: `plyr.core.headers` gives /embed/ pages `frame-ancestors *`
    return TEMPLATES.TemplateResponse(request, "embed/track.html", context)


@embed_page("/embed/album/{handle}/{slug}")
async def embed_album(
    request: Request, handle: str, slug: str, db: DbSession, runtime: RuntimeDep
) -> Response:
    """An album's player for other sites' iframes: its public tracks, in order."""
    album = await albums.detail(db, runtime, await albums.by_slug(db, handle, slug, None), None)
    path = f"/u/{quote(album.artist.handle)}/album/{quote(album.slug)}"
    return _list_player(
        request, runtime, "embed/album.html", album.title, album.artist, album, path
    )


@embed_page("/embed/playlist/{playlist_id}")
async def embed_playlist(
    request: Request, playlist_id: PlaylistId, db: DbSession, runtime: RuntimeDep
) -> Response:
    """A public playlist's player for other sites' iframes (its public tracks)."""
    row = await playlists.get_visible(db, playlist_id, None)
    playlist = await playlists.detail(db, runtime, row, None)
    path = f"/playlist/{playlist.id}"
    return _list_player(
        request, runtime, "embed/playlist.html", playlist.name, playlist.owner, playlist, path
    )


def _list_player(
    request: Request,
    runtime: Runtime,
    template: str,
    title: str,
    by: ArtistOut,
    listing: AlbumDetail | PlaylistDetail,
    path: str,
) -> Response:
    context = {
        "title": title,
        "byline": by.display_name or by.handle,
        "image_url": listing.image_url,
        "tracks": listing.tracks,
        "page_url": f"{runtime.settings.public_url}{path}",
    }
    return TEMPLATES.TemplateResponse(request, template, context)


@dataclass(frozen=True)
class Embeddable:
    title: str
    author_name: str
    author_handle: str
    src: str  # the embed page
    thumbnail_url: str | None
    is_list: bool  # an album or a playlist: a tracklist player

    def size(self, maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
        """A track's player: at most 480 x 165. An album's or a playlist's fits what the
        consumer offers: its `maxwidth`, and its `maxheight` up to 600 (380 by default)."""
        if not self.is_list:
            width = min(maxwidth, DEFAULT_WIDTH) if maxwidth else DEFAULT_WIDTH
            return width, min(TRACK_HEIGHT, maxheight) if maxheight else TRACK_HEIGHT
        height = min(maxheight, MAX_LIST_HEIGHT) if maxheight else LIST_HEIGHT
        return maxwidth or DEFAULT_WIDTH, height


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
    """oEmbed (rich) for a track, album or playlist page URL of this instance (the player
    is 165 px high for a track, up to 600 px for an album or a playlist)."""
    if format != "json":
        raise NotImplementedFormat("only format=json is supported")
    found = await _embeddable(db, runtime, url)
    width, height = found.size(maxwidth, maxheight)
    html = (
        f'<iframe src="{escape(found.src)}" width="{width}" height="{height}" frameborder="0" '
        f'allow="autoplay; encrypted-media" loading="lazy" '
        f'title="{escape(found.title)} on plyr"></iframe>'
    )
    base = runtime.settings.public_url
    body = {
        "version": "1.0",
        "type": "rich",
        "provider_name": "plyr",
        "provider_url": base,
        "title": found.title,
        "author_name": found.author_name,
        "author_url": f"{base}/u/{found.author_handle}",
        "html": html,
        "width": width,
        "height": height,
    }
    if found.thumbnail_url and not sensitive.is_sensitive(runtime, found.thumbnail_url):
        body["thumbnail_url"] = found.thumbnail_url  # sensitive artwork: no link preview
    return JSONResponse(body)


async def _embeddable(db: DbSession, runtime: Runtime, url: str) -> Embeddable:
    """What a page URL of this instance shows, for anyone (404 for anything else)."""
    base = runtime.settings.public_url
    parts, ours = urlsplit(url), urlsplit(base)
    if parts.netloc.lower() != ours.netloc.lower():
        raise NotFound("not a page of this instance")
    if match := TRACK_PATH.match(parts.path):
        row = await tracks.get_visible(db, _page_id(match.group(1)), None)
        track = (await tracks.present(db, runtime, [row], None))[0]
        artist = track.artist
        src = f"{base}/embed/track/{track.id}"
        return Embeddable(
            track.title,
            artist.display_name or artist.handle,
            artist.handle,
            src,
            track.image_url,
            is_list=False,
        )
    if match := ALBUM_PATH.match(parts.path):
        handle, slug = unquote(match.group(1)), unquote(match.group(2))
        album = await albums.by_slug(db, handle, slug, None)
        out = (await albums.present(db, runtime, [album], None))[0]
        src = f"{base}/embed/album/{quote(out.artist.handle)}/{quote(out.slug)}"
        name = out.artist.display_name or out.artist.handle
        return Embeddable(out.title, name, out.artist.handle, src, out.image_url, is_list=True)
    if match := PLAYLIST_PATH.match(parts.path):
        listed = await playlists.get_visible(db, _page_id(match.group(1)), None)
        playlist = (await playlists.present(db, runtime, [listed], None))[0]
        owner = playlist.owner
        return Embeddable(
            playlist.name,
            owner.display_name or owner.handle,
            owner.handle,
            f"{base}/embed/playlist/{playlist.id}",
            playlist.image_url,
            is_list=True,
        )
    raise NotFound("not a track, album or playlist page of this instance")


def _page_id(text: str) -> int:
    page_id = int(text)
    if not 1 <= page_id <= MAX_ID:
        raise NotFound("not a page of this instance")
    return page_id
