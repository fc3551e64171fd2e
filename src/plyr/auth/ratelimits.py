"""Rate-limit dependencies for routes: `dependencies=[SignInLimit]` and the like. Each counts
one request against a rule of `plyr.core.ratelimit` (429 with Retry-After when over)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import RuntimeDep
from plyr.core.ratelimit import client_ip


def per_ip(rule: str) -> Any:
    """Count the request against `rule` for the caller's address."""

    async def check(request: Request, runtime: RuntimeDep) -> None:
        await runtime.limiter.hit(rule, client_ip(request))

    return Depends(check)


def per_account(rule: str) -> Any:
    """Count the request against `rule` for the signed-in account (anonymous: not counted
    here; the route requires a session or has a per-IP rule as well)."""

    async def check(runtime: RuntimeDep, user: OptionalUser) -> None:
        if user is not None:
            await runtime.limiter.hit(rule, user.did)

    return Depends(check)


SignInLimit = per_ip("signin")
UploadLimits = [per_ip("upload_ip"), per_account("upload")]
CommentLimit = per_account("comment")
JamLimit = per_account("jam")
JamCommandLimit = per_account("jam_command")
ReportLimit = per_account("report")
