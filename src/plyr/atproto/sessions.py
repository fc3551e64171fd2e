"""A signed-in user's PDS, for writing their records: from the credentials stored (sealed)
on their newest session that has any. Two kinds: "password" (an app-password session,
`PasswordAuth`) and "oauth" (DPoP-bound OAuth tokens, `OAuthAuth`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import OperationalError

from plyr.atproto import repository
from plyr.atproto.oauth.auth import OAuthAuth, TokensNotSaved
from plyr.atproto.oauth.client import OAuthClient, OAuthSessionExpired, credentials_expire_at
from plyr.atproto.pds import PasswordAuth, PdsClient, ScopeUpgradeRequired, XrpcError
from plyr.atproto.scopes import GrantedScopes, repo_scope
from plyr.core.locks import LockBusy, owned_lock
from plyr.core.runtime import Runtime
from plyr.core.secrets import SecretBoxError
from plyr.models import utcnow

log = logging.getLogger(__name__)

STORE_DEADLINE_S = 30.0  # how long rotated tokens wait for a busy database
STORE_RETRY_S = 0.2
PENDING_TTL_S = 24 * 3600.0  # rotated tokens the database missed, kept (sealed) in the cache
REVOKE_DEADLINE_S = 5.0  # in all, for the revocations of one logout or deletion


def seal_password_session(runtime: Runtime, pds_url: str, tokens: dict[str, Any]) -> str:
    return runtime.secrets.seal({"kind": "password", "pds_url": pds_url, "tokens": tokens})


def seal_oauth_session(runtime: Runtime, data: dict[str, Any]) -> str:
    """`data` from `OAuthClient.complete` / `refresh` (kind "oauth")."""
    return runtime.secrets.seal({**data, "kind": "oauth"})


async def _store(runtime: Runtime, session_id: str, sealed: str, **values: Any) -> bool:
    """Write rotated credentials, retrying while the database is busy or away (up to
    `STORE_DEADLINE_S`): the old refresh token is already spent at the server, so these are
    the only ones left. False when the session row is gone (signed out meanwhile)."""
    deadline = time.monotonic() + STORE_DEADLINE_S
    while True:
        try:
            async with runtime.writer() as db:
                stored = await repository.store_credentials(db, session_id, sealed, **values)
                await db.commit()
            return stored
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            log.info("database busy while saving rotated tokens; trying again")
            await asyncio.sleep(STORE_RETRY_S)


def _pending_key(session_id: str) -> str:
    return f"oauth:pending:{session_id}"


async def _save_rotated(runtime: Runtime, session_id: str, sealed: str, **values: Any) -> None:
    """Save rotated credentials before anyone uses them. When the database cannot take them,
    they wait (sealed) in the cache for the next reload and the caller gets a 503; when the
    session was ended meanwhile (logout), they are revoked at once."""
    try:
        stored = await _store(runtime, session_id, sealed, **values)
    except OperationalError as e:
        await runtime.cache.set(_pending_key(session_id), sealed, PENDING_TTL_S)
        raise TokensNotSaved(
            "plyr could not save your refreshed PDS session (database busy): try again shortly"
        ) from e
    if not stored:
        await revoke_all(runtime, [sealed])
        raise OAuthSessionExpired("the session was signed out while its tokens were refreshed")


async def _load(runtime: Runtime, session_id: str) -> dict[str, Any]:
    """The session's latest credentials: a rotation the database missed (waiting in the cache,
    saved now if possible) or the row's. Raises `OAuthSessionExpired` when the row has none
    (signed out, or ended), so nothing refreshes a session that is over."""
    pending = await runtime.cache.get(_pending_key(session_id))
    if pending is not None:
        data = runtime.secrets.open(pending)
        values = {"expires_at": session_expires_at(data)} if data.get("kind") == "oauth" else {}
        with contextlib.suppress(OperationalError):
            if not await _store(runtime, session_id, pending, **values):
                await runtime.cache.delete(_pending_key(session_id))
                await revoke_all(runtime, [pending])  # live tokens of a session that ended
                raise OAuthSessionExpired("the session was signed out")
            await runtime.cache.delete(_pending_key(session_id))
        return data
    async with runtime.sessionmaker() as db:
        sealed = await repository.sealed_credentials(db, session_id)
    if sealed is None:
        raise OAuthSessionExpired("the session was signed out")
    return runtime.secrets.open(sealed)


async def end_credentials(runtime: Runtime, session_id: str) -> None:
    """The PDS refused the session's refresh token: the session is over (its owner signs in
    again), and its dead tokens are dropped so nothing tries them again."""
    log.info("PDS session ended for session %s…", session_id[:8])
    async with runtime.sessionmaker() as db:
        await repository.drop_credentials(db, session_id, utcnow())
        await db.commit()


def session_expires_at(data: dict[str, Any]) -> datetime:
    """A plyr session backed by OAuth lasts as long as its refresh token."""
    return datetime.fromtimestamp(credentials_expire_at(data), UTC)


def oauth_auth(runtime: Runtime, session_id: str, data: dict[str, Any]) -> OAuthAuth:
    """The `OAuthAuth` of one session row: rotated tokens are written back to the row, and
    refreshes of the same session are serialized (see `plyr.atproto.oauth.auth`)."""

    async def persist(new: dict[str, Any]) -> None:
        sealed = seal_oauth_session(runtime, new)
        await _save_rotated(runtime, session_id, sealed, expires_at=session_expires_at(new))

    async def on_expired() -> None:
        await end_credentials(runtime, session_id)

    async def reload() -> dict[str, Any] | None:
        try:
            stored = await _load(runtime, session_id)
        except SecretBoxError:
            return None
        return stored if stored.get("kind") == "oauth" else None

    return OAuthAuth(
        OAuthClient.of(runtime),
        data,
        persist=persist,
        reload=reload,
        lock_name=f"session:{session_id}",
        on_expired=on_expired,
    )


@contextlib.asynccontextmanager
async def password_refresh_lock(runtime: Runtime, did: str) -> AsyncIterator[None]:
    """One refresh at a time per account with an app password, across every `PasswordAuth`
    built for it (each request builds its own) and across processes."""
    try:
        async with owned_lock(runtime.cache, f"password:{did}", ttl_s=30, wait_s=20):
            yield
    except LockBusy:
        raise XrpcError(
            503, "RefreshBusy", "the PDS session is busy refreshing: try again"
        ) from None


def password_auth(
    runtime: Runtime, session_id: str, did: str, data: dict[str, Any]
) -> PasswordAuth:
    """The `PasswordAuth` of one session row (app-password JWTs), sharing the account's lock."""

    async def persist(tokens: dict[str, Any]) -> None:
        sealed = seal_password_session(runtime, data["pds_url"], tokens)
        try:
            await _save_rotated(runtime, session_id, sealed)
        except TokensNotSaved as e:
            raise XrpcError(503, "RefreshNotSaved", str(e)) from e
        except OAuthSessionExpired as e:
            raise XrpcError(401, "SessionExpired", str(e)) from e

    async def reload() -> dict[str, Any] | None:
        try:
            stored = await _load(runtime, session_id)
        except (SecretBoxError, OAuthSessionExpired):
            return None
        tokens = stored.get("tokens")
        return tokens if stored.get("kind") == "password" and isinstance(tokens, dict) else None

    async def on_expired() -> None:
        await end_credentials(runtime, session_id)

    return PasswordAuth(
        runtime.http,
        data["pds_url"],
        data["tokens"],
        persist,
        on_expired,
        lock=lambda: password_refresh_lock(runtime, did),
        reload=reload,
    )


async def _credentials(runtime: Runtime, did: str) -> tuple[str, dict[str, Any]] | None:
    """(session id, opened credentials) of the user's newest live session that has any."""
    async with runtime.sessionmaker() as db:
        found = await repository.newest_credentials(db, did)
    if found is None:
        return None
    session_id, sealed = found
    return session_id, runtime.secrets.open(sealed)


async def pds_for(runtime: Runtime, did: str) -> PdsClient | None:
    """None when the user has no PDS credentials here (a local developer session, or every
    session of theirs has ended)."""
    found = await _credentials(runtime, did)
    if found is None:
        return None
    session_id, data = found

    if data.get("kind") == "oauth":
        return PdsClient(runtime.http, data["pds_url"], did, oauth_auth(runtime, session_id, data))

    auth = password_auth(runtime, session_id, did, data)
    return PdsClient(runtime.http, data["pds_url"], did, auth)


async def require_repo_scope(runtime: Runtime, did: str, collection: str, *actions: str) -> None:
    """Raise `ScopeUpgradeRequired` unless the user's PDS session may do each of `actions`
    to `collection`: checked before a change, so a refusal changes nothing."""
    found = await _credentials(runtime, did)
    if found is None or found[1].get("kind") != "oauth":
        return  # no PDS writes, or an app password (full access)
    granted = GrantedScopes(str(found[1].get("scope") or ""))
    for action in actions:
        if not granted.allows_repo(collection, action):
            raise ScopeUpgradeRequired.missing(repo_scope(collection, action))


async def revoke_credentials(runtime: Runtime, sealed: str | None) -> bool:
    """Best effort: revoke the OAuth tokens in a session's sealed credentials (on logout).
    True when the authorization server accepted; never raises."""
    if not sealed:
        return False
    try:
        data = runtime.secrets.open(sealed)
        if data.get("kind") != "oauth":
            return False
        return await OAuthClient.of(runtime).revoke(data)
    except Exception:  # logout must succeed even when the PDS is down or the data is bad
        log.warning("could not revoke OAuth tokens on logout", exc_info=True)
        return False


async def revoke_all(runtime: Runtime, sealed: Iterable[str | None]) -> None:
    """Revoke sessions' tokens at once, giving up after `REVOKE_DEADLINE_S` in all (failures
    are logged). Call it after the rows are deleted and committed, never inside a writer: an
    authorization server may answer slowly on purpose, and SQLite has one write lock."""
    revocations = [revoke_credentials(runtime, s) for s in sealed if s]
    if not revocations:
        return
    try:
        async with asyncio.timeout(REVOKE_DEADLINE_S):
            await asyncio.gather(*revocations)
    except TimeoutError:
        log.warning("token revocation gave up after %s s", REVOKE_DEADLINE_S)
