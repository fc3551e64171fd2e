"""A form still arriving from a slow client holds no database lock: the track edit and the
album and playlist covers check who may change the row in a short read session of their own
(`plyr.core.deps.check_apart`) and take the request's writer only once the body is in, so
the other users' writes go on meanwhile (on SQLite the writer is the one write lock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from tests.app import User
from tests.audio.media import make_image
from tests.helpers import new_album, upload_tone

BOUNDARY = "plyr-slow-body"
Target = Callable[[AsyncClient, User, Path], Awaitable[str]]  # the URL of a row of the user's


def _field(name: str, value: str) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'
    return f"--{BOUNDARY}\r\n{disposition}\r\n\r\n{value}\r\n".encode()


def _image(name: str, content: bytes) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"; filename="cover.png"'
    head = f"--{BOUNDARY}\r\n{disposition}\r\nContent-Type: image/png\r\n\r\n".encode()
    return head + content + b"\r\n"


class SlowBody:
    """A multipart body that sends its first part, then waits for `release` to send the rest."""

    def __init__(self, first: bytes, rest: bytes) -> None:
        self.first, self.rest = first, rest + f"--{BOUNDARY}--\r\n".encode()
        self.reading = asyncio.Event()  # the app took the first part and waits for more
        self.release = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        self.reading.set()
        await self.release.wait()
        yield self.rest


async def _track(client: AsyncClient, user: User, tmp_path: Path) -> str:
    track = await upload_tone(client, user, tmp_path, "Dawn", 440)
    return f"/tracks/{track['id']}"


async def _album_cover(client: AsyncClient, user: User, _: Path) -> str:
    album = await new_album(client, user, "Seasons")
    return f"/albums/{album['id']}/cover"


async def _playlist_cover(client: AsyncClient, user: User, _: Path) -> str:
    made = await client.post("/lists/playlists", json={"name": "Road"}, headers=user.auth)
    assert made.status_code == 201, made.text
    return f"/lists/playlists/{made.json()['id']}/cover"


SLOW_FORMS: list[Any] = [  # what comes once released (the title field comes first)
    pytest.param("PATCH", _track, _field("description", "slow"), id="edit"),
    pytest.param("POST", _album_cover, _image("image", make_image("png")), id="album-cover"),
    pytest.param("POST", _playlist_cover, _image("image", make_image("png")), id="playlist-cover"),
]


@pytest.mark.parametrize(("method", "target", "rest"), SLOW_FORMS)
async def test_a_form_still_arriving_does_not_hold_the_write_lock(
    client: AsyncClient,
    alice: User,
    bob: User,
    tmp_path: Path,
    method: str,
    target: Target,
    rest: bytes,
) -> None:
    url = await target(client, alice, tmp_path)
    body = SlowBody(_field("title", "Dusk"), rest)
    headers = {**alice.auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    slow = asyncio.create_task(client.request(method, url, content=body, headers=headers))
    await asyncio.wait_for(body.reading.wait(), 10)

    try:
        # with the writer taken before the body, this waits out SQLite's busy timeout (10 s)
        async with asyncio.timeout(5):
            other = await client.post("/lists/playlists", json={"name": "Mine"}, headers=bob.auth)
        still_receiving = not slow.done()
    finally:
        body.release.set()  # a failure leaves no request behind holding the lock
        answer = await asyncio.wait_for(slow, 30)
    assert other.status_code == 201, other.text
    assert still_receiving
    assert answer.status_code == 200, answer.text
    if method == "PATCH":
        assert answer.json()["title"] == "Dusk"
    else:
        assert answer.json()["image_url"] is not None
