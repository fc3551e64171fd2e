"""`OAuthAuth`: a `PdsAuth` for an OAuth session: DPoP-bound access tokens, the PDS's DPoP
nonces, and refresh under a per-session lock (refresh tokens are single-use).

The lock is `plyr.core.locks.owned_lock` (per process and across processes, released only by
its owner); inside it, the session's stored data is reloaded first, so a request that lost the
race adopts the tokens the winner persisted instead of replaying the used refresh token. The
rotated tokens are persisted before anything uses them; when they cannot be, the refresh
fails (503) and nothing proceeds on tokens only this process knows.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from plyr.atproto.oauth.client import (
    OAuthClient,
    OAuthError,
    OAuthSessionExpired,
    is_use_dpop_nonce,
)
from plyr.atproto.oauth.dpop import import_key, make_proof
from plyr.atproto.pds import XrpcError
from plyr.core.cache import Cache
from plyr.core.locks import LockBusy, owned_lock

__all__ = [
    "OAuthAuth",
    "OAuthRefreshFailed",
    "TokensNotSaved",
    "refresh_lock",
]

EXPIRY_MARGIN_S = 30
LOCK_TTL_S = 30
LOCK_WAIT_S = 20

Persist = Callable[[dict[str, Any]], Awaitable[None]]
Reload = Callable[[], Awaitable[dict[str, Any] | None]]
OnExpired = Callable[[], Awaitable[None]]


def refresh_lock(cache: Cache, name: str) -> AbstractAsyncContextManager[str]:
    """Mutual exclusion for `name` across tasks and processes, with an owner (`owned_lock`);
    raises `LockBusy` when another holder keeps it past `LOCK_WAIT_S`."""
    return owned_lock(cache, f"oauth:{name}", ttl_s=LOCK_TTL_S, wait_s=LOCK_WAIT_S)


class TokensNotSaved(OAuthError):
    """The authorization server rotated the tokens but plyr could not store them (the
    database stayed busy or down): retry later; the session itself is kept."""


class OAuthRefreshFailed(XrpcError):
    """A PDS call could not refresh the session's tokens. An `XrpcError` (so callers that
    handle PDS failures handle this too): 401 `SessionExpired` when the user must sign in
    again, 502 `RefreshFailed` when the authorization server failed, 503 `RefreshNotSaved`
    when the new tokens could not be stored (both: retry later)."""

    def __init__(self, error: OAuthError) -> None:
        expired = isinstance(error, OAuthSessionExpired)
        if expired:
            status, name = 401, "SessionExpired"
        elif isinstance(error, TokensNotSaved):
            status, name = 503, "RefreshNotSaved"
        else:
            status, name = 502, "RefreshFailed"
        super().__init__(status, name, str(error))
        self.expired = expired


def _www_error(response: httpx.Response) -> str:
    header = response.headers.get("www-authenticate", "")
    marker = 'error="'
    start = header.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    return header[start : header.find('"', start)]


class OAuthAuth:
    """Authorizes PDS requests for one OAuth session (see the module docstring)."""

    def __init__(
        self,
        client: OAuthClient,
        data: dict[str, Any],
        *,
        persist: Persist | None = None,
        reload: Reload | None = None,
        lock_name: str | None = None,
        on_expired: OnExpired | None = None,
    ) -> None:
        self.client, self.data, self.persist, self.reload = client, data, persist, reload
        self.on_expired = on_expired
        self.lock_name = lock_name or f"dpop:{data['dpop_jwk']['x']}"
        self.key = import_key(data["dpop_jwk"])
        self.refreshes = 0  # how many refreshes this instance performed

    def _expired(self) -> bool:
        expires_at = self.data.get("expires_at")
        return isinstance(expires_at, int | float) and expires_at - EXPIRY_MARGIN_S < time.time()

    async def authorize(self, request: httpx.Request) -> None:
        if self._expired():
            await self.refresh(self.data["access_token"])
        token = self.data["access_token"]
        url = str(request.url)
        nonce = await self.client.nonces.get("rs", url)
        request.headers["Authorization"] = f"DPoP {token}"
        request.headers["DPoP"] = make_proof(
            self.key, request.method, url, nonce=nonce, access_token=token
        )

    async def should_retry(self, request: httpx.Request, response: httpx.Response) -> bool:
        url = str(request.url)
        fresh = await self.client.nonces.remember("rs", url, response)
        if is_use_dpop_nonce(response):
            return fresh is not None
        if response.status_code != 401:
            return False
        error = _www_error(response) or XrpcError.of(response).error
        if error not in ("invalid_token", "InvalidToken", "ExpiredToken"):
            return False
        used = request.headers.get("Authorization", "").removeprefix("DPoP ")
        await self.refresh(used)
        return True

    async def refresh(self, used_access_token: str) -> None:
        """Refresh, unless someone already replaced `used_access_token` (then adopt theirs).
        Raises `OAuthRefreshFailed` (an `XrpcError`); a refused refresh token first calls
        `on_expired` (the session is over)."""
        try:
            async with refresh_lock(self.client.cache, self.lock_name):
                if self.reload is not None:
                    stored = await self.reload()
                    if stored is not None:
                        self.data = stored
                if self.data["access_token"] != used_access_token and not self._expired():
                    return  # refreshed meanwhile (here or in another process)
                fresh = await self.client.refresh(self.data)
                self.refreshes += 1
                if self.persist is not None:  # the old refresh token is spent: save first
                    await self.persist(fresh)
                self.data = fresh
        except LockBusy as e:
            busy = OAuthError("the PDS session is busy refreshing elsewhere; try again")
            raise OAuthRefreshFailed(busy) from e
        except OAuthSessionExpired as e:
            if self.on_expired is not None:
                await self.on_expired()
            raise OAuthRefreshFailed(e) from e
        except OAuthError as e:
            raise OAuthRefreshFailed(e) from e

    async def revoke(self) -> bool:
        return await self.client.revoke(self.data)
