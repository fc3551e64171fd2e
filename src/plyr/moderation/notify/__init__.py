"""Telling admins of new review items: the header counts on `/admin` (read from the queue),
and the notifiers an operator configures, each an outbox entry written in the transaction
that opens the item (performed once it commits, retried until it is done):

- a JSON webhook (`PLYR_NOTIFY_WEBHOOK_URL`, `webhook.py`);
- a Bluesky DM from a bot account to each admin (`PLYR_NOTIFY_DM_*`, `bluesky_chat.py`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.config import Settings
from plyr.models import ModerationItem


def dm_configured(settings: Settings) -> bool:
    return bool(settings.notify_dm_handle and settings.notify_dm_password)


async def queue_notifications(db: AsyncSession, settings: Settings, item: ModerationItem) -> None:
    """One outbox entry per configured notifier (and DM recipient) about the new `item`."""
    if settings.notify_webhook_url:
        await outbox.add(db, outbox.Kind.NOTIFY_WEBHOOK, {"item_id": item.id})
    if dm_configured(settings):
        for did in settings.notify_dm_recipient_dids:
            await outbox.add(db, outbox.Kind.NOTIFY_DM, {"item_id": item.id, "to": did})
