"""What performs each kind of outbox entry (`plyr.core.outbox`): the one table of them.

Every handler is idempotent (an entry may be performed again after a crash or a lost
lease). One that waits on its owner signing in again tells them (`/auth/me`) and fails, to
be retried; signing in retries it at once (`plyr.tasks.resume_pds_writes`)."""

from __future__ import annotations

from collections.abc import Mapping

from plyr.artists import profile
from plyr.artists.service import flag_problem
from plyr.atproto import mirror
from plyr.atproto.sessions import revoke_all
from plyr.atproto.writes import NeedsSignIn
from plyr.comments import records as comment_records
from plyr.core.outbox import Handler, Kind
from plyr.core.runtime import Runtime
from plyr.ingest import firehose
from plyr.likes import records as like_records
from plyr.lists import records as list_records
from plyr.models import PendingWrite
from plyr.moderation.notify import performers as moderation_notify
from plyr.tracks import placement, publishing


async def _storage_delete(runtime: Runtime, entry: PendingWrite) -> None:
    for key in entry.payload.get("keys", []):
        await runtime.storage.delete(key)  # deleting what is gone already is no error


async def _storage_place(runtime: Runtime, entry: PendingWrite) -> None:
    await placement.place_audio(runtime, list(entry.payload.get("file_ids", [])))


async def _audio_changed(runtime: Runtime, entry: PendingWrite) -> None:
    runtime.audio_changed(*entry.payload.get("file_ids", []))


async def _catalog_changed(runtime: Runtime, entry: PendingWrite) -> None:
    runtime.catalog_changed()


async def _profile_sync(runtime: Runtime, entry: PendingWrite) -> None:
    await profile.sync_profile_of(runtime, entry.payload["did"])


async def _track_sync(runtime: Runtime, entry: PendingWrite) -> None:
    await publishing.sync_record(runtime, int(entry.payload["track_id"]), acting_for=entry.did)


async def _track_delete(runtime: Runtime, entry: PendingWrite) -> None:
    await mirror.delete_now(runtime, entry.payload["did"], "track", entry.payload["rkey"])


async def _like_sync(runtime: Runtime, entry: PendingWrite) -> None:
    await like_records.sync_like(runtime, int(entry.payload["like_id"]))


async def _liked_list_sync(runtime: Runtime, entry: PendingWrite) -> None:
    await like_records.sync_liked_list(runtime, entry.payload["did"])


def _delete_of(name: str) -> Handler:
    async def delete(runtime: Runtime, entry: PendingWrite) -> None:
        await mirror.delete_now(runtime, entry.payload["did"], name, entry.payload["rkey"])

    return delete


async def _comment_sync(runtime: Runtime, entry: PendingWrite) -> None:
    await comment_records.sync_comment(runtime, int(entry.payload["comment_id"]))


async def _list_sync(runtime: Runtime, entry: PendingWrite) -> None:
    kind: list_records.ListKind = "album" if entry.payload["list"] == "album" else "playlist"
    await list_records.sync(runtime, kind, int(entry.payload["id"]))


async def _sessions_revoke(runtime: Runtime, entry: PendingWrite) -> None:
    await revoke_all(runtime, entry.payload.get("sealed", []))  # best effort, within a deadline


async def _task(runtime: Runtime, entry: PendingWrite) -> None:
    payload = entry.payload
    await runtime.docket.add(payload["task"], key=payload["key"])(*payload.get("args", []))


async def _firehose_commit(runtime: Runtime, entry: PendingWrite) -> None:
    await firehose.retry_kept_commit(runtime, entry.did or "", entry.payload.get("paths", []))


def _telling_owner(handler: Handler) -> Handler:
    """A write that waits on its owner signing in again: they are told, and it is retried."""

    async def perform(runtime: Runtime, entry: PendingWrite) -> None:
        try:
            await handler(runtime, entry)
        except NeedsSignIn as e:
            if entry.did:
                await flag_problem(runtime, entry.did, e)
            raise

    return perform


HANDLERS: Mapping[str, Handler] = {
    kind: _telling_owner(handler)
    for kind, handler in {
        Kind.STORAGE_DELETE: _storage_delete,
        Kind.STORAGE_PLACE: _storage_place,
        Kind.AUDIO_CHANGED: _audio_changed,
        Kind.CATALOG_CHANGED: _catalog_changed,
        Kind.PROFILE_SYNC: _profile_sync,
        Kind.TRACK_SYNC: _track_sync,
        Kind.TRACK_DELETE: _track_delete,
        Kind.LIKE_SYNC: _like_sync,
        Kind.LIKE_DELETE: _delete_of("like"),
        Kind.LIKED_LIST_SYNC: _liked_list_sync,
        Kind.COMMENT_SYNC: _comment_sync,
        Kind.COMMENT_DELETE: _delete_of("comment"),
        Kind.LIST_SYNC: _list_sync,
        Kind.LIST_DELETE: _delete_of("list"),
        Kind.FIREHOSE_COMMIT: _firehose_commit,
        Kind.SESSIONS_REVOKE: _sessions_revoke,
        Kind.TASK: _task,
        Kind.NOTIFY_WEBHOOK: moderation_notify.perform_webhook,
        Kind.NOTIFY_DM: moderation_notify.perform_dm,
    }.items()
}
