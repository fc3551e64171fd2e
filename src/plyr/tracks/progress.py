"""Run blocking work in a thread while relaying its progress to the job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

import anyio

from plyr.jobs.service import JobReporter

T = TypeVar("T")
ProgressFn = Callable[[float], None]


async def run_with_progress(
    reporter: JobReporter, start_pct: float, end_pct: float, work: Callable[[ProgressFn], T]
) -> T:
    """`work(on_progress)` runs in a thread; its 0..1 fraction maps onto start..end percent."""
    fraction = 0.0

    def on_progress(value: float) -> None:
        nonlocal fraction
        fraction = min(1.0, max(0.0, value))

    async def relay() -> None:
        while True:
            await asyncio.sleep(reporter.min_interval)
            await reporter.progress(start_pct + (end_pct - start_pct) * fraction)

    relay_task = asyncio.create_task(relay())
    try:
        return await anyio.to_thread.run_sync(work, on_progress)
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
