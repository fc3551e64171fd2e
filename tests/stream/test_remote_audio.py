"""Audio that lives elsewhere: a blob relayed from the artist's PDS, or a record's URL that
plyr redirects to. The PDS here is a small server on 127.0.0.1 that the test controls."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from plyr.core.config import Settings
from plyr.models import Artist, AudioFile, Track
from tests.app import PUBLIC_URL, running_app
from tests.upstream import Upstream, respond, running_upstream

DID = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"
CID = "bafkreiexampleexampleexampleexampleexampleexampleexample"
AUDIO = bytes(range(256)) * 64  # 16 KiB that compress well enough to show the difference


@pytest.fixture
async def pds() -> AsyncIterator[Upstream]:
    async with running_upstream() as server:
        yield server


async def _remote_track(app: FastAPI, file_id: str, pds_url: str, **audio: object) -> None:
    async with app.state.runtime.writer() as db:
        db.add(Artist(did=DID, handle="remote.test", pds_url=pds_url))
        db.add(AudioFile(file_id=file_id, ext="mp3", content_type="audio/mpeg", size=0, **audio))
        await db.flush()
        db.add(
            Track(
                artist_did=DID,
                title="elsewhere",
                upload_file_id=file_id,
                file_id=file_id,
                file_type="mp3",
                origin="atproto",
                status="published",
                visibility="public",
            )
        )
        await db.commit()


async def test_a_compressed_blob_is_relayed_as_the_audio_bytes(
    app: FastAPI, client: AsyncClient, pds: Upstream
) -> None:
    """Review L15: a PDS that gzips its answer anyway must not corrupt the audio."""
    pds.routes["/xrpc/com.atproto.sync.getBlob"] = respond(
        200,
        gzip.compress(AUDIO),
        {"content-type": "application/octet-stream", "content-encoding": "gzip"},
    )
    await _remote_track(app, "aaaaaaaaaaaaaaa1", pds.url, blob_did=DID, blob_cid=CID)
    response = await client.get("/audio/aaaaaaaaaaaaaaa1")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.content == AUDIO
    assert pds.requests[0].headers["accept-encoding"] == "identity"


async def test_a_plain_blob_keeps_its_ranges(
    app: FastAPI, client: AsyncClient, pds: Upstream
) -> None:
    pds.routes["/xrpc/com.atproto.sync.getBlob"] = respond(200, AUDIO)
    await _remote_track(app, "aaaaaaaaaaaaaaa2", pds.url, blob_did=DID, blob_cid=CID)
    response = await client.get("/audio/aaaaaaaaaaaaaaa2", headers={"range": "bytes=10-19"})
    assert response.status_code == 206 and response.content == AUDIO[10:20]


@pytest.mark.parametrize(
    "url", ["http://audio.example/a.mp3", "javascript:alert(1)", "data:audio/mpeg,x"]
)
async def test_a_remote_audio_url_is_redirected_to_only_over_https(
    app: FastAPI, client: AsyncClient, url: str
) -> None:
    """Review L2: /audio/{id} answered 307 to any scheme a record named."""
    await _remote_track(app, "aaaaaaaaaaaaaaa3", "https://pds.example", remote_url=url)
    response = await client.get("/audio/aaaaaaaaaaaaaaa3")
    assert response.status_code == 404 and "location" not in response.headers


async def test_an_https_audio_url_is_redirected_to(app: FastAPI, client: AsyncClient) -> None:
    url = "https://audio.example/a.mp3"
    await _remote_track(app, "aaaaaaaaaaaaaaa4", "https://pds.example", remote_url=url)
    response = await client.get("/audio/aaaaaaaaaaaaaaa4")
    assert response.status_code == 307 and response.headers["location"] == url


async def test_a_blob_on_a_private_address_is_not_relayed(
    settings: Settings, pds: Upstream
) -> None:
    """Review H1, the full-read variant: an artist whose PDS endpoint points inside the
    network cannot make /audio relay an internal answer."""
    settings.allow_private_network = False
    pds.routes["/xrpc/com.atproto.sync.getBlob"] = respond(200, b"instance credentials")
    async with running_app(settings) as app:
        await _remote_track(app, "aaaaaaaaaaaaaaa5", pds.url, blob_did=DID, blob_cid=CID)
        async with AsyncClient(transport=ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            response = await client.get("/audio/aaaaaaaaaaaaaaa5")
    assert response.status_code == 404 and b"credentials" not in response.content
    assert pds.connections == 0
