"""Tracks published by any client: indexing `fm.plyr.track` records (from a repo sync or
the firehose) so they appear in plyr. A record's URI is the identity of the track."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.lexicon import SELF_LABELS, Lexicons
from plyr.atproto.records import parse_datetime
from plyr.audio import ImageError, content_type_for, process_image
from plyr.core.net import bounds
from plyr.core.runtime import Runtime
from plyr.core.storage import StorageError
from plyr.media.images import StoredImage, queue_scoring, store_image
from plyr.models import Artist, AudioFile, Track
from plyr.tracks import dependents, publishing, repository

log = logging.getLogger(__name__)
ARTWORK_DEADLINE_S = 30.0


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
    artwork: StoredImage | None = None,
) -> Track | None:
    """Create or update the track a record describes; None when it is invalid or it is one
    of this instance's own uploads (whose record only mirrors the row). `artwork`: its
    `imageUrl`, fetched beforehand (None: keep the track's image as it is)."""
    if not lexicons.accepts("track", artist.did, uri, record):
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
    _describe(track, record, audio, artwork)
    if artwork is not None and track.image_id == artwork.image_id:
        await queue_scoring(db, artwork)
    track.atproto_record_uri, track.atproto_record_cid = uri, cid
    if record.get("album"):
        track.album_id = (await repository.get_or_create_album(db, artist.did, record["album"])).id
    await db.flush()
    await publishing.queue_self_labels(db, track.id)
    return track


def _describe(
    track: Track, record: dict[str, Any], audio: AudioFile, artwork: StoredImage | None
) -> None:
    """Set the track's fields from its (valid) record."""
    track.title = record["title"]
    track.description = record.get("description")
    track.file_id, track.file_type = audio.file_id, audio.ext
    track.duration = record.get("duration")
    track.features = [
        {"did": f["did"], "handle": f.get("handle"), "display_name": f.get("displayName")}
        for f in record.get("features", [])
    ]
    track.self_labels = self_labels(record) or None
    track.support_gate = (record.get("supportGate") or {}).get("type")
    # a gated track's audio is for supporters: plyr plays it to its artist only
    track.visibility = "supporters" if track.support_gate else "public"
    if "imageUrl" not in record:
        track.image_id = track.image_type = None
    elif artwork is not None:
        track.image_id, track.image_type = artwork.image_id, artwork.ext


def self_labels(record: dict[str, Any]) -> list[str]:
    """The creator's content warnings (`labels` of type selfLabels; other label kinds are
    someone else's extension and not plyr's to interpret)."""
    labels = record.get("labels")
    if not isinstance(labels, dict) or labels.get("$type") != SELF_LABELS:
        return []
    return list(dict.fromkeys(v["val"] for v in labels.get("values", [])))


async def fetch_artwork(runtime: Runtime, record: dict[str, Any]) -> StoredImage | None:
    """The record's `imageUrl`, fetched through the guarded client (capped like an uploaded
    image) and stored with its thumbnail like uploaded artwork; None when it cannot be."""
    url = record.get("imageUrl")
    if not isinstance(url, str):
        return None
    try:
        response = await runtime.http.get(
            url, extensions=bounds(runtime.settings.max_image_bytes, ARTWORK_DEADLINE_S)
        )
        response.raise_for_status()
        image = await anyio.to_thread.run_sync(process_image, response.content)
        return await store_image(runtime, image.data, image.thumbnail, image.ext)
    except (httpx.HTTPError, ImageError, StorageError) as e:
        log.info("no artwork from %r: %s", url[:300], e)
        return None


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
    await dependents.before_delete(db, [track.id])  # outbox entries, performed once committed
    await db.delete(track)
    await db.flush()
    return True
