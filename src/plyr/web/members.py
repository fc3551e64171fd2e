"""Members' pages: a signed-out visitor asking for one is sent to sign in, and back."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from plyr.auth.dependencies import OptionalUser
from plyr.auth.service import AuthContext
from plyr.core.urls import safe_return_to


class SignInFirst(Exception):
    """A signed-out visitor asked for a members' page (`web.errors` answers it)."""


async def member(user: OptionalUser) -> AuthContext:
    if user is None:
        raise SignInFirst
    return user


Member = Annotated[AuthContext, Depends(member)]


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, coming back here after."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?return_to={quote(safe_return_to(back))}", status_code=303)
