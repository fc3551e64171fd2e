"""The desk's calls into the other moderation parts: the labeler (`labeler.service.issue`),
the effects of labels on items without a record (`effects.takedown` / `restore`), and
sensitive artwork (`images.service.mark_sensitive` / `clear_sensitive`).

Those parts are built alongside the desk (issue 14) and join at merge; until a part is
present its call is skipped and logged (the decision is still resolved and logged in the
queue). Once all are merged, these become plain imports."""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime

log = logging.getLogger(__name__)

LABELER = "plyr.moderation.labeler.service"
EFFECTS = "plyr.moderation.effects"
IMAGES = "plyr.moderation.images.service"


def _part(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is None or not name.startswith(e.name):
            raise  # the part is there but something it imports is not: a real error
        log.warning("moderation: %s is not part of this build; skipped", name)
        return None


async def _call(module: str, function: str, *args: Any, **kwargs: Any) -> bool:
    part = _part(module)
    if part is None:
        return False
    await getattr(part, function)(*args, **kwargs)
    return True


async def issue_label(
    db: AsyncSession, runtime: Runtime, *, uri: str, val: str, neg: bool = False
) -> bool:
    """The labeler signs and stores the label and applies its effect (the caller commits)."""
    return await _call(LABELER, "issue", db, runtime, uri=uri, val=val, neg=neg)


async def takedown(db: AsyncSession, *, target_type: str, target_id: str, reason: str) -> bool:
    """Hide an item that has no record to label (a private track, a tag)."""
    return await _call(
        EFFECTS, "takedown", db, target_type=target_type, target_id=target_id, reason=reason
    )


async def restore(db: AsyncSession, *, target_type: str, target_id: str) -> bool:
    return await _call(EFFECTS, "restore", db, target_type=target_type, target_id=target_id)


async def mark_sensitive(db: AsyncSession, image_id: str, *, actor: str) -> bool:
    return await _call(IMAGES, "mark_sensitive", db, image_id, actor=actor)


async def clear_sensitive(db: AsyncSession, image_id: str, *, actor: str) -> bool:
    return await _call(IMAGES, "clear_sensitive", db, image_id, actor=actor)
