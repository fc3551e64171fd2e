"""Developer tokens: each is its own OAuth grant on the user's PDS, named, expiring,
shown once, used as `Authorization: Bearer`, and revocable by its 8-character prefix."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from plyr.atproto.oauth.client import OAuthClient, OAuthError
from plyr.auth import repository, service
from plyr.auth.cookies import browser_cookie, browser_secret
from plyr.auth.dependencies import BrowserUser, CurrentUser
from plyr.auth.ratelimits import SignInLimit
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import BadRequest, NotFound

router = APIRouter(prefix="/auth", tags=["auth"])

EXTRA_KEY = "developer_token"


class DeveloperTokenStart(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(None, ge=1, le=365, description="null: never expires")


class AuthUrl(BaseModel):
    auth_url: str


class DeveloperToken(BaseModel):
    prefix: str
    name: str | None
    created_at: datetime
    expires_at: datetime | None


class NewDeveloperToken(DeveloperToken):
    token: str = Field(description="shown once: store it now")


@router.post("/developer-token/start", dependencies=[SignInLimit])
async def start_developer_token(
    body: DeveloperTokenStart, request: Request, user: BrowserUser, runtime: RuntimeDep
) -> JSONResponse:
    """Begin the OAuth grant that will back a new token; open `auth_url` in the browser."""
    secret = browser_secret(request)
    extra = {EXTRA_KEY: {**body.model_dump(), "for_did": user.did}}
    try:
        url = await OAuthClient.of(runtime).start(
            user.did, return_to="/portal", browser_secret=secret, prompt="login", extra=extra
        )
    except OAuthError as e:
        raise BadRequest(str(e)) from e
    response = JSONResponse(AuthUrl(auth_url=url).model_dump())
    browser_cookie(response, secret, runtime.settings.cookie_secure)
    return response


def is_developer_grant(extra: dict[str, object]) -> bool:
    return isinstance(extra.get(EXTRA_KEY), dict)


def token_lifetime(extra: dict[str, object]) -> timedelta | None:
    request = extra[EXTRA_KEY]
    assert isinstance(request, dict)
    days = request.get("expires_in_days")
    return timedelta(days=int(days)) if days else None


@router.get("/developer-tokens")
async def list_developer_tokens(user: CurrentUser, db: DbSession) -> list[DeveloperToken]:
    """My developer tokens (never the tokens themselves)."""
    return await developer_tokens_of(db, user.did)


async def developer_tokens_of(db: DbSession, did: str) -> list[DeveloperToken]:
    return [
        DeveloperToken(
            prefix=s.prefix, name=s.name, created_at=s.created_at, expires_at=s.expires_at
        )
        for s in await repository.developer_sessions(db, did)
    ]


@router.delete("/developer-tokens/{prefix}", status_code=204)
async def revoke_developer_token(prefix: str, user: BrowserUser, db: DbSession) -> Response:
    """Revoke a developer token (and its grant on the PDS)."""
    sessions = await repository.developer_sessions(db, user.did, prefix=prefix)
    if not sessions:
        raise NotFound("no developer token with that prefix")
    await service.queue_revocation(
        db, await repository.delete_sessions(db, [s.id for s in sessions])
    )
    return Response(status_code=204)
