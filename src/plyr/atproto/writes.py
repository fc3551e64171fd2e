"""How a write to a user's PDS can fail, and what happens then: `PdsUnavailable` (the PDS
is down or erring: retried with backoff) or `NeedsSignIn` (their session ended or lacks a
scope: it waits, flagged on `/auth/me` (`artists.service.flag_problem`), until they sign in
again, which resumes it)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.oauth.auth import OAuthRefreshFailed
from plyr.atproto.pds import ScopeUpgradeRequired, XrpcError
from plyr.atproto.sessions import require_repo_scope
from plyr.core.errors import Forbidden
from plyr.core.runtime import Runtime

SESSION_ENDED = "your PDS session has ended: sign in again to publish to your PDS"
SCOPE_MISSING = "plyr needs a permission you have not granted: sign in again to grant it"


class PdsUnavailable(Exception):
    """The PDS could not take the write now; it is retried later."""


class NeedsSignIn(Exception):
    """The write waits on its owner signing in again; retrying before that is pointless."""

    def __init__(self, reason: str, message: str, scope: str | None = None) -> None:
        super().__init__(message)
        self.reason, self.message, self.scope = reason, message, scope

    @property
    def problem(self) -> dict[str, Any]:
        return {"reason": self.reason, "message": self.message, "scope": self.scope}


def failure(error: httpx.TransportError | XrpcError) -> NeedsSignIn | PdsUnavailable:
    """What a failed PDS call means for the write that made it."""
    if isinstance(error, ScopeUpgradeRequired):
        return NeedsSignIn("scope_upgrade_required", SCOPE_MISSING, error.scope)
    expired = isinstance(error, OAuthRefreshFailed) and error.expired
    if expired or (isinstance(error, XrpcError) and error.error == "SessionExpired"):
        return NeedsSignIn("session_expired", SESSION_ENDED)
    return PdsUnavailable(str(error))


def scope_upgrade_error(error: ScopeUpgradeRequired) -> Forbidden:
    """The API's answer to a write the user's session may not do."""
    detail = {"error": "scope_upgrade_required", "message": str(error.message)}
    return Forbidden({**detail, "scope": error.scope})


async def ensure_scope(runtime: Runtime, did: str, name: str, *actions: str) -> None:
    """Before a change that is mirrored to the user's repo (`name`: the record's lexicon
    name, e.g. "track"): 403 `scope_upgrade_required` unless their session may do it."""
    collection = Lexicons(runtime.settings.atproto_namespace).nsid(name)
    try:
        await require_repo_scope(runtime, did, collection, *actions)
    except ScopeUpgradeRequired as e:
        raise scope_upgrade_error(e) from e


def install_pds_error_handlers(app: FastAPI) -> None:
    """A PDS write refused for scope, or a PDS session that ended, met inside a request."""

    @app.exception_handler(ScopeUpgradeRequired)
    async def _scope(_: Request, exc: ScopeUpgradeRequired) -> JSONResponse:
        error = scope_upgrade_error(exc)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.exception_handler(OAuthRefreshFailed)
    async def _refresh(_: Request, exc: OAuthRefreshFailed) -> JSONResponse:
        if exc.expired:
            detail = {"error": "session_expired", "message": SESSION_ENDED}
            return JSONResponse({"detail": detail}, status_code=401)
        if exc.error == "RefreshNotSaved":  # the PDS answered; our database did not
            detail = {"error": "try_again", "message": exc.message}
        else:
            detail = {"error": "pds_unavailable", "message": f"your PDS did not answer: {exc}"}
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})
