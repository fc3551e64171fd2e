"""A `plyr serve` killed (SIGKILL) between a change's commit and its effects on the PDS and
in storage: once restarted, the outbox performs them (a delete's record and files go, an
edit and an album rename reach the records)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from plyr.core.config import Settings
from plyr.core.outbox import CRASH_ENV
from tests.app import User, empty_tables
from tests.atnet.helpers import rkey_of, sign_in_app_password
from tests.atnet.network import AtprotoNet, create_account, get_record, unique_handle
from tests.audio.media import make_audio
from tests.helpers import media_files, poll, upload_track
from tests.servers import free_port, plyr_env, start_plyr, stop, wait_until_up

pytestmark = pytest.mark.timeout(300)


class Plyr:
    """`plyr serve` on one port and database, started and killed as the test says."""

    def __init__(self, settings: Settings, net: AtprotoNet) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = plyr_env(
            settings.data_dir,
            DATABASE_URL=settings.resolved_database_url,
            PLYR_PUBLIC_URL=self.url,
            PLYR_PLC_URL=net.plc_url,
            PLYR_HANDLE_RESOLVERS=net.pds_url,
            PLYR_ALLOW_APP_PASSWORDS="true",
        )

    @contextmanager
    def serving(self, crash_at: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
        env = {**self.env, CRASH_ENV: crash_at} if crash_at else self.env
        proc = start_plyr(env, self.port)
        try:
            wait_until_up(f"{self.url}/health", proc)
            yield proc
        finally:
            stop(proc)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
            yield client


@pytest.fixture
async def plyr(settings: Settings, atproto_net: AtprotoNet) -> AsyncIterator[Plyr]:
    yield Plyr(settings, atproto_net)
    await empty_tables(settings.resolved_database_url)


async def published(
    plyr: Plyr, net: AtprotoNet, tmp_path: Path, **fields: Any
) -> tuple[User, dict[str, Any]]:
    """A signed-in artist and their published track, on a server that is then stopped."""
    with plyr.serving():
        async with plyr.client() as client:
            user = await sign_in_app_password(client, create_account(net, unique_handle("kit")))
            source = make_audio(tmp_path / "tone.mp3", "mp3", frequency=523)
            track = await upload_track(client, user, source, title="Dawn", **fields)
    assert track_record(net, user.did, track) is not None
    return user, track


def killed_after_commit(plyr: Plyr, kind: str, request: Callable[[httpx.Client], Any]) -> None:
    """Send `request` to a server that kills itself before performing an entry of `kind`."""
    with plyr.serving(crash_at=f"after_commit:{kind}") as proc:
        with (
            httpx.Client(base_url=plyr.url, timeout=60) as client,
            pytest.raises(httpx.TransportError),
        ):
            request(client)
        assert proc.wait(15) == -signal.SIGKILL


def track_record(net: AtprotoNet, did: str, track: dict[str, Any]) -> dict[str, Any] | None:
    record = get_record(net, did, "fm.plyr.track", rkey_of(track))
    return None if record is None else record["value"]


async def eventually(check: Callable[[], bool]) -> None:
    """The restarted server's first sweep performs what waited."""
    await poll(check, interval=0.25, what="the outbox to perform what waited")


async def test_a_delete_killed_after_its_commit_finishes_on_restart(
    plyr: Plyr, atproto_net: AtprotoNet, settings: Settings, tmp_path: Path
) -> None:
    user, track = await published(plyr, atproto_net, tmp_path)
    assert media_files(settings) != []

    killed_after_commit(
        plyr, "track_delete", lambda c: c.delete(f"/tracks/{track['id']}", headers=user.auth)
    )
    assert track_record(atproto_net, user.did, track) is not None  # the crash window
    assert media_files(settings) != []

    with plyr.serving():
        async with plyr.client() as client:
            gone = await client.get(f"/tracks/{track['id']}", headers=user.auth)
            assert gone.status_code == 404  # the delete had committed
        await eventually(
            lambda: (
                track_record(atproto_net, user.did, track) is None and media_files(settings) == []
            )
        )


async def test_an_edit_killed_after_its_commit_reaches_the_record_on_restart(
    plyr: Plyr, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    user, track = await published(plyr, atproto_net, tmp_path)

    def edit(client: httpx.Client) -> Any:
        return client.patch(f"/tracks/{track['id']}", data={"title": "Dusk"}, headers=user.auth)

    killed_after_commit(plyr, "track_sync", edit)
    assert track_record(atproto_net, user.did, track)["title"] == "Dawn"  # type: ignore[index]

    with plyr.serving():
        await eventually(
            lambda: (track_record(atproto_net, user.did, track) or {}).get("title") == "Dusk"
        )


async def test_an_album_rename_killed_after_its_commit_reaches_the_records_on_restart(
    plyr: Plyr, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    user, track = await published(plyr, atproto_net, tmp_path, album="Mornings")
    album_id = track["album"]["id"]
    with plyr.serving():
        async with plyr.client() as client:
            body = {"track_ids": [track["id"]]}
            put = await client.put(f"/albums/{album_id}/tracks", json=body, headers=user.auth)
    album_rkey = put.json()["atproto_record_uri"].rsplit("/", 1)[1]

    def album_name() -> str | None:
        record = get_record(atproto_net, user.did, "fm.plyr.list", album_rkey)
        return None if record is None else record["value"]["name"]

    def rename(client: httpx.Client) -> Any:
        return client.patch(f"/albums/{album_id}", json={"title": "Evenings"}, headers=user.auth)

    killed_after_commit(plyr, "track_sync", rename)
    assert track_record(atproto_net, user.did, track)["album"] == "Mornings"  # type: ignore[index]
    assert album_name() == "Mornings"

    with plyr.serving():
        await eventually(
            lambda: (
                (track_record(atproto_net, user.did, track) or {}).get("album") == "Evenings"
                and album_name() == "Evenings"
            )
        )
