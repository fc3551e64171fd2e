"""Creating a track's rows from a finished upload (inside the caller's transaction)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository as artists
from plyr.audio import CONTENT_TYPES
from plyr.media.images import queue_scoring
from plyr.models import AudioFile, Track
from plyr.tracks import repository

if TYPE_CHECKING:
    from plyr.tracks.pipeline import Prepared, Rendition


async def ensure_audio_file(db: AsyncSession, rendition: Rendition, prepared: Prepared) -> None:
    if await repository.get_audio_file(db, rendition.file_id) is not None:
        return
    db.add(
        AudioFile(
            file_id=rendition.file_id,
            ext=rendition.ext,
            content_type=CONTENT_TYPES[rendition.ext],
            size=rendition.size,
            codec=rendition.codec,
            duration=prepared.duration,
            loudness_lufs=prepared.loudness,
            peaks=[list(p) for p in prepared.peaks],
        )
    )
    await db.flush()


async def resolve_features(db: AsyncSession, names: list[str]) -> list[dict[str, str]]:
    """Featured artists by DID or handle; ones unknown here keep what the uploader typed."""
    features: list[dict[str, str]] = []
    for name in names:
        artist = (
            await artists.get(db, name)
            if name.startswith("did:")
            else await artists.get_by_handle(db, name)
        )
        if artist is not None:
            features.append(
                {
                    "did": artist.did,
                    "handle": artist.handle,
                    "display_name": artist.display_name or artist.handle,
                }
            )
        elif name.startswith("did:"):
            features.append({"did": name})
    return features


async def create_track(
    db: AsyncSession, prepared: Prepared, params: dict[str, Any], owner: str
) -> Track:
    fields: dict[str, Any] = params["fields"]
    await ensure_audio_file(db, prepared.original, prepared)
    await ensure_audio_file(db, prepared.playable, prepared)
    album_id = fields.get("album_id")
    if fields.get("album"):
        album_id = (await repository.get_or_create_album(db, owner, fields["album"])).id
    transcoded = prepared.playable is not prepared.original
    track = Track(
        artist_did=owner,
        title=fields["title"],
        description=fields.get("description") or None,
        upload_file_id=prepared.original.file_id,
        file_id=prepared.playable.file_id,
        file_type=prepared.playable.ext,
        original_file_id=prepared.original.file_id if transcoded else None,
        original_file_type=prepared.original.ext if transcoded else None,
        duration=round(prepared.duration) if prepared.duration else None,
        album_id=album_id,
        album_position=await repository.next_album_position(db, album_id) if album_id else None,
        visibility=fields.get("visibility", "public"),
        audio_on_pds=bool(fields.get("audio_on_pds")),
        features=await resolve_features(db, fields.get("features", [])),
        self_labels=fields.get("self_labels") or None,
        status="pending",  # until its record is on the artist's PDS (tracks.publishing)
    )
    if prepared.stored_image is not None:
        track.image_id = prepared.stored_image.image_id
        track.image_type = prepared.stored_image.ext
        await queue_scoring(db, prepared.stored_image)
    track.tags = await repository.tags_by_name(db, fields.get("tags", []))
    db.add(track)
    await db.flush()
    return track
