"""Records that point at a track, kept true when the track's own record changes or goes.

Other rows are mirrored as records that name a track's record: the playlists and albums
holding it (`fm.plyr.list`), its likers' liked lists, and — for a deleted track — each like
and comment of it (`fm.plyr.like`, `fm.plyr.comment`), whose rows go with the track. Those
records may live in many repos, so they are not rewritten in the request: each is recorded
as an outbox entry in the same transaction as the change (so it cannot be lost), performed
once it commits and retried until done (`plyr.core.outbox`). Owners who must sign in again
first get theirs when they do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.tracks import repository


async def after_change(
    db: AsyncSession, track_ids: Sequence[int], *, leaving: str | None = None
) -> int:
    """The tracks' records changed (rewritten, made private or public again): rewrite the
    lists that name them. Returns how many writes were recorded."""
    writes = [
        (Kind.LIST_SYNC, did, {"list": kind, "id": list_id})
        for kind, list_id, did in await repository.lists_holding(db, track_ids)
    ]
    likers = sorted({did for did, _ in await repository.likes_of(db, track_ids)})
    writes += [(Kind.LIKED_LIST_SYNC, did, {"did": did}) for did in likers]
    return await _record(db, writes, leaving)


async def before_delete(
    db: AsyncSession, track_ids: Sequence[int], *, leaving: str | None = None
) -> int:
    """The tracks are about to be deleted in this transaction: rewrite the lists that name
    them and delete the like and comment records of them. Nothing is recorded for
    `leaving`, an account being deleted (its records are gone already, or it chose to keep
    them)."""
    added = await after_change(db, track_ids, leaving=leaving)
    records = [
        (Kind.LIKE_DELETE, did, uri) for did, uri in await repository.likes_of(db, track_ids) if uri
    ]
    records += [
        (Kind.COMMENT_DELETE, did, uri)
        for did, uri in await repository.comment_records_of(db, track_ids)
    ]
    writes = [(kind, did, {"did": did, "rkey": rkey_of(uri)}) for kind, did, uri in records]
    return added + await _record(db, writes, leaving)


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


async def _record(
    db: AsyncSession, writes: list[tuple[Kind, str, dict[str, Any]]], leaving: str | None
) -> int:
    kept = [(kind, did, payload) for kind, did, payload in writes if did != leaving]
    for kind, did, payload in kept:
        await outbox.add(db, kind, payload, did=did)
    return len(kept)
