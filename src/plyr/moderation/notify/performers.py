"""What performs the notifiers' outbox entries (registered in `plyr.effects`)."""

from __future__ import annotations

from plyr.core.runtime import Runtime
from plyr.models import ModerationItem, PendingWrite
from plyr.moderation import repository
from plyr.moderation.notify import message, webhook
from plyr.moderation.notify.bluesky_chat import BlueskyChat

CHAT_STATE = "moderation.bluesky_chat"


async def _item(runtime: Runtime, entry: PendingWrite) -> ModerationItem | None:
    async with runtime.sessionmaker() as db:
        return await repository.get_item(db, int(entry.payload["item_id"]))


async def perform_webhook(runtime: Runtime, entry: PendingWrite) -> None:
    url = runtime.settings.notify_webhook_url
    item = await _item(runtime, entry)
    if url and item is not None:  # unset since, or the item is gone: nothing to tell
        await webhook.post(runtime.http, url, message.summary(item, runtime.settings.public_url))


def chat_of(runtime: Runtime) -> BlueskyChat:
    """The bot's chat client, kept for the life of the process (its session is reused)."""
    chat = runtime.process_state.get(CHAT_STATE)
    if chat is None:
        settings = runtime.settings
        chat = BlueskyChat(
            runtime.http,
            pds_url=settings.notify_dm_pds_url,
            identifier=settings.notify_dm_handle or "",
            password=settings.notify_dm_password or "",
            chat_service=settings.notify_dm_chat_service,
        )
        runtime.process_state[CHAT_STATE] = chat
    assert isinstance(chat, BlueskyChat)
    return chat


async def perform_dm(runtime: Runtime, entry: PendingWrite) -> None:
    item = await _item(runtime, entry)
    if item is not None and runtime.settings.notify_dm_handle:
        text = message.text(item, runtime.settings.public_url)
        await chat_of(runtime).send(str(entry.payload["to"]), text)
