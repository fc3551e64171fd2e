"""Reports from listeners: each lands in the review queue as its own item (who reported
matters). A report about something the reporter may not see is refused as if it did not
exist, so reporting cannot probe for private things."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.errors import NotFound
from plyr.models import ModerationItem
from plyr.moderation import queue, repository
from plyr.moderation.schemas import ReportIn


async def file_report(db: AsyncSession, reporter_did: str, body: ReportIn) -> ModerationItem:
    """Queue the report (flushed; the caller commits); NotFound when its target is not
    something the reporter can see."""
    found = await repository.report_target(db, body.target_type, body.target_id, reporter_did)
    if found is None:
        raise NotFound(f"no such {body.target_type}")
    target_id, track_id = found
    return await queue.open_item(
        db,
        kind="report",
        target_type=body.target_type,
        target_id=target_id,
        track_id=track_id,
        reporter_did=reporter_did,
        reason=body.reason,
        description=body.description or None,
    )
