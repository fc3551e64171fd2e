"""`plyr discovery backfill`: analyse the published tracks that have no current analysis."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

from plyr.core.runtime import Runtime
from plyr.discovery import analysis, repository
from plyr.discovery.tasks import run_analysis

BAR_WIDTH = 24


def progress_line(done: int, total: int, outcomes: Counter[str], elapsed: float) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    counts = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
    return f"[{bar}] {done}/{total} tracks ({counts}) {elapsed:.0f} s"


async def backfill(
    runtime: Runtime, *, limit: int | None, concurrency: int, report: Callable[[str], None]
) -> Counter[str]:
    """Analyse up to `limit` tracks, `concurrency` at a time; `report` gets a progress line
    after each. Returns how many ended how ("analysed", "failed", ...)."""
    version = await asyncio.to_thread(analysis.current_version, runtime)  # loads the models
    async with runtime.sessionmaker() as db:
        track_ids = await repository.needing_analysis(db, version, limit)
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    report(progress_line(0, len(track_ids), outcomes, 0.0))
    slots = asyncio.Semaphore(max(concurrency, 1))

    async def one(track_id: int) -> None:
        async with slots:
            outcomes[await run_analysis(runtime, track_id)] += 1
        done = sum(outcomes.values())
        report(progress_line(done, len(track_ids), outcomes, time.monotonic() - started))

    await asyncio.gather(*(one(track_id) for track_id in track_ids))
    return outcomes
