"""Music published by another client reaches plyr: by syncing a user's repo when they sign
in, and by following the firehose for any account."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.ingest.firehose import ingest
from plyr.models import IngestCursor
from tests.atnet.conftest import AtprotoNet, create_account, unique_handle
from tests.atnet.helpers import put_record, put_track, xrpc
from tests.audio.media import make_audio
from tests.helpers import poll


@pytest.fixture
async def following(pds_app: FastAPI, atproto_net: AtprotoNet) -> AsyncIterator[None]:
    """`ingest` following the local PDS's firehose from its beginning."""
    stop = asyncio.Event()
    follower = asyncio.create_task(
        ingest(pds_app.state.runtime, atproto_net.pds_ws, stop, first_cursor=0)
    )
    yield
    stop.set()
    await asyncio.wait_for(follower, 15)


async def test_sign_in_imports_what_the_repo_already_holds(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account = create_account(atproto_net, unique_handle("hal"))
    audio = make_audio(tmp_path / "blob.mp3", "mp3", seconds=2).read_bytes()
    blob = xrpc(
        atproto_net,
        account,
        "com.atproto.repo.uploadBlob",
        content=audio,
        content_type="audio/mpeg",
    )["blob"]
    put_track(atproto_net, account, "On the PDS", audioBlob=blob, duration=2)
    put_track(atproto_net, account, "Elsewhere", audioUrl="https://music.example/a.mp3")
    put_track(atproto_net, account, "Broken")  # neither audioBlob nor audioUrl: skipped
    put_record(
        atproto_net,
        account,
        "fm.plyr.actor.profile",
        "self",
        {
            "$type": "fm.plyr.actor.profile",
            "bio": "from my repo",
            "createdAt": "2026-01-01T00:00:00.000Z",
        },
    )

    signed_in = await api.post(
        "/auth/app-password", json={"identifier": account.handle, "password": account.password}
    )
    assert signed_in.status_code == 200

    async def imported() -> list[dict[str, Any]]:
        page = (await api.get("/tracks/", params={"artist_did": account.did})).json()
        return page["tracks"] if len(page["tracks"]) == 2 else []

    tracks = {t["title"]: t for t in await poll(imported)}
    assert set(tracks) == {"On the PDS", "Elsewhere"}
    assert tracks["On the PDS"]["atproto_record_uri"].startswith(f"at://{account.did}/")
    ranged = await api.get(tracks["On the PDS"]["audio_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == audio[:100]
    assert ranged.headers["content-type"] == "audio/mpeg"
    redirect = await api.get(tracks["Elsewhere"]["audio_url"])
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "https://music.example/a.mp3"
    artist = (await api.get(f"/artists/{account.did}")).json()
    assert artist["bio"] == "from my repo" and artist["handle"] == account.handle


async def test_firehose_indexes_any_account(
    pds_app: FastAPI, api: AsyncClient, atproto_net: AtprotoNet, following: None
) -> None:
    stranger = create_account(atproto_net, unique_handle("ivy"))
    rkey = put_track(
        atproto_net, stranger, "Heard on the firehose", audioUrl="https://music.example/b.mp3"
    )

    async def indexed() -> list[dict[str, Any]]:
        page = (await api.get("/tracks/", params={"artist_did": stranger.did})).json()
        tracks: list[dict[str, Any]] = page["tracks"]
        return tracks

    tracks = await poll(indexed)
    assert tracks[0]["title"] == "Heard on the firehose"
    assert tracks[0]["artist"]["handle"] == stranger.handle

    xrpc(
        atproto_net,
        stranger,
        "com.atproto.repo.deleteRecord",
        json={"repo": stranger.did, "collection": "fm.plyr.track", "rkey": rkey},
    )

    async def removed() -> bool:
        return not await indexed()

    await poll(removed)
    async with pds_app.state.runtime.sessionmaker() as db:
        cursor = (await db.execute(select(IngestCursor))).scalars().one()
    assert cursor.service == atproto_net.pds_ws and cursor.cursor > 0


async def test_a_handle_change_is_picked_up(
    api: AsyncClient, atproto_net: AtprotoNet, following: None
) -> None:
    artist = create_account(atproto_net, unique_handle("jo"))
    put_track(atproto_net, artist, "Before", audioUrl="https://music.example/c.mp3")

    async def known() -> bool:
        return (await api.get(f"/artists/{artist.did}")).status_code == 200

    await poll(known)
    renamed = unique_handle("joanna")
    xrpc(atproto_net, artist, "com.atproto.identity.updateHandle", json={"handle": renamed})

    async def renamed_in_plyr() -> bool:
        return bool((await api.get(f"/artists/{artist.did}")).json()["handle"] == renamed)

    await poll(renamed_in_plyr)
