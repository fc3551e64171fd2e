"""What notifiers say about a new item: a JSON summary (webhook) and one line of text (DM)."""

from __future__ import annotations

from typing import Any

from plyr.models import ModerationItem


def desk_url(public_url: str, item_id: int) -> str:
    return f"{public_url}/admin#item-{item_id}"


def summary(item: ModerationItem, public_url: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "target_type": item.target_type,
        "target_id": item.target_id,
        "track_id": item.track_id,
        "reason": item.reason,
        "score": item.score,
        "details": item.details,
        "created_at": item.created_at.isoformat(),
        "url": desk_url(public_url, item.id),
    }


def text(item: ModerationItem, public_url: str) -> str:
    what = {"scan": "re-upload flag", "report": "report", "image": "artwork flag"}.get(
        item.kind, item.kind
    )
    why = f" ({item.reason})" if item.reason else ""
    score = f", score {item.score:.2f}" if item.score is not None else ""
    return (
        f"plyr: new {what}{why} about {item.target_type} {item.target_id}{score}. "
        f"Review: {desk_url(public_url, item.id)}"
    )
