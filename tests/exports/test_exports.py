"""Exporting my tracks: a job with progress, then a zip of the originals, for me only."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from httpx import AsyncClient

from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import upload_track, wait_job


async def test_export_zips_the_originals(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    aiff = make_audio(tmp_path / "studio.aiff", "aiff", seconds=1, frequency=300)
    mp3 = make_audio(tmp_path / "demo.mp3", "mp3", seconds=1, frequency=500)
    await upload_track(client, alice, aiff, title="Studio Take")
    await upload_track(client, alice, mp3, title="Demo/Sketch", visibility="private")
    await upload_track(client, bob, make_audio(tmp_path / "b.mp3", "mp3", seconds=1, frequency=700))

    started = await client.post("/exports/", headers=alice.auth)
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    job = await wait_job(client, alice, job_id)
    assert job["status"] == "completed" and job["progress_pct"] == 100.0

    assert (await client.get(f"/exports/{job_id}/download", headers=bob.auth)).status_code == 404
    assert (await client.get(f"/exports/{job_id}/download")).status_code == 401
    response = await client.get(f"/exports/{job_id}/download", headers=alice.auth)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["01 - Studio Take.aiff", "02 - Demo_Sketch.mp3"]
    assert archive.read("01 - Studio Take.aiff") == aiff.read_bytes()  # the original, not the mp3
    assert archive.read("02 - Demo_Sketch.mp3") == mp3.read_bytes()
    assert archive.testzip() is None


async def test_an_unfinished_or_foreign_export_cannot_be_downloaded(
    client: AsyncClient, app: object, alice: User, bob: User
) -> None:
    from plyr.exports import service

    async with app.state.runtime.writer() as db:  # type: ignore[attr-defined]
        job = await service.start(db, alice.did)
        await db.commit()
    waiting = await client.get(f"/exports/{job.id}/download", headers=alice.auth)
    assert waiting.status_code == 409
    assert (await client.get(f"/exports/{job.id}/download", headers=bob.auth)).status_code == 404
    assert (await client.get("/exports/nope/download", headers=alice.auth)).status_code == 404


async def test_one_running_export_per_account(
    client: AsyncClient, app: object, alice: User, bob: User
) -> None:
    from plyr.exports import service
    from plyr.jobs import repository

    runtime = app.state.runtime  # type: ignore[attr-defined]
    async with runtime.writer() as db:  # one still waiting for a worker
        job = await service.start(db, alice.did)
        await db.commit()
    second = await client.post("/exports/", headers=alice.auth)
    assert second.status_code == 429 and int(second.headers["retry-after"]) >= 1
    assert "already running" in second.json()["detail"]
    bobs = await client.post("/exports/", headers=bob.auth)  # per account
    assert bobs.status_code == 202
    await wait_job(client, bob, bobs.json()["job_id"])
    async with runtime.writer() as db:  # once it ended, another may start
        await repository.fail_unfinished(db, job.id)
        await db.commit()
    again = await client.post("/exports/", headers=alice.auth)
    assert again.status_code == 202
    await wait_job(client, alice, again.json()["job_id"])
