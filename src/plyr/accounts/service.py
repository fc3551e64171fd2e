"""Deleting an account: optionally its `fm.plyr.*` records on the PDS first (while we still
hold its session), then every row and every file of it."""

from __future__ import annotations

import logging

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.accounts import repository
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import XrpcError
from plyr.atproto.sessions import pds_for
from plyr.auth import repository as sessions
from plyr.auth.service import AuthContext, queue_revocation
from plyr.core.errors import AppError, BadRequest
from plyr.core.runtime import Runtime
from plyr.exports.service import export_key
from plyr.media.release import queue_delete, unreferenced_keys
from plyr.tracks.edits import delete_track

log = logging.getLogger(__name__)
RECORD_NAMES = ("track", "like", "comment", "list", "actor.profile")


class PdsUnreachable(AppError):
    status_code = 502


def check_confirmation(user: AuthContext, confirmation: str) -> None:
    if confirmation.strip().lstrip("@").lower() != user.artist.handle.lower():
        raise BadRequest("confirmation must match your handle")


async def delete_records(runtime: Runtime, did: str) -> int:
    """Delete every fm.plyr.* record in the user's repo; raises PdsUnreachable (nothing
    local is deleted then, so the user can try again)."""
    pds = await pds_for(runtime, did)
    if pds is None:
        return 0
    lexicons = Lexicons(runtime.settings.atproto_namespace)
    deleted = 0
    try:
        for name in RECORD_NAMES:
            collection = lexicons.nsid(name)
            keys = [r["uri"].rsplit("/", 1)[1] async for r in pds.list_records(collection)]
            for rkey in keys:
                await pds.delete_record(collection, rkey)
                deleted += 1
    except (httpx.TransportError, XrpcError) as e:
        raise PdsUnreachable(
            f"your PDS did not let plyr delete your records ({e}); nothing was deleted here: "
            "try again, or delete your account without deleting the records"
        ) from e
    return deleted


async def delete_account(db: AsyncSession, did: str) -> None:
    """Delete the account's rows (in `db`, not committed). Once committed, its files go and
    its sessions' PDS credentials are revoked (never inside the transaction: see
    `revoke_all`)."""
    credentials = await sessions.delete_sessions_of(db, did)  # the latest tokens, as they go
    keys = [export_key(job_id) for job_id in await repository.export_job_ids(db, did)]
    covers = await repository.cover_images(db, did)
    for track in await repository.uploads(db, did):
        await delete_track(db, track, leaving=did)
    await repository.uncount_likes_and_comments(db, did)
    await repository.delete_rows(db, did)
    await db.flush()
    await queue_delete(db, keys + await unreferenced_keys(db, [], covers))
    await queue_revocation(db, credentials)
