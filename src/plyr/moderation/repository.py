"""SQL for the review queue and its event log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import ModerationEvent, ModerationItem


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
