"""Job progress: written to the database (the truth) and announced on pub/sub (the nudge)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from plyr.core.runtime import Runtime
from plyr.jobs import repository
from plyr.jobs.schemas import JobOut
from plyr.models import utcnow

POLL_SECONDS = 1.0


def channel(job_id: str) -> str:
    return f"job:{job_id}"


class JobReporter:
    """Updates one job from a task; progress writes are throttled, phase changes are not."""

    def __init__(self, runtime: Runtime, job_id: str, min_interval: float = 0.5) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.min_interval = min_interval
        self._last = 0.0
        self.phase = "upload"

    async def update(self, **values: Any) -> None:
        """Only the worker running the job reports on it: each report is a heartbeat."""
        async with self.runtime.sessionmaker() as db:
            await repository.set_fields(db, self.job_id, heartbeat_at=utcnow(), **values)
            await db.commit()
        self._last = time.monotonic()
        with contextlib.suppress(Exception):  # a lost nudge only delays a poll
            await self.runtime.cache.publish(channel(self.job_id), "1")

    async def add_warnings(self, warnings: list[str]) -> None:
        async with self.runtime.writer() as db:
            job = await repository.get(db, self.job_id)
            if job is not None:
                await repository.set_fields(db, self.job_id, warnings=[*job.warnings, *warnings])
                await db.commit()

    async def phase_started(self, phase: str, progress_pct: float, message: str) -> None:
        self.phase = phase
        await self.update(
            status="processing", phase=phase, progress_pct=progress_pct, message=message
        )

    async def progress(self, progress_pct: float) -> None:
        if time.monotonic() - self._last >= self.min_interval:
            await self.update(progress_pct=progress_pct)


async def snapshot(runtime: Runtime, job_id: str) -> JobOut | None:
    async with runtime.sessionmaker() as db:
        job = await repository.get(db, job_id)
        return JobOut.of(job) if job else None


class _Nudges:
    """Waits on a subscription for a nudge, at most `seconds` at a time. One read
    stays pending across waits: cancelling a read (as wait_for does) would end the
    subscription's generator. A failed subscription leaves plain polling."""

    def __init__(self, messages: AsyncIterator[str]) -> None:
        self.messages = messages
        self.pending: asyncio.Future[str] | None = None
        self.alive = True

    async def wait(self, seconds: float) -> None:
        if not self.alive:
            await asyncio.sleep(seconds)
            return
        self.pending = self.pending or asyncio.ensure_future(anext(self.messages))
        done, _ = await asyncio.wait({self.pending}, timeout=seconds)
        if done:
            self.alive = self.pending.exception() is None
            self.pending = None

    def close(self) -> None:
        if self.pending is not None:
            self.pending.cancel()


async def watch(runtime: Runtime, job_id: str, lifetime_s: float) -> AsyncIterator[JobOut]:
    """Yield the job each time it changes, until it is completed or failed, or `lifetime_s`
    passed (a stream is not held open, and polling, forever)."""
    deadline = time.monotonic() + lifetime_s
    async with runtime.cache.subscribe(channel(job_id)) as messages:
        nudges = _Nudges(messages)
        last: JobOut | None = None
        try:
            while True:
                job = await snapshot(runtime, job_id)
                if job is None:
                    return
                if job != last:
                    yield job
                    last = job
                left = deadline - time.monotonic()
                if job.finished or left <= 0:
                    return
                await nudges.wait(min(POLL_SECONDS, left))
        finally:
            nudges.close()
