"""Mirroring comments to their author's repo as `fm.plyr.comment` records: key = the TID of
the comment's `created_at` (`putRecord`: a retry or an edit rewrites the same record),
`subject` = the track's record. Written after the row commits, as an outbox entry of its
transaction (`queue_*`, `plyr.core.outbox`) retried until the PDS takes it (the shared
rules: `plyr.atproto.mirror`). A comment on a track without a record has no record."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.mirror import lexicons, pds_of, put_for_row, serialized
from plyr.atproto.pds import RecordRef
from plyr.atproto.records import RecordBuilder, tid_for
from plyr.comments import repository
from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime


async def sync_comment(runtime: Runtime, comment_id: int) -> None:
    """Write (or rewrite) the comment's record. Raises `PdsUnavailable` / `NeedsSignIn`
    when it must wait."""
    async with serialized(f"comment:{comment_id}"):  # an edit's rewrite lands last
        async with runtime.sessionmaker() as db:
            found = await repository.with_track(db, comment_id)
        if found is None:
            return  # deleted meanwhile: its deletion removes the record
        comment, track = found
        subject_uri, subject_cid = track.atproto_record_uri, track.atproto_record_cid
        if not subject_uri or not subject_cid:
            return
        pds = await pds_of(runtime, comment.did)
        if pds is None:
            return
        rkey = tid_for(comment.created_at)
        edited = comment.updated_at is not None and comment.updated_at > comment.created_at
        record = RecordBuilder(lexicons(runtime)).comment(
            subject_uri=subject_uri,
            subject_cid=subject_cid,
            text=comment.text,
            timestamp_ms=comment.timestamp_ms,
            created_at=comment.created_at,
            updated_at=comment.updated_at if edited else None,
        )

        async def keep(ref: RecordRef) -> bool:
            async with runtime.sessionmaker() as db:
                kept = await repository.set_record(db, comment_id, ref.uri, ref.cid)
                await db.commit()
            return kept  # False: deleted meanwhile, and the record goes again

        await put_for_row(
            runtime,
            pds,
            comment.did,
            "comment",
            rkey,
            record,
            keep=keep,
            delete_kind=Kind.COMMENT_DELETE,
        )


async def queue_sync(db: AsyncSession, comment_id: int, did: str) -> None:
    """In the comment's transaction: its record is written once it commits."""
    await outbox.add(db, Kind.COMMENT_SYNC, {"comment_id": comment_id}, did=did)


async def queue_delete(db: AsyncSession, did: str, rkey: str) -> None:
    await outbox.add(db, Kind.COMMENT_DELETE, {"did": did, "rkey": rkey}, did=did)
