"""OAuth sign-in: `/auth/start` → the user's PDS → `/auth/callback`; the client metadata
and keys the authorization server fetches (see `plyr.atproto.oauth`)."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from plyr.atproto.oauth.client import OAuthClient, OAuthError, OAuthGrant
from plyr.atproto.oauth.metadata import client_config, client_metadata, jwks
from plyr.atproto.sessions import seal_oauth_session, session_expires_at
from plyr.auth import developer_tokens, service
from plyr.auth.dependencies import CurrentUser
from plyr.auth.ratelimits import SignInLimit
from plyr.auth.router import set_session_cookie
from plyr.core.deps import RuntimeDep, WriterDbSession
from plyr.core.errors import BadRequest, NotFound
from plyr.models import utcnow
from plyr.tracks.tasks import enqueue_resume, enqueue_sync

router = APIRouter(tags=["auth"])

BROWSER_COOKIE = "oauth_browser"
BROWSER_COOKIE_PATH = "/auth"
BROWSER_COOKIE_AGE = 600
MAX_RETURN_TO = 2048
_BROWSER_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

REDIRECT: dict[int | str, dict[str, Any]] = {
    302: {"description": "redirect to the PDS (start) or back into plyr (callback)"}
}


def _redirecting_get(path: str, dependencies: list[Any] | None = None) -> Any:
    """A GET route whose answer is a 302 to the user's PDS."""
    return router.get(
        path,
        status_code=302,
        responses=REDIRECT,
        response_class=RedirectResponse,
        dependencies=dependencies,
    )


def safe_return_to(value: str | None) -> str:
    """`value` if it is a path on this site (`/...`, not `//host` or `/\\host`), else `/`."""
    if not value or len(value) > MAX_RETURN_TO or not value.startswith("/"):
        return "/"
    if value.startswith(("//", "/\\")) or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc:
        return "/"
    return value


def browser_secret(request: Request) -> str:
    """The browser's pending-sign-in secret: reused when present (several tabs), else new."""
    current = request.cookies.get(BROWSER_COOKIE)
    if current and _BROWSER_SECRET_RE.match(current):
        return current
    return secrets.token_urlsafe(32)


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
    config = client_config(settings)
    if config.mode == "loopback" and request.url.hostname == "localhost":
        # the callback comes back to 127.0.0.1 (the spec's loopback rule): start there so
        # the browser cookie is sent to it
        port = f":{request.url.port}" if request.url.port else ""
        return RedirectResponse(str(request.url.replace(netloc=f"127.0.0.1{port}")), 302)
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
        raise BadRequest(str(e)) from e
    response = RedirectResponse(url, status_code=302)
    browser_cookie(response, secret, settings.cookie_secure)
    return response


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


Handle = Annotated[str, Query(min_length=1, max_length=2048, description="handle, DID or PDS URL")]
ReturnTo = Annotated[
    str | None, Query(max_length=MAX_RETURN_TO, description="a local path to come back to")
]


@_redirecting_get("/auth/start", dependencies=[SignInLimit])
async def oauth_start(
    request: Request, runtime: RuntimeDep, handle: Handle, return_to: ReturnTo = None
) -> RedirectResponse:
    """Sign in with your PDS: redirects to its authorization page."""
    return await _start(request, runtime, handle, return_to)


@_redirecting_get("/auth/add-account/start", dependencies=[SignInLimit])
async def oauth_add_account(
    request: Request,
    runtime: RuntimeDep,
    user: CurrentUser,
    handle: Handle,
    return_to: ReturnTo = None,
) -> RedirectResponse:
    """Sign in another account in this browser (it joins the current account group)."""
    extra = {"group_id": user.session.group_id}
    return await _start(request, runtime, handle, return_to, prompt="login", extra=extra)


@_redirecting_get("/auth/create-account/start", dependencies=[SignInLimit])
async def oauth_create_account(
    request: Request,
    runtime: RuntimeDep,
    pds: Annotated[
        str, Query(min_length=1, max_length=2048, description="one of /config's signup_pds_hosts")
    ],
    return_to: ReturnTo = None,
) -> RedirectResponse:
    """Create an account on a PDS the operator lists, then come back signed in."""
    if pds.rstrip("/") not in runtime.settings.signup_pds_urls:
        raise BadRequest("accounts can be created only on the PDSes this instance lists")
    return await _start(request, runtime, pds.rstrip("/"), return_to, prompt="create")


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
        raise BadRequest(str(e)) from e
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
    await db.commit()
    await enqueue_sync(runtime, grant.did)  # bring in what their repo already holds
    await enqueue_resume(runtime, grant.did)  # and publish what waited for them
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
