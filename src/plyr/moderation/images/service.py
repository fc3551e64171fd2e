"""Sensitive artwork: recording the classifier's score (at or above the threshold: marked
sensitive and queued for review), and a person marking or clearing an image. A person's
decision stands: a later score of the same image does not override it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import ModerationItem, SensitiveImage, utcnow
from plyr.moderation import queue
from plyr.moderation.images import repository
from plyr.moderation.images.classifier import SCORER_NAME

REASON = "nsfw"  # the reason of an image flag in the review queue


async def record_score(
    db: AsyncSession, image_id: str, ext: str | None, score: float, *, threshold: float
) -> ModerationItem | None:
    """Keep the classifier's score of the image; at or above `threshold` the image is marked
    sensitive and an image flag is opened (returned). The caller commits."""
    row = await repository.get(db, image_id)
    if row is None:
        row = SensitiveImage(image_id=image_id, ext=ext, sensitive=False)
        repository.add(db, row)
    row.score, row.ext = score, row.ext or ext
    if row.decided_by is not None or score < threshold:
        await db.flush()
        return None
    row.sensitive = True
    await db.flush()
    return await _flag(db, row)


async def _flag(db: AsyncSession, row: SensitiveImage) -> ModerationItem:
    shown = await repository.shown_by(db, row.image_id)
    return await queue.open_item(
        db,
        kind="image",
        target_type="image",
        target_id=row.image_id,
        track_id=shown["track"][0] if shown["track"] else None,
        reason=REASON,
        score=row.score,
        details={
            "ext": row.ext,
            "scorer": SCORER_NAME,
            **{f"{k}_ids": v for k, v in shown.items()},
        },
    )


async def mark_sensitive(db: AsyncSession, image_id: str, *, actor: str) -> None:
    """A person marks the image sensitive (blurred for those who did not ask to see it).
    The caller commits."""
    await _decide(db, image_id, actor=actor, sensitive=True)


async def clear_sensitive(db: AsyncSession, image_id: str, *, actor: str) -> None:
    """A person clears the image: shown to everyone, whatever the classifier said.
    The caller commits."""
    await _decide(db, image_id, actor=actor, sensitive=False)


async def _decide(db: AsyncSession, image_id: str, *, actor: str, sensitive: bool) -> None:
    row = await repository.get(db, image_id)
    if row is None:
        row = SensitiveImage(image_id=image_id)
        repository.add(db, row)
    row.sensitive, row.decided_by, row.updated_at = sensitive, actor, utcnow()
    await db.flush()
    await queue.record_event(
        db,
        actor=actor,
        action="mark_sensitive" if sensitive else "clear_sensitive",
        target_type="image",
        target_id=image_id,
    )


async def sensitive_images(db: AsyncSession) -> list[SensitiveImage]:
    return await repository.sensitive(db)
