"""`CurrentUser` / `OptionalUser`: the session from the `session_id` cookie or a Bearer token;
`BrowserUser`: the same, refusing developer tokens (for destructive operations)."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError

from plyr.atproto.oauth.metadata import loopback_redirect_uri
from plyr.auth import service
from plyr.auth.service import AuthContext
from plyr.core.db import is_lock_conflict
from plyr.core.deps import RuntimeDep, SettingsDep
from plyr.core.errors import Forbidden, Unauthorized
from plyr.core.runtime import Runtime
from plyr.models import Session

log = logging.getLogger(__name__)

SESSION_COOKIE = "session_id"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _token_from(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    return request.cookies.get(SESSION_COOKIE), True


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _check_same_origin(request: Request, public_url: str, *also: str) -> None:
    """Cookie-authenticated writes must come from our own pages (CSRF)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    allowed = {_origin(url) for url in (public_url, *also)}
    if not source or _origin(source) not in allowed:
        raise Forbidden("cross-origin request refused: Origin must match this instance")


def from_own_page(request: Request, settings: SettingsDep) -> None:
    """The request was sent by one of plyr's own pages (its Origin, or Referer when a
    browser sends no Origin): a sign-in start, which no other site may force on a visitor's
    browser (login CSRF). A development (loopback) instance also serves its pages on
    127.0.0.1, where the OAuth callback lands."""
    loopback = loopback_redirect_uri(settings.public_url)
    also = () if settings.public_url.startswith("https://") else (loopback,)
    _check_same_origin(request, settings.public_url, *also)


async def optional_user(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> AuthContext | None:
    token, via_cookie = _token_from(request)
    if not token:
        return None
    # read in a transaction of its own, and the touch written in another that writes
    # first: a read-then-write transaction would fail on SQLite under concurrent writes
    async with runtime.sessionmaker() as db:
        found = await service.resolve(db, token)
    if found is not None and service.touch_due(found[0]):
        await _touch(runtime, found[0])
    if found is None:
        if via_cookie:
            return None  # a stale cookie is just an anonymous visitor
        raise Unauthorized("invalid or expired token")
    if via_cookie and request.method in UNSAFE_METHODS:
        _check_same_origin(request, settings.public_url)
    return AuthContext(artist=found[1], session=found[0], via_cookie=via_cookie)


async def _touch(runtime: Runtime, session: Session) -> None:
    """Best effort: a busy database skips it (the next request touches)."""
    try:
        async with runtime.sessionmaker() as db:
            await service.touch(db, session)
            await db.commit()
    except OperationalError as e:
        if not is_lock_conflict(e):
            raise
        log.debug("session touch skipped: database busy")


async def current_user(user: Annotated[AuthContext | None, Depends(optional_user)]) -> AuthContext:
    if user is None:
        raise Unauthorized("sign in required")
    return user


CurrentUser = Annotated[AuthContext, Depends(current_user)]
OptionalUser = Annotated[AuthContext | None, Depends(optional_user)]

BROWSER_ONLY = (
    "a developer token cannot do this (delete the account, sign out everywhere, create or "
    "revoke developer tokens): do it signed in at this instance's web pages"
)


async def browser_user(user: CurrentUser) -> AuthContext:
    """A session signed in by a person (browser or app password), not a developer token: a
    leaked script token must not be able to take the account or its other tokens with it."""
    if user.session.kind == "developer":
        raise Forbidden(BROWSER_ONLY)
    return user


BrowserUser = Annotated[AuthContext, Depends(browser_user)]
FromOwnPage = Depends(from_own_page)
