"""OAuth sign-in: `/auth/start` → the user's PDS → `/auth/callback`; the client metadata
and keys the authorization server fetches (see `plyr.atproto.oauth`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from plyr.atproto.oauth.client import OAuthClient, OAuthError, OAuthGrant, OAuthServerUnusable
from plyr.atproto.oauth.metadata import client_config, client_metadata, jwks
from plyr.atproto.sessions import seal_oauth_session, session_expires_at
from plyr.auth import developer_tokens, service
from plyr.auth.cookies import (
    BROWSER_COOKIE,
    BROWSER_COOKIE_PATH,
    browser_cookie,
    browser_secret,
    set_session_cookie,
)
from plyr.auth.dependencies import CurrentUser, FromOwnPage, OptionalUser
from plyr.auth.ratelimits import SignInLimit
from plyr.auth.service import AuthContext
from plyr.core.deps import RuntimeDep, WriterDbSession
from plyr.core.errors import AppError, BadRequest, ErrorOut, NotFound
from plyr.core.urls import MAX_RETURN_TO, safe_return_to
from plyr.html.templating import render
from plyr.models import utcnow

router = APIRouter(tags=["auth"])


UNUSABLE_SERVER: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorOut, "description": "the PDS's OAuth servers break the atproto profile"}
}
REDIRECT: dict[int | str, dict[str, Any]] = {
    302: {"description": "redirect back into plyr (callback)"},
    **UNUSABLE_SERVER,
}
START: dict[int | str, dict[str, Any]] = {
    303: {"description": "redirect to the PDS (or to /login with the error, for a browser)"},
    403: {"model": ErrorOut, "description": "not sent from one of plyr's own pages"},
    **UNUSABLE_SERVER,
}


def _redirecting_post(path: str) -> Any:
    """A sign-in start: a POST from plyr's own page, answered with a 303 to the PDS."""
    return router.post(
        path,
        status_code=303,
        responses=START,
        response_class=RedirectResponse,
        dependencies=[FromOwnPage, SignInLimit],
    )


def _loopback_hop(
    request: Request, settings: Any, path: str, fields: dict[str, str | None]
) -> RedirectResponse | None:
    """A development (loopback) client's callback comes back to 127.0.0.1 (the spec's
    loopback rule): the sign-in must start there so the browser cookie is sent to it. The
    hop lands on the confirm page there (a redirected POST would lose its Origin)."""
    if client_config(settings).mode != "loopback" or request.url.hostname != "localhost":
        return None
    port = f":{request.url.port}" if request.url.port else ""
    query = urlencode({k: v for k, v in fields.items() if v})
    return RedirectResponse(f"http://127.0.0.1{port}{path}?{query}", status_code=303)


async def _start(
    request: Request,
    runtime: Any,
    handle: str,
    return_to: str | None,
    *,
    prompt: str | None = None,
    extra: dict[str, Any] | None = None,
) -> RedirectResponse:
    settings = runtime.settings
    secret = browser_secret(request)
    try:
        url = await OAuthClient.of(runtime).start(
            handle,
            return_to=safe_return_to(return_to),
            browser_secret=secret,
            prompt=prompt,
            extra=extra,
        )
    except OAuthError as e:
        if "text/html" in request.headers.get("accept", ""):  # the login form: say it there
            query = urlencode({"error": str(e)[:300], "return_to": safe_return_to(return_to)})
            return RedirectResponse(f"/login?{query}", status_code=303)
        raise _refusal(e) from e
    response = RedirectResponse(url, status_code=303)
    browser_cookie(response, secret, settings.cookie_secure)
    return response


def _confirm_page(
    request: Request,
    user: AuthContext | None,
    *,
    action: str,
    heading: str,
    message: str,
    **fields: str | None,
) -> Response:
    """A page whose button POSTs the start: a link or a redirect from another site can
    bring a visitor here, but cannot start a sign-in in their browser (login CSRF)."""
    values = {name: value for name, value in fields.items() if value}
    values["return_to"] = safe_return_to(fields.get("return_to"))
    response = render(
        request,
        "pages/sign_in_confirm.html",
        user,
        title=heading,
        heading=heading,
        message=message,
        action=action,
        fields=values,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(e: OAuthError) -> AppError:
    """A 400 for what the user sent, a 502 when their PDS's servers break the profile."""
    return AppError(str(e), status_code=502 if isinstance(e, OAuthServerUnusable) else 400)


HANDLE_HELP = "handle, DID or PDS URL"
PDS_HELP = "one of /config's signup_pds_hosts"
RETURN_TO_HELP = "a local path to come back to"
HandleQuery = Annotated[str, Query(min_length=1, max_length=2048, description=HANDLE_HELP)]
HandleForm = Annotated[str, Form(min_length=1, max_length=2048, description=HANDLE_HELP)]
PdsQuery = Annotated[str, Query(min_length=1, max_length=2048, description=PDS_HELP)]
PdsForm = Annotated[str, Form(min_length=1, max_length=2048, description=PDS_HELP)]
ReturnToQuery = Annotated[str | None, Query(max_length=MAX_RETURN_TO, description=RETURN_TO_HELP)]
ReturnToForm = Annotated[str | None, Form(max_length=MAX_RETURN_TO, description=RETURN_TO_HELP)]
CONFIRM: dict[int | str, dict[str, Any]] = {
    303: {"description": "a development instance's hop to 127.0.0.1 (loopback client)"}
}


@router.get("/auth/start", response_class=HTMLResponse, responses=CONFIRM)
async def oauth_start_page(
    request: Request,
    runtime: RuntimeDep,
    user: OptionalUser,
    handle: HandleQuery,
    return_to: ReturnToQuery = None,
) -> Response:
    """Asks to continue signing in as `handle`; its button POSTs `/auth/start`."""
    fields = {"handle": handle, "return_to": return_to}
    return _loopback_hop(request, runtime.settings, "/auth/start", fields) or _confirm_page(
        request,
        user,
        action="/auth/start",
        heading="sign in",
        message=f"continue signing in to plyr as {handle}?",
        **fields,
    )


@_redirecting_post("/auth/start")
async def oauth_start(
    request: Request, runtime: RuntimeDep, handle: HandleForm, return_to: ReturnToForm = None
) -> Response:
    """Sign in with your PDS: redirects to its authorization page. Only from plyr's own
    pages (Origin or Referer), so no other site can sign a visitor in as someone else."""
    fields = {"handle": handle, "return_to": return_to}
    return _loopback_hop(request, runtime.settings, "/auth/start", fields) or await _start(
        request, runtime, handle, return_to
    )


@router.get("/auth/add-account/start", response_class=HTMLResponse)
async def oauth_add_account_page(
    request: Request, user: CurrentUser, handle: HandleQuery, return_to: ReturnToQuery = None
) -> Response:
    """Asks to continue adding `handle` to this browser; its button POSTs the start."""
    return _confirm_page(
        request,
        user,
        action="/auth/add-account/start",
        heading="add an account",
        message=f"sign in as {handle} too, next to {user.artist.handle}?",
        handle=handle,
        return_to=return_to,
    )


@_redirecting_post("/auth/add-account/start")
async def oauth_add_account(
    request: Request,
    runtime: RuntimeDep,
    user: CurrentUser,
    handle: HandleForm,
    return_to: ReturnToForm = None,
) -> Response:
    """Sign in another account in this browser (it joins the current account group)."""
    extra = {"group_id": user.session.group_id}
    return await _start(request, runtime, handle, return_to, prompt="login", extra=extra)


@router.get("/auth/create-account/start", response_class=HTMLResponse, responses=CONFIRM)
async def oauth_create_account_page(
    request: Request,
    runtime: RuntimeDep,
    user: OptionalUser,
    pds: PdsQuery,
    return_to: ReturnToQuery = None,
) -> Response:
    """Asks to continue creating an account on `pds`; its button POSTs the start."""
    pds = _signup_pds(runtime, pds)
    fields = {"pds": pds, "return_to": return_to}
    path = "/auth/create-account/start"
    return _loopback_hop(request, runtime.settings, path, fields) or _confirm_page(
        request,
        user,
        action=path,
        heading="create an account",
        message=f"create an account on {pds}, then come back signed in?",
        **fields,
    )


@_redirecting_post("/auth/create-account/start")
async def oauth_create_account(
    request: Request, runtime: RuntimeDep, pds: PdsForm, return_to: ReturnToForm = None
) -> Response:
    """Create an account on a PDS the operator lists, then come back signed in."""
    pds = _signup_pds(runtime, pds)
    fields = {"pds": pds, "return_to": return_to}
    path = "/auth/create-account/start"
    return _loopback_hop(request, runtime.settings, path, fields) or await _start(
        request, runtime, pds, return_to, prompt="create"
    )


def _signup_pds(runtime: Any, pds: str) -> str:
    if pds.rstrip("/") not in runtime.settings.signup_pds_urls:
        raise BadRequest("accounts can be created only on the PDSes this instance lists")
    return pds.rstrip("/")


OptionalParam = Annotated[str | None, Query(max_length=4096)]


@router.get(
    "/auth/callback",
    status_code=302,
    responses={
        **REDIRECT,
        200: {
            "model": developer_tokens.NewDeveloperToken,
            "description": "a developer token grant: the token, once",
        },
    },
    response_class=RedirectResponse,
)
async def oauth_callback(
    request: Request,
    db: WriterDbSession,
    runtime: RuntimeDep,
    code: OptionalParam = None,
    state: OptionalParam = None,
    iss: OptionalParam = None,
    error: OptionalParam = None,
    error_description: OptionalParam = None,
) -> Response:
    """Where the PDS sends the browser back: checks the response, creates the session."""
    params = {
        name: value
        for name, value in (
            ("code", code),
            ("state", state),
            ("iss", iss),
            ("error", error),
            ("error_description", error_description),
        )
        if value is not None
    }
    try:
        grant = await OAuthClient.of(runtime).complete(params, request.cookies.get(BROWSER_COOKIE))
    except OAuthError as e:
        raise _refusal(e) from e
    if developer_tokens.is_developer_grant(grant.extra):
        return await _developer_token(db, runtime, grant)
    group_id = grant.extra.get("group_id")
    token = await service.create_session(
        db,
        did=grant.did,
        handle=grant.handle or grant.did,
        kind="browser",
        group_id=group_id if isinstance(group_id, str) else None,
        pds_url=grant.pds_url,
        sealed_credentials=seal_oauth_session(runtime, grant.data),
        expires_at=session_expires_at(grant.data),
    )
    await service.queue_after_sign_in(db, grant.did)
    response = RedirectResponse(safe_return_to(grant.return_to), status_code=302)
    set_session_cookie(response, token, runtime.settings.cookie_secure)
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH)
    return response


async def _developer_token(db: WriterDbSession, runtime: RuntimeDep, grant: OAuthGrant) -> Response:
    """The grant backs a new developer token: shown once, never cached."""
    request = grant.extra[developer_tokens.EXTRA_KEY]
    assert isinstance(request, dict)
    if request.get("for_did") != grant.did:
        raise BadRequest("signed in as a different account than the one asking for the token")
    lifetime = developer_tokens.token_lifetime(grant.extra)
    created = utcnow()
    data = dict(grant.data)
    if lifetime:
        data["not_after"] = (created + lifetime).timestamp()
    expires_at = session_expires_at(data)  # the token lasts no longer than its PDS grant
    token = await service.create_session(
        db,
        did=grant.did,
        handle=grant.handle or grant.did,
        kind="developer",
        name=str(request.get("name") or "token"),
        pds_url=grant.pds_url,
        sealed_credentials=seal_oauth_session(runtime, data),
        expires_at=expires_at,
    )
    await db.commit()
    body = developer_tokens.NewDeveloperToken(
        token=token,
        prefix=token[:8],
        name=str(request.get("name")),
        created_at=created,
        expires_at=expires_at,
    )
    response = JSONResponse(body.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH)
    return response


@router.get("/oauth-client-metadata.json")
async def oauth_client_metadata(runtime: RuntimeDep) -> dict[str, Any]:
    """OAuth client metadata (the client_id document in confidential mode)."""
    return client_metadata(runtime.settings)


@router.get("/.well-known/jwks.json")
async def oauth_jwks(runtime: RuntimeDep) -> dict[str, Any]:
    """The client's public keys (confidential mode; 404 for a loopback client)."""
    if not client_config(runtime.settings).confidential:
        raise NotFound("a loopback (development) client has no keys")
    return jwks(runtime.settings)
