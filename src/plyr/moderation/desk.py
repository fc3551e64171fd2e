"""The review desk's decisions: a person resolves an open item with an action, which is
logged (who, when, what, why) and, where it changes what others see, becomes a label (or
its negation) from this instance's labeler, or an effect on an item without a record.

Actions: `take_down` (`!takedown`), `uphold_copyright` (`copyright-violation`),
`false_positive` and `original_artist` (a scan flag whose uploader holds the rights), both
changing nothing; `mark_sensitive` / `clear_sensitive` (artwork: the image flag; a track,
album or playlist: a `sexual` label or its negation); `dismiss`."""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.errors import Conflict, Invalid, NotFound
from plyr.core.runtime import Runtime
from plyr.models import ModerationItem
from plyr.moderation import links, queue, repository

Action = Literal[
    "take_down",
    "uphold_copyright",
    "false_positive",
    "original_artist",
    "mark_sensitive",
    "clear_sensitive",
    "dismiss",
]
ACTIONS: tuple[str, ...] = get_args(Action)
HIDING = {"take_down": "!takedown", "uphold_copyright": "copyright-violation"}
SENSITIVE_VALUE = "sexual"  # what a person marking an item's audio sensitive labels it


def actions_for(item: ModerationItem) -> list[str]:
    """The actions the desk offers for this item."""
    # an image is judged sensitive or not; a tag has nothing to take down (yet): dismiss
    hideable = item.target_type not in ("image", "tag")
    offered = ["take_down", "uphold_copyright"] if hideable else []
    if item.kind == "scan":
        offered += ["false_positive", "original_artist"]
    if item.target_type in ("image", "track", "album", "playlist"):
        offered += ["mark_sensitive", "clear_sensitive"]
    return [*offered, "dismiss"]


async def act(
    db: AsyncSession,
    runtime: Runtime,
    item_id: int,
    action: str,
    *,
    actor: str,
    reason: str | None = None,
) -> ModerationItem:
    """Resolve the open item `item_id` with `action` (the caller commits). NotFound, Conflict
    when already resolved, Invalid when the action does not fit the item."""
    item = await repository.get_item(db, item_id)
    if item is None:
        raise NotFound("no such item")
    if item.status != "open":
        raise Conflict(f"already resolved ({item.resolution})")
    if action not in actions_for(item):
        raise Invalid(f"{action!r} does not apply to this item")
    why = reason or item.reason or action
    if action in HIDING:
        await hide(db, runtime, item.target_type, item.target_id, HIDING[action], reason=why)
    elif action in ("mark_sensitive", "clear_sensitive"):
        await _sensitive(db, runtime, item, marked=action == "mark_sensitive", actor=actor)
    await queue.resolve_item(db, item, actor=actor, resolution=action, reason=reason)
    return item


async def hide(
    db: AsyncSession, runtime: Runtime, target_type: str, target_id: str, val: str, *, reason: str
) -> None:
    """Label the item `val` (a hiding value), or hide it directly when it has no record."""
    uri = await repository.label_uri(db, target_type, target_id)
    if uri is not None:
        await links.issue_label(db, runtime, uri=uri, val=val, neg=False)
    else:
        await links.takedown(db, target_type=target_type, target_id=target_id, reason=reason)


async def restore(
    db: AsyncSession,
    runtime: Runtime,
    target_type: str,
    target_id: str,
    *,
    actor: str,
    reason: str | None = None,
) -> None:
    """Withdraw a take-down (and an upheld copyright claim): negations of both labels, or
    the direct effect undone; logged as `restore` (the caller commits)."""
    uri = await repository.label_uri(db, target_type, target_id)
    if uri is not None:
        for val in HIDING.values():
            await links.issue_label(db, runtime, uri=uri, val=val, neg=True)
    else:
        await links.restore(db, target_type=target_type, target_id=target_id)
    await queue.record_event(
        db,
        actor=actor,
        action="restore",
        target_type=target_type,
        target_id=target_id,
        reason=reason,
    )


async def _sensitive(
    db: AsyncSession, runtime: Runtime, item: ModerationItem, *, marked: bool, actor: str
) -> None:
    if item.target_type == "image":
        mark = links.mark_sensitive if marked else links.clear_sensitive
        await mark(db, item.target_id, actor=actor)
        return
    uri = await repository.label_uri(db, item.target_type, item.target_id)
    if uri is None:
        raise Invalid("only items with a record can be labelled sensitive")
    await links.issue_label(db, runtime, uri=uri, val=SENSITIVE_VALUE, neg=not marked)
