"""Sessions: opaque tokens handed to browsers and scripts; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.auth import repository
from plyr.core import outbox
from plyr.models import Artist, Session, utcnow

TOUCH_EVERY = timedelta(minutes=5)
# the worker's tasks (`plyr.tasks`) that signing in queues: by name, as they sit above auth
SYNC_REPO = "sync_repo"
RESUME_PDS_WRITES = "resume_pds_writes"


@dataclass(frozen=True)
class AuthContext:
    """Who is calling, and through which session."""

    artist: Artist
    session: Session
    via_cookie: bool

    @property
    def did(self) -> str:
        return self.artist.did


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_session(
    db: AsyncSession,
    *,
    did: str,
    handle: str,
    kind: str = "browser",
    name: str | None = None,
    group_id: str | None = None,
    ttl: timedelta | None = timedelta(days=14),
    expires_at: datetime | None = None,
    display_name: str | None = None,
    pds_url: str | None = None,
    sealed_credentials: str | None = None,
) -> str:
    """Create (or refresh) the artist row and a session for it; returns the token, once.
    The session ends at `expires_at` when given, else after `ttl` (None: never)."""
    artist = await repository.upsert_identity(db, did=did, handle=handle, display_name=display_name)
    if pds_url:
        artist.pds_url = pds_url
    token = secrets.token_urlsafe(32)
    now = utcnow()
    repository.add(
        db,
        Session(
            id=hash_token(token),
            did=did,
            group_id=group_id or secrets.token_hex(16),
            kind=kind,
            name=name,
            prefix=token[:8],
            created_at=now,
            expires_at=expires_at or (now + ttl if ttl else None),
            oauth_data=sealed_credentials,
        ),
    )
    await db.flush()
    return token


async def resolve(db: AsyncSession, token: str) -> tuple[Session, Artist] | None:
    """The live session of a token and its account (reads only)."""
    found = await repository.get_with_artist(db, hash_token(token))
    if found is None or is_expired(found[0], utcnow()):
        return None
    return found


def touch_due(session: Session) -> bool:
    """`last_used_at` is kept to the nearest few minutes, not written on every request."""
    return session.last_used_at is None or utcnow() - session.last_used_at > TOUCH_EVERY


async def touch(db: AsyncSession, session: Session) -> None:
    await repository.touch(db, session.id, utcnow())


async def end_session(db: AsyncSession, session: Session) -> None:
    """Delete the session; its tokens are revoked at the PDS once that is committed."""
    await queue_revocation(db, await repository.delete_by_id(db, session.id))


def is_expired(session: Session, now: datetime) -> bool:
    return session.expires_at is not None and session.expires_at <= now


async def end_group(db: AsyncSession, session: Session) -> None:
    """Delete every session of the browser's group, revoking their tokens once committed."""
    await queue_revocation(db, await repository.delete_group(db, session.group_id))


async def queue_revocation(db: AsyncSession, credentials: list[str | None]) -> None:
    """Revoke deleted sessions' PDS tokens (their latest sealed credentials) after the
    commit, through the outbox: never inside the transaction (an authorization server may
    answer slowly, and SQLite has one write lock), and not lost if the process dies first."""
    sealed = [c for c in credentials if c]
    if sealed:
        await outbox.add(db, outbox.Kind.SESSIONS_REVOKE, {"sealed": sealed})


async def reissue(db: AsyncSession, session: Session) -> str:
    """A new token for an existing session (the old one stops working): how a browser gets
    back the session of another account it has signed in."""
    token = secrets.token_urlsafe(32)
    await repository.rekey(db, session.id, hash_token(token), token[:8])
    return token


async def queue_after_sign_in(db: AsyncSession, did: str) -> None:
    """Once the session is committed: bring in what their repo already holds
    (`sync_repo`), and publish what waited for them (`resume_pds_writes`)."""
    await outbox.enqueue(db, SYNC_REPO, did, key=f"sync-{did}", did=did)
    resume = f"resume-{did}-{uuid.uuid4().hex[:8]}"
    await outbox.enqueue(db, RESUME_PDS_WRITES, did, key=resume, did=did)
