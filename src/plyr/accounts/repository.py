"""The SQL of deleting an account: what cascades do not reach, and the counters they skip."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import (
    Album,
    Artist,
    Comment,
    Job,
    Like,
    PendingWrite,
    PlayEvent,
    Playlist,
    ShareEvent,
    Track,
)


async def uploads(db: AsyncSession, did: str) -> list[Track]:
    return list((await db.scalars(select(Track).where(Track.artist_did == did))).all())


async def cover_images(db: AsyncSession, did: str) -> list[tuple[str, str]]:
    """(image id, ext) of the covers of the account's albums and playlists."""
    found: list[tuple[str, str]] = []
    for model, owner in ((Album, Album.artist_did), (Playlist, Playlist.owner_did)):
        query = select(model.image_id, model.image_type).where(
            owner == did, model.image_id.is_not(None), model.image_type.is_not(None)
        )
        found.extend((i, e) for i, e in (await db.execute(query)).all() if i and e)
    return found


async def export_job_ids(db: AsyncSession, did: str) -> list[str]:
    query = select(Job.id).where(Job.owner_did == did, Job.type == "export")
    return list((await db.scalars(query)).all())


async def uncount_likes_and_comments(db: AsyncSession, did: str) -> None:
    """Other people's tracks lose this account's likes and comments: keep their counts right."""
    liked = select(Like.track_id).where(Like.did == did)
    await db.execute(
        update(Track).where(Track.id.in_(liked)).values(like_count=Track.like_count - 1)
    )
    per_track = (
        select(Comment.track_id, func.count().label("n"))
        .where(Comment.did == did)
        .group_by(Comment.track_id)
    )
    for track_id, count in (await db.execute(per_track)).all():
        await db.execute(
            update(Track)
            .where(Track.id == track_id)
            .values(comment_count=Track.comment_count - count)
        )


async def delete_rows(db: AsyncSession, did: str) -> None:
    """Rows keyed by DID without a foreign key, then the artist (everything else cascades)."""
    await db.execute(delete(PlayEvent).where(PlayEvent.listener == did))
    await db.execute(delete(ShareEvent).where(ShareEvent.visitor == did))
    await db.execute(delete(PendingWrite).where(PendingWrite.did == did))
    await db.execute(delete(Artist).where(Artist.did == did))
