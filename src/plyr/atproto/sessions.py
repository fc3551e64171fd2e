"""A signed-in user's PDS, for writing their records: from the credentials stored (sealed)
on their newest session that has any. Two kinds: "password" (an app-password session,
`PasswordAuth`) and "oauth" (DPoP-bound OAuth tokens, `OAuthAuth`)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update

from plyr.atproto.oauth.auth import OAuthAuth
from plyr.atproto.oauth.client import OAuthClient
from plyr.atproto.pds import PasswordAuth, PdsClient
from plyr.core.runtime import Runtime
from plyr.core.secrets import SecretBoxError
from plyr.models import Session

log = logging.getLogger(__name__)


def seal_password_session(runtime: Runtime, pds_url: str, tokens: dict[str, Any]) -> str:
    return runtime.secrets.seal({"kind": "password", "pds_url": pds_url, "tokens": tokens})


def seal_oauth_session(runtime: Runtime, data: dict[str, Any]) -> str:
    """`data` from `OAuthClient.complete` / `refresh` (kind "oauth")."""
    return runtime.secrets.seal({**data, "kind": "oauth"})


async def _store(runtime: Runtime, session_id: str, sealed: str) -> None:
    async with runtime.sessionmaker() as db:
        await db.execute(update(Session).where(Session.id == session_id).values(oauth_data=sealed))
        await db.commit()


def oauth_auth(runtime: Runtime, session_id: str, data: dict[str, Any]) -> OAuthAuth:
    """The `OAuthAuth` of one session row: rotated tokens are written back to the row, and
    refreshes of the same session are serialized (see `plyr.atproto.oauth.auth`)."""

    async def persist(new: dict[str, Any]) -> None:
        await _store(runtime, session_id, seal_oauth_session(runtime, new))

    async def reload() -> dict[str, Any] | None:
        async with runtime.sessionmaker() as db:
            sealed = await db.scalar(select(Session.oauth_data).where(Session.id == session_id))
        if sealed is None:
            return None
        try:
            stored = runtime.secrets.open(sealed)
        except SecretBoxError:
            return None
        return stored if stored.get("kind") == "oauth" else None

    return OAuthAuth(
        OAuthClient.of(runtime),
        data,
        persist=persist,
        reload=reload,
        lock_name=f"session:{session_id}",
    )


async def pds_for(runtime: Runtime, did: str) -> PdsClient | None:
    """None when the user has no PDS credentials here (e.g. a local developer session)."""
    async with runtime.sessionmaker() as db:
        query = (
            select(Session.id, Session.oauth_data)
            .where(Session.did == did, Session.oauth_data.is_not(None))
            .order_by(Session.created_at.desc())
            .limit(1)
        )
        row = (await db.execute(query)).first()
    if row is None or row.oauth_data is None:
        return None
    session_id, sealed = row.id, row.oauth_data
    data = runtime.secrets.open(sealed)

    if data.get("kind") == "oauth":
        return PdsClient(runtime.http, data["pds_url"], did, oauth_auth(runtime, session_id, data))

    async def persist(tokens: dict[str, Any]) -> None:
        await _store(runtime, session_id, seal_password_session(runtime, data["pds_url"], tokens))

    auth = PasswordAuth(runtime.http, data["pds_url"], data["tokens"], persist)
    return PdsClient(runtime.http, data["pds_url"], did, auth)


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
