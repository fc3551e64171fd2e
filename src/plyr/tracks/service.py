"""Track reads, edits, deletes and plays: who may see what, and how it is shown."""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists.schemas import ArtistRef
from plyr.core.cache import Cache
from plyr.core.errors import BadRequest, Forbidden, NotFound
from plyr.core.runtime import Runtime
from plyr.media.urls import audio_url, image_urls
from plyr.models import Artist, Track, utcnow
from plyr.tracks import repository
from plyr.tracks.schemas import AlbumRef, FeatureRef, TrackOut, TrackPage

log = logging.getLogger(__name__)

PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


def can_view(track: Track, viewer_did: str | None, *, admin: bool = False) -> bool:
    """The artist sees all of theirs; a taken-down track only them and admins (with the
    reason); others published tracks that are not private."""
    if viewer_did == track.artist_did:
        return True
    if track.takedown_reason is not None:
        return admin and track.status == "published"
    return track.status == "published" and track.visibility != "private"


def to_out(runtime: Runtime, track: Track, *, is_liked: bool = False) -> TrackOut:
    image_url, thumb_url = image_urls(runtime.storage, track.image_id, track.image_type)
    album = track.album
    return TrackOut(
        id=track.id,
        title=track.title,
        artist_did=track.artist_did,
        artist=ArtistRef.of(track.artist),
        album=AlbumRef(id=album.id, title=album.title, slug=album.slug) if album else None,
        duration=track.duration,
        file_id=track.file_id,
        file_type=track.file_type,
        original_file_type=track.original_file_type,
        audio_url=audio_url(runtime.settings.public_url, track.file_id),
        image_url=image_url,
        thumbnail_url=thumb_url,
        tags=sorted(t.name for t in track.tags),
        description=track.description,
        features=[FeatureRef.model_validate(f) for f in track.features or []],
        play_count=track.play_count,
        like_count=track.like_count,
        comment_count=track.comment_count,
        is_liked=is_liked,
        visibility=track.visibility,
        atproto_record_uri=track.atproto_record_uri,
        atproto_record_cid=track.atproto_record_cid,
        created_at=track.created_at,
        loudness_lufs=track.audio.loudness_lufs if track.audio else None,
        self_labels=track.self_labels or [],
        support_gate=track.support_gate,
        takedown_reason=track.takedown_reason,
        sensitive_audio=track.sensitive_audio or track.self_sensitive_audio,
    )


async def present(
    db: AsyncSession, runtime: Runtime, tracks: Sequence[Track], viewer_did: str | None
) -> list[TrackOut]:
    liked = (
        await repository.liked_ids(db, viewer_did, [t.id for t in tracks]) if viewer_did else set()
    )
    return [to_out(runtime, t, is_liked=t.id in liked) for t in tracks]


async def get_visible(
    db: AsyncSession, track_id: int, viewer_did: str | None, *, admin: bool = False
) -> Track:
    track = await repository.get(db, track_id)
    if track is None or not can_view(track, viewer_did, admin=admin):
        raise NotFound("track not found")
    return track


async def get_owned(db: AsyncSession, track_id: int, did: str) -> Track:
    """The track, when `did` owns it: 404 when it is hidden from them, 403 when not theirs."""
    track = await get_visible(db, track_id, did)
    if track.artist_did != did:
        raise Forbidden("only the track's artist can change it")
    return track


def encode_cursor(track: Track) -> str:
    raw = f"{track.created_at.isoformat()}|{track.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, track_id = raw.rsplit("|", 1)
        return datetime.fromisoformat(at), int(track_id)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest("invalid cursor") from e


async def page(
    db: AsyncSession,
    runtime: Runtime,
    viewer_did: str | None,
    *,
    limit: int,
    cursor: str | None,
    **filters: object,
) -> TrackPage:
    after = decode_cursor(cursor) if cursor else None
    tracks = await repository.feed(db, limit=limit + 1, after=after, **filters)  # type: ignore[arg-type]
    has_more = len(tracks) > limit
    tracks = tracks[:limit]
    return TrackPage(
        tracks=await present(db, runtime, tracks, viewer_did),
        next_cursor=encode_cursor(tracks[-1]) if has_more and tracks else None,
        has_more=has_more,
    )


def hidden_tags(runtime: Runtime, viewer: Artist | None) -> list[str]:
    """The tags whose tracks the feed leaves out for this viewer: their own choice, else
    the instance's default."""
    prefs = viewer.preferences if viewer is not None else {}
    return list(prefs.get("hidden_tags", runtime.settings.default_hidden_tags))


def wants_sensitive_audio(viewer: Artist | None) -> bool:
    """Whether listings include sexual/porn/nudity audio for this viewer: only when they
    asked for it (`show_sensitive_audio`); never for a signed-out visitor."""
    return viewer is not None and bool((viewer.preferences or {}).get("show_sensitive_audio"))


def period_start(period: str) -> datetime | None:
    delta = PERIODS.get(period)
    return utcnow() - delta if delta else None


def play_window_seconds(duration: int | None) -> int:
    """One play per listener per track within this window."""
    return max(30, min(3600, duration or 300))


async def count_play(
    db: AsyncSession,
    cache: Cache,
    track: Track,
    listener: str,
    ref: str | None,
    ip: str | None = None,
) -> int:
    """Count the play unless this listener played the track within the window. With `ip`
    (an anonymous listener) the address must be new too: a script that drops its play
    cookie on every request adds one play per address, not one per request."""
    window = play_window_seconds(track.duration)
    # the address first: a repeat from it then allocates no key for a fresh cookie
    keys = ([f"play:{track.id}:ip:{ip}"] if ip else []) + [f"play:{track.id}:{listener}"]
    try:
        first = True
        for key in keys:
            if not await cache.add(key, window):
                first = False
                break
    except Exception:  # the cache is an optimisation: when it is down, plays still count
        log.warning("play dedup cache unavailable; counting the play", exc_info=True)
        first = True
    if not first:
        return track.play_count
    return await repository.count_play(db, track.id, listener, ref)
