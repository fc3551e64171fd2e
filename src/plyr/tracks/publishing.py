"""Mirroring a track to its artist's repo as an `fm.plyr.track` record.

A track stays `pending` (seen by no one else) until its record is written; a PDS that is
down leaves it pending and a task retries until it is back. The record key is a TID made
from the track's `createdAt`, so every retry rewrites the same record.

Only public tracks have a record: a repo is public, so an "unlisted", "supporters" or
"private" track has none (making a track non-public deletes it). Only tracks uploaded here
are written: a track another client published is that client's record, never rewritten or
deleted by plyr."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists.service import flag_problem
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import PdsClient, ScopeUpgradeRequired, XrpcError
from plyr.atproto.records import RecordBuilder, tid_for
from plyr.atproto.sessions import pds_for
from plyr.atproto.writes import SESSION_ENDED, NeedsSignIn, PdsUnavailable, failure
from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.jobs.service import JobReporter
from plyr.media.urls import audio_url, image_urls
from plyr.models import Track
from plyr.tracks import dependents, repository

log = logging.getLogger(__name__)


def record_key(track: Track) -> str:
    return tid_for(track.created_at)


def own_record_key(track: Track) -> str | None:
    """The key of the record plyr wrote for the track; None for another client's track."""
    return record_key(track) if track.origin == "upload" else None


def collection(runtime: Runtime) -> str:
    return Lexicons(runtime.settings.atproto_namespace).nsid("track")


MAX_BLOB_BYTES = 100 * 1024 * 1024  # the lexicon's audioBlob maxSize
# discovery's task (`plyr.discovery.tasks`), named: discovery sits above tracks
ANALYZE_TRACK = "analyze_track"
SYNC_SELF_LABELS = "sync_self_labels"  # plyr.moderation's, by name (tracks may not import it)
# moderation's re-upload scan (`plyr.moderation.fingerprint.tasks`), named likewise
SCAN_TRACK = "scan_track"


async def sync_record(
    runtime: Runtime, track_id: int, *, acting_for: str | None = None
) -> list[str]:
    """Make the PDS match the track (write, rewrite or remove its record), then publish it;
    returns warnings for the user. Raises `PdsUnavailable` when the PDS cannot take it now,
    `NeedsSignIn` when its artist must sign in again first. No transaction is held open
    while the PDS works. `acting_for`: the user whose action this is; nothing is written
    unless the track is theirs."""
    warnings: list[str] = []
    async with runtime.sessionmaker() as db:
        track = await repository.get(db, track_id)
    if track is None:
        return warnings  # deleted meanwhile: its delete removes the record
    if track.origin != "upload" or acting_for not in (None, track.artist_did):
        return warnings  # another client's record, or another user's: not plyr's to write
    pds = await pds_for(runtime, track.artist_did)  # the artist's own credentials only
    if pds is None and track.artist.pds_url:
        raise NeedsSignIn("session_expired", SESSION_ENDED)
    values: dict[str, Any] = {"status": "published"}
    try:
        if pds is not None and track.visibility != "public":  # a repo is public
            if track.atproto_record_uri:
                await pds.delete_record(collection(runtime), record_key(track))
            values.update(atproto_record_uri=None, atproto_record_cid=None)
        elif pds is not None:
            record = await _record(runtime, pds, track, warnings)
            ref = await pds.put_record(collection(runtime), record_key(track), record)
            values.update(atproto_record_uri=ref.uri, atproto_record_cid=ref.cid)
    except (httpx.TransportError, XrpcError) as e:
        raise failure(e) from e
    async with runtime.writer() as db:
        still_there = await repository.set_fields(db, track_id, **values)
        if still_there and _record_changed(track, values):
            await dependents.after_change(db, [track_id])
        if not still_there and values.get("atproto_record_uri"):
            await queue_delete(db, track.artist_did, record_key(track))  # no orphan record
        if still_there and track.status != "published":
            await queue_analysis(db, track_id)  # published now: discovery may analyse it
        if still_there:
            await queue_self_labels(db, track_id)
        await outbox.commit(runtime, db)
    runtime.catalog_changed()
    return warnings


def _record_changed(track: Track, values: dict[str, Any]) -> bool:
    """The track's record is not what the lists naming it say any more."""
    if "atproto_record_cid" not in values:
        return False  # no PDS here: there are no records
    before = (track.atproto_record_uri, track.atproto_record_cid)
    return before != (values["atproto_record_uri"], values["atproto_record_cid"])


async def _record(
    runtime: Runtime, pds: PdsClient, track: Track, warnings: list[str]
) -> dict[str, Any]:
    existing = await pds.get_record(collection(runtime), record_key(track))
    blob = (existing or {}).get("value", {}).get("audioBlob")  # keep it: else the PDS drops it
    if blob is None and track.audio_on_pds:
        blob = await _upload_audio(runtime, pds, track, warnings)
    image_url, _ = image_urls(runtime.storage, track.image_id, track.image_type)
    return RecordBuilder(Lexicons(runtime.settings.atproto_namespace)).track(
        title=track.title,
        artist=track.artist.display_name or track.artist.handle,
        file_type=track.file_type,
        created_at=track.created_at,
        audio_url=audio_url(runtime.settings.public_url, track.file_id),
        audio_blob=blob,
        album=track.album.title if track.album else None,
        duration=track.duration,
        features=track.features or [],
        image_url=image_url,
        description=track.description,
        self_labels=track.self_labels,
    )


async def _upload_audio(
    runtime: Runtime, pds: PdsClient, track: Track, warnings: list[str]
) -> dict[str, Any] | None:
    """The playable audio as a blob in the artist's repo, when it fits; else None and a
    warning (the record then points at this instance's audioUrl only)."""
    audio = track.audio
    if audio.size > MAX_BLOB_BYTES:
        warnings.append(
            "the audio is over 100 MB, too large to store on your PDS: "
            "your record links to it here instead"
        )
        return None
    try:
        return await pds.upload_stream(
            lambda: runtime.storage.read_chunks(audio.key), audio.size, audio.content_type
        )
    except XrpcError as e:
        if e.status >= 500 or e.status == 401 or isinstance(e, ScopeUpgradeRequired):
            raise  # the PDS is down or the session needs attention: retry the whole write
        warnings.append(
            f"your PDS did not accept the audio ({e.message}): your record links to it here instead"
        )
        return None


async def queue_sync(db: AsyncSession, track_id: int, did: str) -> None:
    """In the change's transaction: the track's record follows once it commits (written,
    rewritten or removed as the track says then; nothing unless it is `did`'s)."""
    await outbox.add(db, Kind.TRACK_SYNC, {"track_id": track_id}, did=did)


async def queue_analysis(db: AsyncSession, track_id: int, *, auto_tag: bool = False) -> None:
    """In the change's transaction: discovery analyses the track's audio once it commits
    (`auto_tag`: then adds the tags it suggests)."""
    key = f"analyze-{track_id}" + ("-auto-tag" if auto_tag else "")
    await outbox.enqueue(db, ANALYZE_TRACK, track_id, auto_tag, key=key)
    if not auto_tag:  # a new or replaced audio, not an edit asking for tags
        await outbox.enqueue(db, SCAN_TRACK, track_id, key=f"scan-{track_id}")


async def queue_self_labels(db: AsyncSession, track_id: int) -> None:
    """In the change's transaction: the creator's self-labels follow the track's record."""
    await outbox.enqueue(db, SYNC_SELF_LABELS, track_id, key=f"self-labels-{track_id}")


async def queue_delete(db: AsyncSession, did: str, rkey: str) -> None:
    """In the delete's transaction: the track's record goes once it commits."""
    await outbox.add(db, Kind.TRACK_DELETE, {"did": did, "rkey": rkey}, did=did)


async def wait_for_sign_in(
    runtime: Runtime, reporter: JobReporter, track_id: int, problem: NeedsSignIn
) -> None:
    """The track stays pending (its job says why) until its artist signs in again; then
    `plyr.tasks.resume_pds_writes` publishes it."""
    async with runtime.sessionmaker() as db:
        track = await repository.get(db, track_id)
    if track is not None:
        await flag_problem(runtime, track.artist_did, problem)
    await reporter.update(message=f"saved; not yet published: {problem.message}")


async def pending_track_ids(runtime: Runtime, did: str) -> list[int]:
    async with runtime.sessionmaker() as db:
        return await repository.pending_ids(db, did)


__all__ = [
    "NeedsSignIn",
    "PdsUnavailable",
    "pending_track_ids",
    "queue_delete",
    "queue_sync",
    "sync_record",
    "wait_for_sign_in",
]
