"""Error pages: a browser navigating to a page that fails gets the error inside the shell
(the player keeps playing); API clients keep getting JSON."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from plyr.auth.dependencies import optional_user
from plyr.core.errors import AppError, app_error_response
from plyr.html.templating import render
from plyr.web.members import SignInFirst, login_redirect

log = logging.getLogger(__name__)

HEADINGS = {
    400: ("that did not work", "the request was not right."),
    401: ("sign in first", "this page is for signed-in people."),
    403: ("not yours", "you cannot see this."),
    404: ("nothing here", "this page does not exist, or it is private."),
    500: ("something broke", "it is on our side. try again in a moment."),
}


def wants_page(request: Request) -> bool:
    """A browser navigation (a first load or an htmx-boosted one), not an API call."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.headers.get("hx-request") and not request.headers.get("hx-boosted"):
        return False
    return "text/html" in request.headers.get("accept", "")


async def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    try:
        user = await optional_user(
            request, request.app.state.runtime, request.app.state.runtime.settings
        )
    except Exception:  # the error page must render even when sessions cannot be read
        user = None
    heading, message = HEADINGS.get(status_code, HEADINGS[400 if status_code < 500 else 500])
    if detail and status_code < 500:
        message = detail
    return render(
        request,
        "pages/error.html",
        user,
        title=heading,
        status_code=status_code,
        heading=heading,
        message=message,
    )


def install_page_errors(app: FastAPI) -> None:
    @app.exception_handler(SignInFirst)
    async def _sign_in_first(request: Request, exc: SignInFirst) -> Response:
        return login_redirect(request)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if wants_page(request):
            detail = exc.detail if isinstance(exc.detail, str) else None
            page = await error_page(request, exc.status_code, detail)
            page.headers.update(exc.headers or {})
            return page
        return app_error_response(exc)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if wants_page(request) and exc.status_code in HEADINGS:
            return await error_page(request, exc.status_code)
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if wants_page(request):
            return await error_page(request, 500)
        from fastapi.responses import JSONResponse

        return JSONResponse({"detail": "internal error"}, status_code=500)
