"""Who may fetch an audio file, and from where: decided once per file, cached when public."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.audio.formats import content_type_for
from plyr.core.cache import LocalCache
from plyr.core.errors import AppError, Forbidden, NotFound
from plyr.models import AudioFile, Track
from plyr.tracks import repository as tracks


@dataclass(frozen=True)
class AudioAccess:
    file_id: str
    key: str
    content_type: str  # from the allow-list (`content_type_for`), never a record's string
    size: int
    public: bool  # playable by anyone who has the link (public or unlisted)
    # audio that lives elsewhere: a blob on a PDS (proxied) or a URL (redirected to)
    blob: tuple[str, str, str] | None = None  # (pds_url, did, cid)
    remote_url: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.blob is not None or self.remote_url is not None


def _linked(track: Track) -> bool:
    return track.status == "published" and track.visibility in ("public", "unlisted")


def _playable_by_link(track: Track) -> bool:
    return _linked(track) and track.takedown_reason is None


def _may_play(users: list[Track], viewer_did: str | None, admin: bool) -> bool:
    """Whether the viewer may play a file no public track plays: theirs, or (an admin) a
    taken-down one. 451 when it was taken down, 404 otherwise."""
    if any(t.artist_did == viewer_did for t in users):
        return True
    taken_down = [t for t in users if _linked(t) and t.takedown_reason is not None]
    if taken_down and admin:
        return True
    if taken_down:
        raise AppError(f"taken down: {taken_down[0].takedown_reason}", status_code=451)
    return False


async def audio_access(
    db: AsyncSession,
    cache: LocalCache[Any],
    file_id: str,
    viewer_did: str | None,
    *,
    admin: bool = False,
) -> AudioAccess:
    """404 unless some track using this file is public/unlisted or belongs to the viewer;
    451 when the tracks playing it were taken down (except to their artist and admins)."""
    audio = await tracks.get_audio_file(db, file_id)
    users = await tracks.tracks_using_file(db, file_id) if audio else []
    public = any(_playable_by_link(t) for t in users)
    if audio is None or not (public or _may_play(users, viewer_did, admin)):
        raise NotFound("audio not found")
    access = AudioAccess(
        file_id,
        audio.key,
        content_type_for(audio.ext),
        audio.size,
        public,
        blob=_blob_source(audio, users),
        remote_url=audio.remote_url,
    )
    if public:
        cache.put(file_id, access)
    return access


def _blob_source(audio: AudioFile, users: list[Track]) -> tuple[str, str, str] | None:
    if audio.blob_cid is None or audio.blob_did is None:
        return None
    owner = next((t.artist for t in users if t.artist_did == audio.blob_did), None)
    if owner is None or not owner.pds_url:
        return None
    return owner.pds_url, audio.blob_did, audio.blob_cid


async def download_source(
    db: AsyncSession, file_id: str, viewer_did: str | None
) -> tuple[Track, str, str]:
    """The track behind a download, and the key and extension to send (lossless preferred)."""
    users = await tracks.tracks_using_file(db, file_id)
    visible = [t for t in users if _playable_by_link(t) or t.artist_did == viewer_did]
    if not visible:
        raise NotFound("audio not found")
    track = visible[0]
    policy = (track.artist.preferences or {}).get("download_policy", "open")
    if policy != "open" and track.artist_did != viewer_did:
        raise Forbidden("the artist does not allow downloads of this track")
    if track.original_file_id and track.original_file_type:
        return (
            track,
            f"audio/{track.original_file_id}.{track.original_file_type}",
            track.original_file_type,
        )
    return track, f"audio/{track.file_id}.{track.file_type}", track.file_type
