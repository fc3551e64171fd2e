"""A worker killed mid-transcode: the job is retried to completion, nothing is orphaned."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.core.config import Settings
from tests.app import User, empty_tables, make_user
from tests.audio.media import make_audio
from tests.helpers import job_row, media_files, poll, post_upload, temp_files, wait_job
from tests.servers import PLYR, dev_token, free_port, plyr_env, start_plyr, stop, wait_until_up

SLOW_FFMPEG = """#!/bin/sh
# The first transcode hangs (so the test can kill its worker); later ones are real.
if [ ! -e "{marker}" ]; then touch "{marker}"; echo $$ > "{pidfile}"; exec sleep 600; fi
exec ffmpeg "$@"
"""


def slow_ffmpeg(tmp_path: Path) -> tuple[Path, Path]:
    script, pidfile = tmp_path / "slow-ffmpeg", tmp_path / "ffmpeg.pid"
    script.write_text(SLOW_FFMPEG.format(marker=tmp_path / "hung-once", pidfile=pidfile))
    script.chmod(0o755)
    return script, pidfile


def written(path: Path) -> str:
    """The file's text, or nothing while it is missing or empty."""
    return path.read_text().strip() if path.exists() else ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False


async def wait_for_phase(app: FastAPI, job_id: str, phase: str, timeout: float = 30) -> None:
    async def reached() -> bool:
        return (await job_row(app, job_id)).phase == phase

    await poll(reached, timeout=timeout, what=f"the job to reach {phase}")


def worker_env(settings: Settings, ffmpeg: Path) -> dict[str, str]:
    return plyr_env(
        settings.data_dir,
        DATABASE_URL=settings.resolved_database_url,
        REDIS_URL=settings.redis_url or "",
        PLYR_QUEUE_NAME=settings.queue_name,
        PLYR_REDELIVERY_TIMEOUT_S="2",
        PLYR_FFMPEG=str(ffmpeg),
        PLYR_PUBLIC_URL=settings.public_url,
    )


@pytest.fixture
def scaled_settings(settings: Settings, redis_url: str) -> Settings:
    settings.redis_url = redis_url
    settings.queue_name = f"plyr-test-{uuid.uuid4().hex[:8]}"
    return settings


@pytest.fixture
async def api_only(scaled_settings: Settings) -> FastAPI:
    from plyr.app import create_app

    return create_app(scaled_settings, with_worker=False)


async def test_killed_worker_is_replaced_and_the_job_completes(
    api_only: FastAPI, scaled_settings: Settings, tmp_path: Path
) -> None:
    from httpx import ASGITransport

    ffmpeg, pidfile = slow_ffmpeg(tmp_path)
    env = worker_env(scaled_settings, ffmpeg)
    async with api_only.router.lifespan_context(api_only):
        alice: User = await make_user(api_only, "alice.test")
        transport = ASGITransport(app=api_only)
        async with AsyncClient(transport=transport, base_url=scaled_settings.public_url) as client:
            source = make_audio(tmp_path / "long.aiff", "aiff", seconds=5)
            upload_id = (await post_upload(client, alice, source)).json()["upload_id"]
            first = subprocess.Popen([*PLYR, "worker"], env=env)
            second = None
            try:
                await wait_for_phase(api_only, upload_id, "transcode")
                hung_ffmpeg = int(await poll(lambda: written(pidfile), what="ffmpeg's pid"))
                first.send_signal(signal.SIGKILL)
                first.wait(10)
                await poll(lambda: not alive(hung_ffmpeg), what="the transcoder to die with it")
                second = subprocess.Popen([*PLYR, "worker"], env=env)
                job = await wait_job(client, alice, upload_id, timeout=60)
            finally:
                stop(first)
                stop(second)
            assert job["status"] == "completed", job
            track = (await client.get(f"/tracks/{job['track_id']}")).json()
            assert track["file_type"] == "mp3"
            assert len(media_files(scaled_settings)) == 2  # original + mp3, once each
            assert temp_files(scaled_settings) == []
    await empty_tables(scaled_settings.resolved_database_url)


async def test_embedded_server_restart_resumes_the_upload(
    settings: Settings, tmp_path: Path
) -> None:
    """With the in-process queue, a restarted `plyr serve` picks unfinished uploads back up."""

    ffmpeg, pidfile = slow_ffmpeg(tmp_path)
    env = worker_env(settings, ffmpeg)
    env.pop("REDIS_URL")
    port = free_port()
    env["PLYR_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    user = User(did="", handle="alice.test", token=dev_token(env))
    health = f"http://127.0.0.1:{port}/health"
    server = start_plyr(env, port)
    try:
        async with AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_until_up(health, server)
            source = make_audio(tmp_path / "long.aiff", "aiff", seconds=5)
            upload_id = (await post_upload(client, user, source)).json()["upload_id"]
            await poll(lambda: written(pidfile), timeout=30, what="the transcode to start")
            server.send_signal(signal.SIGKILL)
            server.wait(10)
            server = start_plyr(env, port)
            wait_until_up(health, server)
            job = await wait_job(client, user, upload_id, timeout=60)
            assert job["status"] == "completed", job
    finally:
        stop(server)
    assert temp_files(settings) == []
    assert len(media_files(settings)) == 2
    await empty_tables(settings.resolved_database_url)
