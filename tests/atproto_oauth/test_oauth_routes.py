"""The OAuth routes that need no PDS: metadata, keys, the loopback host hop, bad callbacks."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from plyr.core.config import Settings


async def test_confidential_metadata_and_keys(app: FastAPI, settings: Settings) -> None:
    settings.public_url = "https://plyr.example"
    async with AsyncClient(transport=ASGITransport(app=app), base_url=settings.public_url) as c:
        metadata = (await c.get("/oauth-client-metadata.json")).json()
        keys = (await c.get("/.well-known/jwks.json")).json()["keys"]
    assert metadata["client_id"] == "https://plyr.example/oauth-client-metadata.json"
    assert metadata["token_endpoint_auth_method"] == "private_key_jwt"
    assert metadata["jwks_uri"] == "https://plyr.example/.well-known/jwks.json"
    assert len(keys) == 1 and keys[0]["kty"] == "EC" and "d" not in keys[0]


async def test_loopback_sign_in_starts_on_127_0_0_1(app: FastAPI, settings: Settings) -> None:
    settings.public_url = "http://localhost:8000"
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
        form = {"handle": "a.test", "return_to": "/x"}
        posted = await c.post("/auth/start", data=form, headers={"Origin": settings.public_url})
        linked = await c.get("/auth/start", params=form)
    hop = "http://127.0.0.1:8000/auth/start?handle=a.test&return_to=%2Fx"
    assert posted.status_code == linked.status_code == 303
    assert posted.headers["location"] == linked.headers["location"] == hop
    assert "oauth_browser" not in posted.cookies
    # the confirm page there posts with 127.0.0.1's Origin: plyr's own page too
    async with AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        form = {"handle": "not a handle"}
        hopped = await c.post("/auth/start", data=form, headers={"Origin": "http://127.0.0.1:8000"})
        elsewhere = await c.post("/auth/start", data=form, headers={"Origin": "http://127.0.0.1"})
    assert hopped.status_code == 400 and elsewhere.status_code == 403


async def test_callbacks_without_a_pending_request_are_400(client: AsyncClient) -> None:
    for params in (
        {},
        {"code": "c", "state": "s", "iss": "https://pds.example"},
        {"error": "access_denied", "state": "s"},
    ):
        response = await client.get("/auth/callback", params=params)
        assert response.status_code == 400, params
        assert response.json()["detail"]
    denied = await client.get("/auth/callback", params={"error": "access_denied"})
    assert "cancelled" in denied.json()["detail"]


async def test_start_with_an_invalid_handle_is_400(client: AsyncClient) -> None:
    response = await client.post(
        "/auth/start", data={"handle": "not a handle"}, headers={"Origin": str(client.base_url)}
    )
    assert response.status_code == 400 and "invalid handle" in response.json()["detail"]
