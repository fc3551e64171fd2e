"""What the review desk shows: the open queue, each item with its context (the tracks it is
about, with their audio for the players; a scan flag's matched track), the actions that fit
it, the counts per kind, and the latest entries of the log."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import ModerationEvent, ModerationItem, Track
from plyr.moderation import desk, repository


@dataclass(frozen=True)
class DeskItem:
    item: ModerationItem
    actions: list[str]
    track: Track | None = None  # the track the item is about (a flagged upload, a report's)
    matched: Track | None = None  # a scan flag: the other artist's track it matches


@dataclass(frozen=True)
class Desk:
    items: list[DeskItem]
    counts: dict[str, int]
    events: list[ModerationEvent] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _matched_id(item: ModerationItem) -> int | None:
    found = (item.details or {}).get("matched_track_id")
    return int(found) if isinstance(found, int | str) and str(found).isdigit() else None


async def desk_item(db: AsyncSession, item: ModerationItem) -> DeskItem:
    ids = [i for i in (item.track_id, _matched_id(item)) if i is not None]
    tracks = await repository.tracks_by_id(db, ids)
    return _with(item, tracks)


def _with(item: ModerationItem, tracks: dict[int, Track]) -> DeskItem:
    matched = _matched_id(item)
    return DeskItem(
        item=item,
        actions=desk.actions_for(item),
        track=tracks.get(item.track_id) if item.track_id is not None else None,
        matched=tracks.get(matched) if matched is not None else None,
    )


async def open_desk(db: AsyncSession) -> Desk:
    items = await repository.open_items(db)
    ids = {i for item in items for i in (item.track_id, _matched_id(item)) if i is not None}
    tracks = await repository.tracks_by_id(db, sorted(ids))
    return Desk(
        items=[_with(item, tracks) for item in items],
        counts=await repository.open_counts(db),
        events=await repository.recent_events(db),
    )


async def takedowns_of(db: AsyncSession, track_ids: list[int]) -> dict[int, str]:
    """Of these tracks, those taken down now (their last decision hid them, none restored
    them since), with why: what their artist is told in the portal."""
    standing: dict[int, str] = {}
    for event in await repository.takedown_events_of(db, track_ids):
        track_id = int(event.target_id)
        if event.action == "restore":
            standing.pop(track_id, None)
        else:
            what = "copyright" if event.action == "uphold_copyright" else "taken down"
            standing[track_id] = f"{what}: {event.reason}" if event.reason else what
    return standing
