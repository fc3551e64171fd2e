"""SQL for the review queue and its event log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import (
    Album,
    Artist,
    Comment,
    ModerationEvent,
    ModerationItem,
    Playlist,
    Tag,
    Track,
)


async def open_item_like(
    db: AsyncSession, kind: str, target_type: str, target_id: str, reason: str | None
) -> ModerationItem | None:
    """An open item of the same kind about the same target for the same reason."""
    found = await db.execute(
        select(ModerationItem)
        .where(
            ModerationItem.status == "open",
            ModerationItem.kind == kind,
            ModerationItem.target_type == target_type,
            ModerationItem.target_id == target_id,
            ModerationItem.reason.is_(None) if reason is None else ModerationItem.reason == reason,
        )
        .limit(1)
    )
    return found.scalar_one_or_none()


def add(db: AsyncSession, row: Any) -> None:
    db.add(row)


async def open_counts(db: AsyncSession) -> dict[str, int]:
    rows = await db.execute(
        select(ModerationItem.kind, func.count())
        .where(ModerationItem.status == "open")
        .group_by(ModerationItem.kind)
    )
    return {kind: int(count) for kind, count in rows.all()}


async def events_about(db: AsyncSession, target_type: str, target_id: str) -> list[ModerationEvent]:
    rows = await db.execute(
        select(ModerationEvent)
        .where(ModerationEvent.target_type == target_type, ModerationEvent.target_id == target_id)
        .order_by(ModerationEvent.id)
    )
    return list(rows.scalars())


def _row_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


async def report_target(
    db: AsyncSession, target_type: str, target_id: str, viewer: str
) -> tuple[str, int | None] | None:
    """(the target's id as stored, the track it is about) when `viewer` may see it."""
    if target_type == "artist":
        artist = await db.get(Artist, target_id)
        return (artist.did, None) if artist else None
    if target_type == "tag":
        name = target_id.lower()
        tag = await db.scalar(select(Tag.id).where(Tag.name == name))
        return (name, None) if tag is not None else None
    row_id = _row_id(target_id)
    if row_id is None:
        return None
    if target_type == "track":
        track = await db.get(Track, row_id)
        seen = track and (track.visibility != "private" or track.artist_did == viewer)
        return (str(row_id), row_id) if seen else None
    if target_type == "album":
        return (str(row_id), None) if await db.get(Album, row_id) else None
    if target_type == "playlist":
        playlist = await db.get(Playlist, row_id)
        shown = playlist and (not playlist.is_private or playlist.owner_did == viewer)
        return (str(row_id), None) if shown else None
    comment = await db.get(Comment, row_id)
    return (str(row_id), comment.track_id) if comment else None


async def get_item(db: AsyncSession, item_id: int) -> ModerationItem | None:
    return await db.get(ModerationItem, item_id)


async def open_items(db: AsyncSession, limit: int = 200) -> list[ModerationItem]:
    """The open queue, oldest first (what waited longest is seen first)."""
    rows = await db.execute(
        select(ModerationItem)
        .where(ModerationItem.status == "open")
        .order_by(ModerationItem.created_at, ModerationItem.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def tracks_by_id(db: AsyncSession, ids: list[int]) -> dict[int, Track]:
    if not ids:
        return {}
    rows = await db.execute(select(Track).where(Track.id.in_(ids)))
    return {t.id: t for t in rows.scalars()}


async def takedown_events_of(db: AsyncSession, track_ids: list[int]) -> list[ModerationEvent]:
    """The take-downs and restorations of these tracks, oldest first."""
    if not track_ids:
        return []
    rows = await db.execute(
        select(ModerationEvent)
        .where(
            ModerationEvent.target_type == "track",
            ModerationEvent.target_id.in_([str(i) for i in track_ids]),
            ModerationEvent.action.in_(["take_down", "uphold_copyright", "restore"]),
        )
        .order_by(ModerationEvent.id)
    )
    return list(rows.scalars())


async def label_uri(db: AsyncSession, target_type: str, target_id: str) -> str | None:
    """What a label about this item names: its record's at:// URI, an artist's DID; None
    when it has no record (private, not published yet) or is not a record at all (a tag)."""
    if target_type == "artist":
        return target_id if target_id.startswith("did:") else None
    model = {"track": Track, "album": Album, "playlist": Playlist, "comment": Comment}.get(
        target_type
    )
    row_id = _row_id(target_id)
    if model is None or row_id is None:
        return None
    uri: str | None = await db.scalar(
        select(model.atproto_record_uri).where(model.id == row_id)  # type: ignore[attr-defined]
    )
    return uri


async def recent_events(db: AsyncSession, limit: int = 50) -> list[ModerationEvent]:
    rows = await db.execute(
        select(ModerationEvent).order_by(ModerationEvent.id.desc()).limit(limit)
    )
    return list(rows.scalars())
