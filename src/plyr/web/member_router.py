"""Pages for signed-in people: upload, portal, liked, settings, library (`Member`: a
signed-out visitor is sent to sign in and brought back)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plyr.albums import service as albums
from plyr.artists import analytics
from plyr.audio import ACCEPTED_FORMATS
from plyr.auth.developer_tokens import developer_tokens_of
from plyr.core.deps import DbSession, RuntimeDep
from plyr.html.templating import render
from plyr.likes import service as likes
from plyr.lists import service as playlists
from plyr.moderation.desk_view import takedowns_of
from plyr.preferences import service as preferences
from plyr.shares import service as shares
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks
from plyr.web.members import Member
from plyr.web.router import GET_HEAD

router = APIRouter(include_in_schema=False)


@router.api_route("/upload", methods=GET_HEAD, response_class=HTMLResponse)
async def upload_page(request: Request, runtime: RuntimeDep, user: Member) -> Response:
    """The upload form."""
    settings = runtime.settings
    return render(
        request,
        "pages/upload.html",
        user,
        title="upload",
        max_upload_mb=settings.max_upload_mb,
        max_upload_bytes=settings.max_upload_mb * 1024 * 1024,
        formats=", ".join(f for f in ACCEPTED_FORMATS if f != "webm"),
        album_mode=request.query_params.get("mode") == "album",
    )


@router.api_route("/portal", methods=GET_HEAD, response_class=HTMLResponse)
async def portal_page(
    request: Request, db: DbSession, runtime: RuntimeDep, user: Member
) -> Response:
    """My tracks (edit in place), developer tokens."""
    rows = await tracks_repo.by_artist(db, user.did)
    mine = await tracks.present(db, runtime, rows, user.did)
    return render(
        request,
        "pages/portal.html",
        user,
        title="portal",
        tracks=mine,
        tokens=await developer_tokens_of(db, user.did),
        pds_problem=user.artist.pds_problem,
        shares=await shares.my_shares(db, runtime, user.did),
        stats=await analytics.analytics(db, user.did),
        takedowns=await takedowns_of(db, [t.id for t in rows]),
    )


@router.api_route("/liked", methods=GET_HEAD, response_class=HTMLResponse)
async def liked_page(
    request: Request, db: DbSession, runtime: RuntimeDep, user: Member
) -> Response:
    """My liked tracks, newest like first."""
    return render(
        request,
        "pages/liked.html",
        user,
        title="liked",
        tracks=await likes.liked_tracks(db, runtime, user.did),
    )


@router.api_route("/settings", methods=GET_HEAD, response_class=HTMLResponse)
async def settings_page(request: Request, user: Member) -> Response:
    """Theme, accent, playback and privacy choices."""
    prefs = preferences.read(user.artist)
    return render(
        request,
        "pages/settings.html",
        user,
        title="settings",
        hidden_tags=prefs.hidden_tags,
        allow_comments=prefs.allow_comments,
        download_policy=prefs.download_policy,
    )


@router.api_route("/library", methods=GET_HEAD, response_class=HTMLResponse)
async def library_page(
    request: Request, db: DbSession, runtime: RuntimeDep, user: Member
) -> Response:
    """My playlists (and a form for a new one), my albums."""
    return render(
        request,
        "pages/library.html",
        user,
        title="library",
        playlists=await playlists.mine(db, runtime, user.did),
        albums=await albums.of_artist(db, runtime, user.artist, user.did),
    )
