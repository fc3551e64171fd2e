"""Background tasks of ingest."""

from __future__ import annotations

from datetime import timedelta

from docket import Retry

from plyr.core.runtime import current_runtime
from plyr.ingest import sync


async def sync_repo(did: str, retry: Retry = Retry(attempts=3, delay=timedelta(seconds=5))) -> None:
    """Import a signed-in user's existing records (profile, tracks from other clients)."""
    await sync.sync_repo(current_runtime(), did)
