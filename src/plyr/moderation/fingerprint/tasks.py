"""The background task that scans a processed track for re-uploads."""

from __future__ import annotations

import logging

from plyr.core.runtime import current_runtime
from plyr.moderation.fingerprint import service

log = logging.getLogger(__name__)

# the name tracks enqueue it by (`plyr.tracks` may not import moderation)
SCAN_TRACK = "scan_track"


async def scan_track(track_id: int) -> None:
    """Scan the track for copies of other artists' tracks and flag what is found. Never
    raises for bad audio or a scanner that is down: the track is simply not flagged."""
    try:
        await service.scan_track(current_runtime(), track_id)
    except Exception:  # a scanner bug must not take the worker's other tasks with it
        log.exception("moderation: scanning track %s failed", track_id)
