"""Scanning a processed track for re-uploads: every configured scanner looks at its audio,
and each match becomes a scan flag in the review queue (an open flag for the same track and
scanner is updated, not doubled). Never takes anything down."""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.runtime import Runtime
from plyr.models import Track
from plyr.moderation import queue
from plyr.moderation.fingerprint.audd import AuddScanner
from plyr.moderation.fingerprint.chromaprint import ChromaprintScanner
from plyr.moderation.fingerprint.scanner import Match, ScanFailed, ScannedTrack, Scanner
from plyr.moderation.fingerprint.store import indexed_catalog
from plyr.tracks import repository as tracks

log = logging.getLogger(__name__)

REASONS = {"chromaprint": "copyright", "audd": "copyright-audd"}  # one open flag per scanner


async def indexed_catalog_refresh(runtime: Runtime, db: AsyncSession) -> None:
    """Bring this process's index up to date with the table (matching does it too)."""
    await indexed_catalog(runtime).refresh(db)


def scanners(runtime: Runtime) -> list[Scanner]:
    found: list[Scanner] = [ChromaprintScanner(runtime)]
    token = runtime.settings.audd_api_token
    if token:
        found.append(AuddScanner(runtime.http, token))
    return found


async def scan_track(runtime: Runtime, track_id: int) -> list[Match]:
    """Scan the track with every scanner and flag what they find; returns the matches."""
    async with runtime.sessionmaker() as db:
        track = await tracks.get(db, track_id)
    if track is None or track.status != "published":
        return []
    scanned = ScannedTrack(track.id, track.artist_did, track.duration)
    matches: list[Match] = []
    with _work_dir(runtime) as work:
        audio = await _local_copy(runtime, track, work)
        for scanner in scanners(runtime):
            try:
                matches += await scanner.scan(scanned, audio)
            except ScanFailed as e:
                log.warning("moderation: %s could not scan track %s: %s", scanner.name, track_id, e)
    if matches:
        await _flag(runtime, scanned, matches)
    return matches


async def _flag(runtime: Runtime, track: ScannedTrack, matches: list[Match]) -> None:
    async with runtime.writer() as db:
        if await tracks.get(db, track.id) is None:
            return  # deleted while it was scanned
        for match in matches:
            await queue.open_item(
                db,
                kind="scan",
                target_type="track",
                target_id=track.id,
                track_id=track.id,
                reason=REASONS.get(match.scanner, "copyright"),
                score=match.score,
                details=match.details,
            )
        await outbox.commit(runtime, db)
    for match in matches:
        log.info("moderation: track %s flagged by %s: %s", track.id, match.scanner, match.details)


@contextmanager
def _work_dir(runtime: Runtime) -> Iterator[Path]:
    root = runtime.settings.data_dir / "fingerprint"
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=uuid.uuid4().hex[:8], dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def _local_copy(runtime: Runtime, track: Track, work: Path) -> Path:
    """The stored audio as a local file: the store's own path, or a copy in `work`."""
    key = track.audio.key
    local = runtime.storage.local_path(key)
    if local is not None and local.exists():
        return local
    target = work / "audio"
    async with await anyio.open_file(target, "wb") as file:
        async for chunk in runtime.storage.read_chunks(key):
            await file.write(chunk)
    return target
