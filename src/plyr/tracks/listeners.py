"""Who is listening: a signed-in listener's DID, or `anon:<id>` for everyone else, from a
long-lived cookie that the play counter and share-link visits both read (so a visit and the
play after it are the same person)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import RuntimeDep
from plyr.core.ratelimit import client_ip

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
                # from the public URL: behind a TLS proxy the request itself is plain http
                secure=request.app.state.runtime.settings.cookie_secure,
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


def per_listener(rule: str, ip_rule: str) -> Any:
    """Count the request against `ip_rule` for the address and `rule` for the listener (one
    without a cookie yet is new: only its address counts, and nothing is stored for it)."""

    async def check(request: Request, runtime: RuntimeDep, who: CurrentListener) -> None:
        await runtime.limiter.hit(ip_rule, client_ip(request))
        if who.new_cookie is None:
            await runtime.limiter.hit(rule, who.id)

    return Depends(check)


PlayLimits = per_listener("play", "play_ip")
ShareClickLimits = per_listener("share_click", "share_click_ip")
