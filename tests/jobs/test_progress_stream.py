"""The job progress stream (server-sent events): its owner only, a few streams per account
at a time, each closed after a maximum lifetime even when the job never finishes."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import FastAPI
from httpx import AsyncClient

from plyr.jobs import repository
from plyr.models import Job
from tests.app import User
from tests.helpers import poll


async def pending_job(app: FastAPI, owner: User) -> str:
    """A job that stays pending: nothing works on it."""
    job_id = uuid.uuid4().hex
    async with app.state.runtime.writer() as db:
        repository.add(db, Job(id=job_id, owner_did=owner.did, type="upload", status="pending"))
        await db.commit()
    return job_id


def progress(job_id: str) -> str:
    return f"/tracks/uploads/{job_id}/progress"


async def test_only_the_owner_watches_a_job(
    app: FastAPI, client: AsyncClient, alice: User, bob: User
) -> None:
    job_id = await pending_job(app, alice)
    async with asyncio.timeout(10):  # a stream that opened would never end here
        assert (await client.get(progress(job_id))).status_code == 401
        assert (await client.get(progress(job_id), headers=bob.auth)).status_code == 404
        assert (await client.get(progress("nope"), headers=alice.auth)).status_code == 404


async def test_streams_end_after_their_lifetime_and_are_capped_per_account(
    app: FastAPI, client: AsyncClient, alice: User, bob: User
) -> None:
    streams = app.state.runtime.limiter.event_streams
    assert streams.lifetime_s == 30 * 60 and streams.limit == 5
    streams.lifetime_s = 5.0  # the job below never finishes: only the lifetime ends a stream
    job_id = await pending_job(app, alice)
    async with asyncio.timeout(20):
        watching = [
            asyncio.create_task(client.get(progress(job_id), headers=alice.auth)) for _ in range(5)
        ]

        async def all_held() -> bool:
            return len(streams._held.get(alice.did, {})) == 5

        await poll(all_held, interval=0.02, what="the five streams to be held")
        sixth = await client.get(progress(job_id), headers=alice.auth)
        assert sixth.status_code == 429 and int(sixth.headers["retry-after"]) >= 1
        assert "at most 5" in sixth.json()["detail"]
        bobs = await client.get(progress(await pending_job(app, bob)), headers=bob.auth)
        assert bobs.status_code == 200  # the cap is per account
        for done in await asyncio.gather(*watching):
            assert done.status_code == 200
            assert '"status":"pending"' in done.text  # the job as it was, then the end
        # the ended streams gave their places back
        assert alice.did not in streams._held
        assert (await client.get(progress(job_id), headers=alice.auth)).status_code == 200
