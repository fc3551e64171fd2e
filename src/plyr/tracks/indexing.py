"""Tracks published by any client: indexing `fm.plyr.track` records (from a repo sync or
the firehose) so they appear in plyr. A record's URI is the identity of the track."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.albums import repository as albums
from plyr.atproto.lexicon import LexiconError, Lexicons
from plyr.atproto.records import parse_datetime
from plyr.atproto.uris import owned_uri
from plyr.audio import content_type_for
from plyr.models import Artist, AudioFile, Track
from plyr.tracks import dependents, repository

log = logging.getLogger(__name__)


def remote_file_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


async def index_track_record(
    db: AsyncSession,
    lexicons: Lexicons,
    artist: Artist,
    *,
    uri: str,
    cid: str,
    record: dict[str, Any],
    public_url: str,
) -> Track | None:
    """Create or update the track a record describes; None when it is invalid or it is one
    of this instance's own uploads (whose record only mirrors the row)."""
    if owned_uri(uri, artist.did, lexicons.nsid("track")) is None:
        log.info("skipping track record %s: not a record of %s", uri, artist.did)
        return None
    try:
        lexicons.validate(lexicons.nsid("track"), record)
    except LexiconError as e:
        log.info("skipping invalid track record %s: %s", uri, e)
        return None
    track = await repository.by_record(db, artist.did, uri)
    if track is not None and track.origin == "upload":
        return track  # ours: the row is the source of truth
    if track is None and str(record.get("audioUrl", "")).startswith(f"{public_url}/audio/"):
        return None  # ours, but the row is gone or not yet recorded
    audio = await _audio_for(db, artist.did, record)
    if audio is None:
        return None
    if track is None:
        if await repository.find_by_upload(db, artist.did, audio.file_id) is not None:
            log.info("skipping track record %s: another record of the repo names its audio", uri)
            return None
        track = Track(
            artist_did=artist.did,
            origin="atproto",
            status="published",
            visibility="public",
            upload_file_id=audio.file_id,
            created_at=parse_datetime(record["createdAt"]),
        )
        db.add(track)
    track.title = record["title"]
    track.description = record.get("description")
    track.file_id, track.file_type = audio.file_id, audio.ext
    track.duration = record.get("duration")
    track.features = [
        {"did": f["did"], "handle": f.get("handle"), "display_name": f.get("displayName")}
        for f in record.get("features", [])
    ]
    track.atproto_record_uri, track.atproto_record_cid = uri, cid
    if record.get("album"):
        track.album_id = (await albums.get_or_create(db, artist.did, record["album"])).id
    await db.flush()
    return track


async def _audio_for(db: AsyncSession, did: str, record: dict[str, Any]) -> AudioFile | None:
    ext = str(record["fileType"]).lower().lstrip(".")
    blob = record.get("audioBlob")
    if blob:
        cid = blob["ref"]["$link"]
        file_id = remote_file_id(f"{did}/{cid}")
        values: dict[str, Any] = {
            "blob_did": did,
            "blob_cid": cid,
            "size": blob.get("size", 0),
            "content_type": content_type_for(ext),  # never the record's mimeType
        }
    elif record.get("audioUrl"):
        file_id = remote_file_id(record["audioUrl"])
        values = {
            "remote_url": record["audioUrl"],
            "size": 0,
            "content_type": content_type_for(ext),
        }
    else:
        return None
    audio = await db.get(AudioFile, file_id)
    if audio is None:
        audio = AudioFile(file_id=file_id, ext=ext[:8], duration=record.get("duration"), **values)
        db.add(audio)
        await db.flush()
    return audio


async def remove_track_record(db: AsyncSession, did: str, uri: str) -> bool:
    """Forget a track of `did` whose record was deleted (only tracks indexed from records)."""
    track = await repository.by_record(db, did, uri)
    if track is None or track.origin != "atproto":
        return False
    await dependents.before_delete(db, [track.id])  # housekeeping's next sweep does them
    await db.delete(track)
    await db.flush()
    return True
