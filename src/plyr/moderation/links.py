"""The desk's calls into the other moderation parts: the labeler (`labeler.service.issue`),
the effects of labels on items without a record (`effects.takedown` / `restore`), and
sensitive artwork (`images.service.mark_sensitive` / `clear_sensitive`). One seam, so the
desk's tests can watch what it asks of them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime
from plyr.moderation import effects
from plyr.moderation.images import service as images
from plyr.moderation.labeler import service as labeler


async def issue_label(
    db: AsyncSession, runtime: Runtime, *, uri: str, val: str, neg: bool = False
) -> bool:
    """The labeler signs and stores the label and applies its effect (the caller commits)."""
    await labeler.issue(db, runtime, uri=uri, val=val, neg=neg)
    return True


async def takedown(db: AsyncSession, *, target_type: str, target_id: str, reason: str) -> bool:
    """Hide an item that has no record to label (a private track, a tag)."""
    await effects.takedown(db, target_type=target_type, target_id=target_id, reason=reason)
    return True


async def restore(db: AsyncSession, *, target_type: str, target_id: str) -> bool:
    await effects.restore(db, target_type=target_type, target_id=target_id)
    return True


async def mark_sensitive(db: AsyncSession, image_id: str, *, actor: str) -> bool:
    await images.mark_sensitive(db, image_id, actor=actor)
    return True


async def clear_sensitive(db: AsyncSession, image_id: str, *, actor: str) -> bool:
    await images.clear_sensitive(db, image_id, actor=actor)
    return True
