"""Page routes: each gathers what its template shows through the domains' services and
renders it (`plyr.html.templating.render`). Pages are GET and HEAD; changes go through the API."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from plyr.albums import service as albums
from plyr.artists import following
from plyr.artists import service as artist_service
from plyr.auth.dependencies import OptionalUser
from plyr.comments import service as comments
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import NotFound
from plyr.core.urls import safe_return_to
from plyr.html.templating import TEMPLATES, render
from plyr.jams import views as jams
from plyr.lists import service as playlists
from plyr.lists.schemas import PlaylistId
from plyr.preferences.schemas import HEX_COLOUR
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks
from plyr.tracks.schemas import TrackId
from plyr.web import pages
from plyr.web.assets import STATIC

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 30
GET_HEAD = ["GET", "HEAD"]
JAM_CODE = re.compile(r"[a-z0-9]{8}")


def _viewer(user: OptionalUser) -> str | None:
    return user.did if user else None


@router.api_route("/", methods=GET_HEAD, response_class=HTMLResponse)
async def home(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    tag: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    """The feed, top tracks of the week, For You (signed in) and platform stats."""
    feed = await pages.feed(db, runtime, user, tag=tag, limit=PAGE_SIZE)
    return render(
        request,
        "pages/home.html",
        user,
        title="",
        tracks=feed.page.tracks,
        next_url=feed.next_url,
        top=await pages.top_of_week(db, runtime, _viewer(user)),
        for_you=await pages.for_you(db, runtime, user),
        tags=await pages.popular_tags(db, runtime),
        active_tag=tag,
        stats=await pages.stats(db, runtime),
    )


@router.get("/fragments/artists-you-know", response_class=HTMLResponse)
async def artists_you_know(
    request: Request, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> Response:
    """Artists here the signed-in listener follows on Bluesky (loaded after the page: it
    reads their repo)."""
    known = await following.artists_you_know(db, runtime, user.did) if user else []
    return TEMPLATES.TemplateResponse(
        request, "partials/artists_you_know.html", {"artists": known[:12]}
    )


@router.get("/fragments/feed", response_class=HTMLResponse)
async def feed_rows(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    artist: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    """The next rows of a track list (infinite scroll)."""
    feed = await pages.feed(
        db, runtime, user, tag=tag, artist_did=artist, cursor=cursor, limit=PAGE_SIZE
    )
    return TEMPLATES.TemplateResponse(
        request,
        "partials/track_list.html",
        {"tracks": feed.page.tracks, "next_url": feed.next_url, "user": user},
    )


@router.api_route("/track/{track_id}", methods=GET_HEAD, response_class=HTMLResponse)
async def track_page(
    request: Request,
    track_id: TrackId,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    t: Annotated[float | None, Query(ge=0, le=86_400)] = None,
) -> Response:
    """A track: artwork, play (from `?t=` seconds), waveform, tags, description, tracks
    that sound like it, more by its artist."""
    viewer = _viewer(user)
    admin = viewer in runtime.settings.admin_did_set
    row = await tracks.get_visible(db, track_id, viewer, admin=admin)
    track = (await tracks.present(db, runtime, [row], viewer))[0]
    base = runtime.settings.public_url
    page_url = f"{base}/track/{track.id}"
    others = await tracks_repo.more_by_artist(db, track.artist_did, besides=track.id, limit=5)
    more = await tracks.present(db, runtime, others, viewer)
    discussion = await comments.page_context(db, row)
    return render(
        request,
        "pages/track.html",
        user,
        title=f"{track.title} - {track.artist.display_name or track.artist.handle}",
        track=track,
        start=int(t) if t else None,
        page_url=page_url,
        embed_url=f"{base}/embed/track/{track.id}",
        oembed_url=f"{base}/oembed?{urlencode({'url': page_url, 'format': 'json'})}",
        absolute_audio_url=track.audio_url
        if track.audio_url.startswith("http")
        else f"{base}{track.audio_url}",
        can_download=pages.can_download(row, viewer),
        more=more,
        # an admin reading a taken-down track needs no recommendations around it
        similar=await pages.similar(db, runtime, track.id, viewer)
        if tracks.can_view(row, viewer)
        else [],
        **discussion,
    )


@router.api_route("/u/{handle}", methods=GET_HEAD, response_class=HTMLResponse)
async def artist_page(
    request: Request, handle: str, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> Response:
    """An artist: avatar, bio, their tracks."""
    artist = await artist_service.by_handle(db, handle)
    viewer = _viewer(user)
    admin = viewer in runtime.settings.admin_did_set
    if artist.takedown_reason is not None and viewer != artist.did and not admin:
        raise NotFound("no artist with that handle here")
    feed = await pages.feed(db, runtime, user, artist_did=artist.did, limit=PAGE_SIZE)
    return render(
        request,
        "pages/artist.html",
        user,
        title=artist.display_name or artist.handle,
        artist=await artist_service.artist_out(db, artist),
        tracks=feed.page.tracks,
        next_url=feed.next_url,
        albums=await albums.of_artist(db, runtime, artist, _viewer(user)),
        playlists=await playlists.public_of(db, runtime, artist.did, _viewer(user)),
    )


def _embed_links(base: str, path: str, embed_path: str) -> dict[str, Any]:
    page_url = f"{base}{path}"
    return {
        "page_url": page_url,
        "embed_url": f"{base}{embed_path}",
        "oembed_url": f"{base}/oembed?{urlencode({'url': page_url, 'format': 'json'})}",
    }


@router.api_route("/u/{handle}/album/{slug}", methods=GET_HEAD, response_class=HTMLResponse)
async def album_page(
    request: Request, handle: str, slug: str, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> Response:
    """An album: artwork, its tracks in order, play all, download."""
    viewer = _viewer(user)
    row = await albums.by_slug(db, handle, slug, viewer)
    album = await albums.detail(db, runtime, row, viewer)
    path = f"/u/{quote(album.artist.handle)}/album/{quote(album.slug)}"
    embed = f"/embed/album/{quote(album.artist.handle)}/{quote(album.slug)}"
    return render(
        request,
        "pages/album.html",
        user,
        title=f"{album.title} - {album.artist.display_name or album.artist.handle}",
        album=album,
        is_owner=viewer == album.artist.did,
        can_download=bool(album.tracks) and albums.downloads_allowed(row, viewer),
        **_embed_links(runtime.settings.public_url, path, embed),
    )


@router.api_route("/playlist/{playlist_id}", methods=GET_HEAD, response_class=HTMLResponse)
async def playlist_page(
    request: Request,
    playlist_id: PlaylistId,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
) -> Response:
    """A playlist (a private one: its owner only)."""
    viewer = _viewer(user)
    row = await playlists.get_visible(db, playlist_id, viewer)
    playlist = await playlists.detail(db, runtime, row, viewer)
    path = f"/playlist/{playlist.id}"
    return render(
        request,
        "pages/playlist.html",
        user,
        title=playlist.name,
        playlist=playlist,
        is_owner=viewer == playlist.owner.did,
        **_embed_links(runtime.settings.public_url, path, f"/embed/playlist/{playlist.id}"),
    )


@router.api_route("/tag/{name:path}", methods=GET_HEAD, response_class=HTMLResponse)
async def tag_page(
    request: Request, name: str, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> Response:
    """Tracks with a tag."""
    tag = name.strip().lower()[:50]
    feed = await pages.feed(db, runtime, user, tag=tag, limit=PAGE_SIZE)
    return render(
        request,
        "pages/tag.html",
        user,
        title=f"#{tag}",
        tag=tag,
        tracks=feed.page.tracks,
        next_url=feed.next_url,
    )


@router.api_route("/jam/{code}", methods=GET_HEAD, response_class=HTMLResponse)
async def jam_page(request: Request, code: str, db: DbSession, user: OptionalUser) -> Response:
    """A jam's link: who hosts it and how many listen; signed out, a sign-in that comes
    back here; signed in, the page joins it (jam-bar.js); once over, says so."""
    if not JAM_CODE.fullmatch(code):
        raise NotFound("no such jam")
    jam = await jams.preview(db, code)  # JamNotFound: the 404 page
    host = jam.host.display_name or jam.host.handle
    return render(request, "pages/jam.html", user, title=jam.name or f"{host}'s jam", jam=jam)


@router.api_route("/login", methods=GET_HEAD, response_class=HTMLResponse)
async def login_page(
    request: Request,
    runtime: RuntimeDep,
    user: OptionalUser,
    return_to: Annotated[str, Query(max_length=512)] = "/",
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Sign in with a handle; create an account on a PDS the operator lists."""
    if user is not None and not error:
        return RedirectResponse(safe_return_to(return_to), 303)
    return render(
        request,
        "pages/login.html",
        user,
        title="sign in",
        return_to=safe_return_to(return_to),
        error=error,
        signup_hosts=runtime.settings.signup_pds_urls,
    )


@router.api_route("/terms", methods=GET_HEAD, response_class=HTMLResponse)
async def terms_page(request: Request, user: OptionalUser) -> Response:
    """The terms of use."""
    return render(request, "pages/plain.html", user, title="terms", page=pages.TERMS)


@router.api_route("/privacy", methods=GET_HEAD, response_class=HTMLResponse)
async def privacy_page(request: Request, user: OptionalUser) -> Response:
    """What plyr keeps about you."""
    return render(request, "pages/plain.html", user, title="privacy", page=pages.PRIVACY)


@router.api_route("/accent.css", methods=GET_HEAD)
async def accent_css(color: Annotated[str, Query(pattern=HEX_COLOUR)]) -> Response:
    """A user's accent colour as a stylesheet. Not an inline `<style>`: the page policy
    would take one only with its nonce, and htmx parses every history-restored page (with
    another response's nonce) in this page's document."""
    return Response(
        f"html:root {{ --accent: {color}; }}\n",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.api_route("/favicon.ico", methods=GET_HEAD)
async def favicon() -> FileResponse:
    """Browsers ask for it on every page that names no icon (embeds in other sites)."""
    return FileResponse(
        STATIC / "icon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
