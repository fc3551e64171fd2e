"""What pages show, gathered from the domains (no SQL here, no HTML either)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.auth.service import AuthContext
from plyr.core.runtime import Runtime
from plyr.discovery import foryou
from plyr.discovery import service as discovery
from plyr.meta.router import StatsOut
from plyr.models import Track, utcnow
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks
from plyr.tracks.schemas import TagCount, TrackOut, TrackPage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feed:
    page: TrackPage
    next_url: str | None


async def feed(
    db: AsyncSession,
    runtime: Runtime,
    user: AuthContext | None,
    *,
    limit: int,
    tag: str | None = None,
    artist_did: str | None = None,
    cursor: str | None = None,
) -> Feed:
    """A page of the feed (optionally by tag or artist) and the URL of the next one."""
    viewer = user.did if user else None
    # the home feed leaves out hidden tags; an artist's page or a tag page shows all
    everything = bool(artist_did or tag)
    hidden = [] if everything else tracks.hidden_tags(runtime, user.artist if user else None)
    page = await tracks.page(
        db,
        runtime,
        viewer,
        limit=limit,
        cursor=cursor,
        artist_did=artist_did,
        include_unlisted_of=None,
        tags=[tag.lower()] if tag else [],
        hidden_tags=hidden,
        sensitive=tracks.wants_sensitive_audio(user.artist if user else None),
    )
    next_url = None
    if page.next_cursor:
        query = {"cursor": page.next_cursor, "tag": tag or "", "artist": artist_did or ""}
        next_url = "/fragments/feed?" + urlencode({k: v for k, v in query.items() if v})
    return Feed(page, next_url)


async def top_of_week(db: AsyncSession, runtime: Runtime, viewer: str | None) -> list[TrackOut]:
    rows = await tracks_repo.top(db, since=utcnow() - timedelta(days=7), limit=8)
    return [t for t in await tracks.present(db, runtime, rows, viewer) if t.like_count > 0]


SIMILAR_ON_TRACK_PAGE = 6
FOR_YOU_ON_HOME = 8


async def similar(
    db: AsyncSession, runtime: Runtime, track_id: int, viewer: str | None
) -> list[TrackOut]:
    """The tracks that sound nearest to one; none until it has been analysed, or when the
    vector store fails (the page then leaves the section out). Asked last by the page: a
    failed query may leave the session unusable for more."""
    try:
        answer = await discovery.similar_tracks(
            db, runtime, track_id, viewer, SIMILAR_ON_TRACK_PAGE
        )
    except Exception:  # degrade: a failing store must not fail the track page around it
        log.exception("web: similar tracks failed for track %s", track_id)
        return []
    return answer.tracks


async def for_you(db: AsyncSession, runtime: Runtime, user: AuthContext | None) -> list[TrackOut]:
    """The head of a signed-in listener's For You feed (none for a visitor)."""
    if user is None:
        return []
    page = await foryou.for_you(db, runtime, user.artist, cursor=None, limit=FOR_YOU_ON_HOME)
    return page.tracks


async def popular_tags(db: AsyncSession, runtime: Runtime) -> list[TagCount]:
    cached: list[TagCount] | None = runtime.aggregates.get("popular-tags")
    if cached is None:
        counts = await tracks_repo.tag_counts(db, "", 12)
        cached = [TagCount(name=n, track_count=c) for n, c in counts]
        runtime.aggregates.put("popular-tags", cached)
    return cached


async def stats(db: AsyncSession, runtime: Runtime) -> StatsOut:
    cached: StatsOut | None = runtime.aggregates.get("platform-stats")
    if cached is None:
        plays, count, artist_count, seconds = await tracks_repo.platform_stats(db)
        cached = StatsOut(
            total_plays=plays,
            total_tracks=count,
            total_artists=artist_count,
            total_duration_seconds=seconds,
        )
        runtime.aggregates.put("platform-stats", cached)
    return cached


def can_download(track: Track, viewer: str | None) -> bool:
    """The download link shows when the download would be allowed (`stream.service`)."""
    policy = (track.artist.preferences or {}).get("download_policy", "open")
    return track.origin == "upload" and (policy == "open" or track.artist_did == viewer)


@dataclass(frozen=True)
class PlainPage:
    heading: str
    paragraphs: list[str]


TERMS = PlainPage(
    heading="terms",
    paragraphs=[
        "upload only music you have the rights to share. you keep every right to your work; "
        "you let this instance store it and stream it to the people you chose.",
        "your tracks, likes, comments and playlists are records in your own AT Protocol "
        "repository. deleting them here deletes them there when you ask for it.",
        "the operator of this instance may remove what breaks the law or these terms.",
    ],
)
PRIVACY = PlainPage(
    heading="privacy",
    paragraphs=[
        "plyr keeps your DID and handle, what you upload, and what you do here (plays, likes, "
        "comments, playlists). public acts are also records in your repository, public by "
        "nature of the AT Protocol.",
        "sign-in tokens for your PDS are stored encrypted and revoked when you sign out.",
        "you can export your tracks and delete your account at any time from the portal.",
    ],
)
