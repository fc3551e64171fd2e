"""Which artwork is sensitive, as this process knows it: the ids of the images moderation
marked (`plyr.moderation.images`), read from the database at most every few seconds, so a
page shows a hundred covers without a query per cover. Rendering asks `is_sensitive`; each
request first makes sure the set is fresh enough (`refresh`, from the middleware)."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from plyr.core.runtime import Runtime
from plyr.media import repository

log = logging.getLogger(__name__)

KEY = "media.sensitive_artwork"
# how stale another process's mark may be seen here: a few seconds of an unblurred cover,
# against a query per request
FRESH_S = 5.0
# the image id in an artwork or thumbnail URL (`plyr.core.storage.image_key`/`thumbnail_key`)
_IMAGE_ID = re.compile(r"/images/([0-9a-f]{16})(?:_thumb)?\.[a-z]+(?:$|\?)")


@dataclass(frozen=True)
class Known:
    ids: frozenset[str]
    loaded_at: float


def known(runtime: Runtime) -> frozenset[str]:
    state: Known | None = runtime.process_state.get(KEY)
    return state.ids if state is not None else frozenset()


def image_id_in(url: str | None) -> str | None:
    match = _IMAGE_ID.search(url or "")
    return match.group(1) if match else None


def is_sensitive(runtime: Runtime, url: str | None) -> bool:
    """Whether the artwork at `url` (full size or thumbnail) is marked sensitive."""
    image_id = image_id_in(url)
    return image_id is not None and image_id in known(runtime)


async def refresh(runtime: Runtime, *, force: bool = False) -> frozenset[str]:
    """The sensitive image ids, read again when older than `FRESH_S` (or `force`)."""
    state: Known | None = runtime.process_state.get(KEY)
    if state is not None and not force and time.monotonic() - state.loaded_at < FRESH_S:
        return state.ids
    async with runtime.sessionmaker() as db:
        ids = frozenset(await repository.sensitive_image_ids(db))
    runtime.process_state[KEY] = Known(ids, time.monotonic())
    return ids


class FreshSensitiveArtwork:
    """ASGI middleware: before a page (or anything else that may render artwork) is
    answered, the set is fresh enough. Costs a clock read, and a query every `FRESH_S`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            runtime: Runtime | None = getattr(scope["app"].state, "runtime", None)
            if runtime is not None:
                try:
                    await refresh(runtime)
                except SQLAlchemyError:  # the page itself will say what is wrong, if anything
                    log.warning("sensitive artwork: could not refresh", exc_info=True)
        await self.app(scope, receive, send)
