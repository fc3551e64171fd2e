"""Background tasks of discovery: analysing a track's audio once it is published."""

from __future__ import annotations

import logging

import anyio

from plyr.audio.formats import AudioError
from plyr.core import outbox
from plyr.core.runtime import Runtime, current_runtime
from plyr.discovery import analysis, repository, tags
from plyr.tracks import repository as tracks

log = logging.getLogger(__name__)

# the name tracks enqueue it by (`plyr.tracks` may not import discovery)
ANALYZE_TRACK = "analyze_track"


async def analyze_track(track_id: int, auto_tag: bool = False) -> None:
    """Analyse the track's audio unless its analysis is current, then apply the tags its
    artist asked for (`auto_tag` here, or on the upload's form). Never raises for bad audio:
    a track without analysis simply has none."""
    await run_analysis(current_runtime(), track_id, auto_tag=auto_tag)


async def run_analysis(runtime: Runtime, track_id: int, *, auto_tag: bool = False) -> str:
    """What `analyze_track` does; returns "analysed", "current", "gone" or "failed"."""
    # in a thread: the first call loads the models, which would stall the event loop
    version = await anyio.to_thread.run_sync(analysis.current_version, runtime)
    async with runtime.sessionmaker() as db:
        track = await tracks.get(db, track_id)
        stored = await analysis.stored_version(db, track_id)
        first = stored is None
        if first and track is not None:
            auto_tag = auto_tag or await repository.upload_asked_auto_tag(db, track_id)
    if track is None or track.status != "published":
        return "gone"
    outcome = "current"
    if stored != version:
        try:
            result = await analysis.analyse_track(runtime, track, version)
        except (AudioError, analysis.AnalysisFailed, OSError) as e:
            log.warning("discovery: track %s could not be analysed: %s", track_id, e)
            return "failed"
        except Exception:  # a model bug must not take the worker's other tasks with it
            log.exception("discovery: analysing track %s failed", track_id)
            return "failed"
        log.info(
            "discovery: analysed track %s (%.0f s of audio in %.1f s)",
            track_id,
            result.audio_seconds,
            result.analysis_seconds,
        )
        async with runtime.writer() as db:
            if await tracks.get(db, track_id) is None:
                return "gone"  # deleted while it was analysed
            await analysis.save(runtime, db, result.features)
            await outbox.commit(runtime, db)
        outcome = "analysed"
    if auto_tag:
        async with runtime.writer() as db:
            added = await tags.apply_auto_tags(runtime, db, track_id)
            await outbox.commit(runtime, db)
        if added:
            log.info("discovery: auto-tagged track %s: %s", track_id, ", ".join(added))
    return outcome
