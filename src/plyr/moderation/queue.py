"""The review queue and the event log, which every moderation source writes to: re-upload
scans, reports, image flags. Items stay open until a person resolves them; the log is
append-only (nothing here updates or deletes an event)."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import current_runtime
from plyr.models import ModerationEvent, ModerationItem, utcnow
from plyr.moderation import repository
from plyr.moderation.notify import queue_notifications

Kind = Literal["scan", "report", "image"]
TargetType = Literal["track", "artist", "album", "playlist", "tag", "comment", "image"]
SYSTEM = "system"  # the actor of what scans and classifiers do


async def open_item(
    db: AsyncSession,
    *,
    kind: Kind,
    target_type: TargetType,
    target_id: str | int,
    track_id: int | None = None,
    reporter_did: str | None = None,
    reason: str | None = None,
    description: str | None = None,
    score: float | None = None,
    details: dict[str, Any] | None = None,
) -> ModerationItem:
    """Queue an item for review (flushed, so it has an id; the caller commits). A scan or
    image flag already open for the same target and reason is updated instead of doubled;
    every report is its own item (who reported matters)."""
    target = str(target_id)
    if kind != "report":
        existing = await repository.open_item_like(db, kind, target_type, target, reason)
        if existing is not None:
            existing.score = score
            existing.details = details or {}
            await db.flush()
            return existing
    item = ModerationItem(
        kind=kind,
        target_type=target_type,
        target_id=target,
        track_id=track_id,
        reporter_did=reporter_did,
        reason=reason,
        description=description,
        score=score,
        details=details or {},
    )
    repository.add(db, item)
    await db.flush()
    await record_event(
        db,
        actor=reporter_did or SYSTEM,
        action=f"{kind}_opened",
        target_type=target_type,
        target_id=target,
        item_id=item.id,
        reason=reason,
    )
    # the admins are told (webhook, DM) once this transaction commits
    await queue_notifications(db, current_runtime().settings, item)
    return item


async def resolve_item(
    db: AsyncSession, item: ModerationItem, *, actor: str, resolution: str, reason: str | None
) -> None:
    """Close an item with the action a person took (and log it)."""
    item.status = "resolved"
    item.resolved_at = utcnow()
    item.resolved_by = actor
    item.resolution = resolution
    await record_event(
        db,
        actor=actor,
        action=resolution,
        target_type=item.target_type,
        target_id=item.target_id,
        item_id=item.id,
        reason=reason,
    )


async def record_event(
    db: AsyncSession,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int,
    item_id: int | None = None,
    reason: str | None = None,
) -> None:
    repository.add(
        db,
        ModerationEvent(
            item_id=item_id,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            reason=reason,
        ),
    )
    await db.flush()
