"""Shared steps of API tests: wait for something, upload a file, wait for its job, make an
album or a playlist, look at what is on disk."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import func, select

from plyr.core.config import Settings
from plyr.models import AudioFile, Job, Track
from tests.app import User
from tests.audio.media import make_audio

T = TypeVar("T")


async def poll(
    check: Callable[[], Awaitable[T] | T],
    *,
    timeout: float = 60,  # generous: only a failing test waits it out, and CI may be loaded
    interval: float = 0.1,
    what: str = "the condition",
) -> T:
    """Call (and await) `check()` until it returns something truthy, and return that. After
    `timeout` seconds the test fails, saying `what` it waited for and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}; last: {value!r}")
        await asyncio.sleep(interval)


def poll_sync(
    check: Callable[[], T], *, timeout: float = 15, interval: float = 0.1, what: str = "it"
) -> T:
    """`poll` for a test that drives a `plyr` process with blocking calls."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}; last: {value!r}")
        time.sleep(interval)


def finished(job: dict[str, Any]) -> dict[str, Any] | None:
    """The job, once it is completed or failed (for `poll`)."""
    return job if job["status"] in ("completed", "failed") else None


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
    async def job() -> dict[str, Any] | None:
        response = await client.get(f"/jobs/{job_id}", headers=user.auth)
        assert response.status_code == 200, response.text
        return finished(response.json())

    return await poll(job, timeout=timeout, interval=0.05, what=f"job {job_id} to finish")


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


async def new_album(client: AsyncClient, user: User, title: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/albums/", json={"title": title, **fields}, headers=user.auth)
    assert response.status_code in (200, 201), response.text
    album: dict[str, Any] = response.json()
    return album


async def new_playlist(
    client: AsyncClient, user: User, name: str, *, is_private: bool = False
) -> dict[str, Any]:
    response = await client.post(
        "/lists/playlists", json={"name": name, "is_private": is_private}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    playlist: dict[str, Any] = response.json()
    return playlist


async def add_to_playlist(client: AsyncClient, user: User, playlist_id: int, track_id: int) -> int:
    """The status code of adding the track."""
    response = await client.post(
        f"/lists/playlists/{playlist_id}/tracks", json={"track_id": track_id}, headers=user.auth
    )
    return response.status_code


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
