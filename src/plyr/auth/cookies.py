"""The cookies a sign-in sets: the session's, and the pending OAuth sign-in's, which binds
it to the browser that started it (checked again at the callback)."""

from __future__ import annotations

import re
import secrets

from fastapi import Request, Response

from plyr.auth.dependencies import SESSION_COOKIE

COOKIE_AGE = 14 * 24 * 3600


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=COOKIE_AGE, httponly=True, samesite="lax", secure=secure
    )


BROWSER_COOKIE = "oauth_browser"
BROWSER_COOKIE_PATH = "/auth"
BROWSER_COOKIE_AGE = 600
_BROWSER_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def browser_secret(request: Request) -> str:
    """The browser's pending-sign-in secret: reused when present (several tabs), else new."""
    current = request.cookies.get(BROWSER_COOKIE)
    if current and _BROWSER_SECRET_RE.match(current):
        return current
    return secrets.token_urlsafe(32)


def browser_cookie(response: Response, secret: str, secure: bool) -> None:
    """Bind the pending sign-in to this browser (checked again at the callback)."""
    response.set_cookie(
        BROWSER_COOKIE,
        secret,
        max_age=BROWSER_COOKIE_AGE,
        path=BROWSER_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
