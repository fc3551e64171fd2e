"""The JSON webhook: `{event: "moderation.item_opened", item: {...}}` POSTed to the
operator's URL; any answer but 2xx is a failure (the outbox retries it)."""

from __future__ import annotations

from typing import Any

import httpx

from plyr.core.net import bounds

EVENT = "moderation.item_opened"


async def post(http: httpx.AsyncClient, url: str, item: dict[str, Any]) -> None:
    response = await http.post(url, json={"event": EVENT, "item": item}, extensions=bounds())
    response.raise_for_status()
