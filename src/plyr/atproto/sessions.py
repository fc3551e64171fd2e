"""A signed-in user's PDS, for writing their records: from the credentials stored (sealed)
on their newest session that has any."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from plyr.atproto.pds import PasswordAuth, PdsClient
from plyr.core.runtime import Runtime
from plyr.models import Session


def seal_password_session(runtime: Runtime, pds_url: str, tokens: dict[str, Any]) -> str:
    return runtime.secrets.seal({"kind": "password", "pds_url": pds_url, "tokens": tokens})


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

    async def persist(tokens: dict[str, Any]) -> None:
        resealed = seal_password_session(runtime, data["pds_url"], tokens)
        async with runtime.sessionmaker() as db:
            await db.execute(
                update(Session).where(Session.id == session_id).values(oauth_data=resealed)
            )
            await db.commit()

    auth = PasswordAuth(runtime.http, data["pds_url"], data["tokens"], persist)
    return PdsClient(runtime.http, data["pds_url"], did, auth)
