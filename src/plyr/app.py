"""The ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from plyr import __version__
from plyr.accounts.router import router as accounts_router
from plyr.albums.router import router as albums_router
from plyr.artists.router import router as artists_router
from plyr.atproto.router import router as atproto_router
from plyr.atproto.writes import install_pds_error_handlers
from plyr.auth.developer_tokens import router as developer_tokens_router
from plyr.auth.oauth_router import router as oauth_router
from plyr.auth.router import router as auth_router
from plyr.comments.router import router as comments_router
from plyr.core.config import Settings, get_settings
from plyr.core.errors import ERROR_RESPONSES, install_error_handlers
from plyr.core.headers import SecurityHeaders
from plyr.core.nul import RefuseNul
from plyr.discovery.recs_router import router as recs_router
from plyr.discovery.router import router as discovery_router
from plyr.discovery.tags_router import router as discovery_tags_router
from plyr.exports.router import router as exports_router
from plyr.jams.router import router as jams_router
from plyr.jams.ws import router as jams_ws_router
from plyr.jobs.router import router as jobs_router
from plyr.likes.router import router as likes_router
from plyr.lists.router import router as lists_router
from plyr.media.sensitive import FreshSensitiveArtwork
from plyr.meta.router import router as meta_router
from plyr.moderation.images.router import router as sensitive_images_router
from plyr.moderation.labeler.router import router as labeler_router
from plyr.moderation.router import router as moderation_router
from plyr.plays.router import router as plays_router
from plyr.preferences.router import router as preferences_router
from plyr.queue.router import router as queue_router
from plyr.search.router import router as search_router
from plyr.shares.router import router as shares_router
from plyr.stream.fastpath import PublicAudioFastPath
from plyr.stream.router import router as stream_router
from plyr.tracks.router import router as tracks_router
from plyr.web.admin_router import router as admin_page_router
from plyr.web.assets import mount_api_docs, mount_static
from plyr.web.embed_router import router as embed_router
from plyr.web.errors import install_page_errors
from plyr.web.member_router import router as member_router
from plyr.web.router import router as web_router
from plyr.web.search_router import router as search_page_router
from plyr.wiring import start_runtime


class PlyrApp(FastAPI):
    """FastAPI, with one shortcut in front: public audio bytes skip the middleware and
    routing entirely (`plyr.stream.fastpath`); every other request goes the usual way.
    Security headers wrap both (`plyr.core.headers`)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fast_path = PublicAudioFastPath()
        self.with_headers = SecurityHeaders(self._answer, settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.with_headers(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = getattr(self.state, "runtime", None)
        if runtime is None or not await self.fast_path.serve(runtime, scope, send):
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, with_worker: bool | None = None) -> PlyrApp:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: PlyrApp) -> AsyncIterator[None]:
        runtime = await start_runtime(settings, with_worker=with_worker)
        app.state.runtime = runtime
        runtime.audio_listeners.append(app.fast_path.files.forget_audio)
        try:
            yield
        finally:
            app.fast_path.files.close_all()
            await runtime.close()

    app = PlyrApp(
        settings,
        title="plyr",
        version=__version__,
        description="A self-hostable, AT-Protocol-native audio streaming platform.",
        lifespan=lifespan,
        docs_url=None,  # served by mount_api_docs, without a CDN
        redoc_url=None,
    )
    mount_api_docs(app)
    install_error_handlers(app)
    install_pds_error_handlers(app)
    app.add_middleware(RefuseNul)
    app.add_middleware(FreshSensitiveArtwork)  # pages blur sensitive artwork: a fresh set
    for router in (
        meta_router,
        auth_router,
        oauth_router,
        developer_tokens_router,
        likes_router,  # social routes under /tracks: before /tracks/{track_id}
        comments_router,
        shares_router,
        discovery_tags_router,  # /tracks/{track_id}/recommended-tags
        discovery_router,  # /search/semantic, /tracks/{id}/similar: before /tracks/{track_id}
        tracks_router,
        plays_router,
        jobs_router,
        stream_router,
        artists_router,
        albums_router,
        recs_router,  # /lists/playlists/{id}/recommendations: before the lists router
        lists_router,
        search_router,
        atproto_router,
        preferences_router,
        queue_router,
        jams_router,
        jams_ws_router,  # /jams/{code}/ws
        exports_router,
        accounts_router,
        labeler_router,  # /xrpc/com.atproto.label.*, /.well-known/did.json
        sensitive_images_router,
        moderation_router,
    ):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(embed_router, responses=ERROR_RESPONSES)
    app.include_router(member_router)
    app.include_router(admin_page_router)
    app.include_router(search_page_router)
    app.include_router(web_router)  # pages last: the API owns its paths
    install_page_errors(app)
    mount_static(app)
    return app
