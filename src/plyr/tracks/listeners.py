"""Who is listening: a signed-in listener's DID, or `anon:<id>` for everyone else, from a
long-lived cookie that the play counter and share-link visits both read (so a visit and the
play after it are the same person)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from plyr.auth.dependencies import OptionalUser

PLAY_COOKIE = "plyr_play_id"
PLAY_COOKIE_AGE = 180 * 24 * 3600
ANONYMOUS_PREFIX = "anon:"


@dataclass(frozen=True)
class Listener:
    id: str
    new_cookie: str | None = None  # an anonymous listener's first visit: give them their id

    def remember(self, request: Request, response: Response) -> None:
        if self.new_cookie:
            response.set_cookie(
                PLAY_COOKIE,
                self.new_cookie,
                max_age=PLAY_COOKIE_AGE,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )


def listener(request: Request, user: OptionalUser) -> Listener:
    if user is not None:
        return Listener(user.did)
    cookie_id = request.cookies.get(PLAY_COOKIE)
    if cookie_id:
        return Listener(f"{ANONYMOUS_PREFIX}{cookie_id}")
    new = secrets.token_urlsafe(16)
    return Listener(f"{ANONYMOUS_PREFIX}{new}", new_cookie=new)


CurrentListener = Annotated[Listener, Depends(listener)]
