"""Shared steps of API tests: upload a file, wait for its job, look at what is on disk."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import func, select

from plyr.core.config import Settings
from plyr.models import AudioFile, Job, Track
from tests.audio.media import make_audio
from tests.conftest import User


async def post_upload(
    client: AsyncClient,
    user: User,
    path: Path | None,
    *,
    filename: str | None = None,
    image: tuple[str, bytes, str] | None = None,
    **fields: Any,
) -> Response:
    data = {k: json.dumps(v) if isinstance(v, list) else str(v) for k, v in fields.items()}
    data.setdefault("title", "a track")
    files: dict[str, Any] = {}
    if path is not None:
        files["file"] = (filename or path.name, path.read_bytes(), "application/octet-stream")
    if image is not None:
        files["image"] = image
    return await client.post("/tracks/", data=data, files=files or None, headers=user.auth)


async def wait_job(
    client: AsyncClient, user: User, job_id: str, timeout: float = 60
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(f"/jobs/{job_id}", headers=user.auth)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("completed", "failed"):
            return job
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"job did not finish: {job}")
        await asyncio.sleep(0.05)


async def upload_track(
    client: AsyncClient, user: User, path: Path, **fields: Any
) -> dict[str, Any]:
    """Upload, wait, and return the created track (asserting success)."""
    response = await post_upload(client, user, path, **fields)
    assert response.status_code == 202, response.text
    job = await wait_job(client, user, response.json()["upload_id"])
    assert job["status"] == "completed", job
    track = await client.get(f"/tracks/{job['track_id']}", headers=user.auth)
    assert track.status_code == 200
    result: dict[str, Any] = track.json()
    return result


async def upload_tone(
    client: AsyncClient,
    user: User,
    tmp_path: Path,
    title: str,
    frequency: float,
    *,
    seconds: float = 1,
    **fields: Any,
) -> dict[str, Any]:
    """Upload a short mp3 sine as `title` and return the track (see `upload_track`). Give
    each its own `frequency`: identical audio is refused as a duplicate."""
    path = make_audio(tmp_path / f"tone-{frequency}.mp3", "mp3", seconds, frequency=frequency)
    return await upload_track(client, user, path, title=title, **fields)


def files_under(path: Path) -> list[str]:
    if not path.exists():
        return []
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def media_files(settings: Settings) -> list[str]:
    """Stored keys in the public and the private folder (a key in both appears twice)."""
    return sorted(files_under(settings.media_dir) + files_under(settings.private_media_dir))


def temp_files(settings: Settings) -> list[str]:
    return files_under(settings.tmp_dir)


async def row_counts(app: FastAPI) -> dict[str, int]:
    async with app.state.runtime.sessionmaker() as db:
        counts = {}
        for model in (Track, AudioFile):
            counts[model.__tablename__] = (
                await db.execute(select(func.count()).select_from(model))
            ).scalar_one()
        return counts


async def job_row(app: FastAPI, job_id: str) -> Job:
    async with app.state.runtime.sessionmaker() as db:
        job = await db.get(Job, job_id)
        assert job is not None
        return job
