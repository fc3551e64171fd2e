"""Artist analytics: plays and likes per track, totals, and plays per day for 30 days (from
the play events kept for every counted play)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository
from plyr.models import utcnow

DAYS = 30


class TrackStats(BaseModel):
    track_id: int
    title: str
    visibility: str
    plays: int
    likes: int
    comments: int


class DayPlays(BaseModel):
    date: date
    plays: int


class Analytics(BaseModel):
    total_plays: int
    total_likes: int
    total_comments: int
    tracks: list[TrackStats]
    plays_per_day: list[DayPlays]


async def _per_track(db: AsyncSession, did: str) -> list[TrackStats]:
    return [
        TrackStats(track_id=i, title=t, visibility=v, plays=p, likes=lk, comments=c)
        for i, t, v, p, lk, c in await repository.published_track_stats(db, did)
    ]


async def _per_day(db: AsyncSession, did: str) -> list[DayPlays]:
    since = utcnow() - timedelta(days=DAYS - 1)
    start = since.date()
    midnight = since.replace(hour=0, minute=0, second=0, microsecond=0)
    counts = await repository.plays_per_day(db, did, midnight)
    return [
        DayPlays(
            date=start + timedelta(days=i), plays=counts.get(str(start + timedelta(days=i)), 0)
        )
        for i in range(DAYS)
    ]


async def analytics(db: AsyncSession, did: str) -> Analytics:
    tracks = await _per_track(db, did)
    return Analytics(
        total_plays=sum(t.plays for t in tracks),
        total_likes=sum(t.likes for t in tracks),
        total_comments=sum(t.comments for t in tracks),
        tracks=tracks,
        plays_per_day=await _per_day(db, did),
    )
