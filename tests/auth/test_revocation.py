"""Revocation happens after the session rows are committed, with a total deadline: an
authorization server that answers one byte per second cannot hold SQLite's write lock (H3),
and developer tokens cannot do what needs a person at a browser (L18)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.atproto.oauth.dpop import generate_key
from plyr.atproto.sessions import seal_oauth_session
from plyr.auth.service import create_session
from tests.app import User


@dataclass
class TricklingServer:
    """An HTTP server on 127.0.0.1 that answers every request one byte per second."""

    url: str = ""
    requests: list[bytes] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


async def _trickle(
    server: TricklingServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        server.requests.append(await reader.readuntil(b"\r\n\r\n"))
        server.connected.set()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 600\r\n\r\n"
        )
        for _ in range(600):
            await writer.drain()
            writer.write(b" ")
            await asyncio.sleep(1)  # the trickle itself (a slow server), not a wait
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def trickling() -> AsyncIterator[TricklingServer]:
    state = TricklingServer()
    server = await asyncio.start_server(lambda r, w: _trickle(state, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}/oauth/revoke"
    yield state
    server.close()


def oauth_data(did: str, revocation_endpoint: str) -> dict[str, object]:
    """Session data as a sign-in stores it, naming a (slow) revocation endpoint."""
    return {
        "kind": "oauth",
        "did": did,
        "pds_url": "http://127.0.0.1:9",
        "issuer": "http://127.0.0.1:9",
        "token_endpoint": "http://127.0.0.1:9/oauth/token",
        "revocation_endpoint": revocation_endpoint,
        "client_id": "http://localhost",
        "dpop_jwk": generate_key().as_dict(private=True),
        "started_at": time.time(),
        "access_token": "access-1",
        "refresh_token": "refresh-1",
        "expires_at": time.time() + 3600,
    }


async def oauth_user(
    app: FastAPI, handle: str, revocation_endpoint: str, kind: str = "browser"
) -> User:
    runtime = app.state.runtime
    did = f"did:plc:{handle.split('.')[0]:a<24}"[:32]
    async with runtime.writer() as db:
        token = await create_session(
            db,
            did=did,
            handle=handle,
            kind=kind,
            sealed_credentials=seal_oauth_session(runtime, oauth_data(did, revocation_endpoint)),
        )
        await db.commit()
    return User(did=did, handle=handle, token=token)


async def others_write_while_revoking(
    client: AsyncClient, trickling: TricklingServer, slow: asyncio.Task[object], bob: User
) -> float:
    """Seconds bob's playlist create takes while `slow` waits on the trickling server, beyond
    what the same write takes once `slow` is done (a loaded machine is slow for both)."""
    await asyncio.wait_for(trickling.connected.wait(), 10)
    # the best of three on each side: one write on a loaded machine can stall by itself
    during = min([await timed_write(client, bob) for _ in range(3)])
    assert not slow.done()  # still revoking: the trickling server takes 10 s
    await slow
    return during - min([await timed_write(client, bob) for _ in range(3)])


async def timed_write(client: AsyncClient, bob: User) -> float:
    started = time.monotonic()
    async with asyncio.timeout(5):  # without the fix this waits for the write lock (10 s)
        response = await client.post("/lists/playlists", json={"name": "Mine"}, headers=bob.auth)
    assert response.status_code in (200, 201), response.text
    return time.monotonic() - started


async def test_logout_all_does_not_hold_the_write_lock_while_revoking(
    app: FastAPI, client: AsyncClient, trickling: TricklingServer, bob: User
) -> None:
    mallory = await oauth_user(app, "mallory.test", trickling.url)
    started = time.monotonic()
    slow = asyncio.create_task(client.post("/auth/logout-all", headers=mallory.auth))
    assert await others_write_while_revoking(client, trickling, slow, bob) < 1.0
    response = await slow
    assert response.status_code == 204
    assert time.monotonic() - started < 8  # a total deadline (5 s), not a per-read one
    assert b"POST /oauth/revoke" in trickling.requests[0]  # it did try to revoke
    assert (await client.get("/auth/me", headers=mallory.auth)).status_code == 401


async def test_account_deletion_does_not_hold_the_write_lock_while_revoking(
    app: FastAPI, client: AsyncClient, trickling: TricklingServer, bob: User
) -> None:
    mallory = await oauth_user(app, "mallory.test", trickling.url)
    slow = asyncio.create_task(
        client.request(
            "DELETE", "/account", json={"confirmation": "mallory.test"}, headers=mallory.auth
        )
    )
    assert await others_write_while_revoking(client, trickling, slow, bob) < 1.0
    assert (await slow).status_code == 204
    assert (await client.get("/auth/me", headers=mallory.auth)).status_code == 401


async def test_developer_token_revocation_does_not_hold_the_write_lock(
    app: FastAPI, client: AsyncClient, trickling: TricklingServer, bob: User
) -> None:
    mallory = await oauth_user(app, "mallory.test", trickling.url)
    script = await oauth_user(app, "mallory.test", trickling.url, kind="developer")
    prefix = script.token[:8]
    slow = asyncio.create_task(
        client.delete(f"/auth/developer-tokens/{prefix}", headers=mallory.auth)
    )
    assert await others_write_while_revoking(client, trickling, slow, bob) < 1.0
    assert (await slow).status_code == 204
    assert (await client.get("/auth/me", headers=script.auth)).status_code == 401


async def test_developer_tokens_cannot_do_destructive_things(
    app: FastAPI, client: AsyncClient, trickling: TricklingServer
) -> None:
    person = await oauth_user(app, "dana.test", trickling.url)
    script = await oauth_user(app, "dana.test", trickling.url, kind="developer")
    refused = [
        await client.request(
            "DELETE", "/account", json={"confirmation": "dana.test"}, headers=script.auth
        ),
        await client.post("/auth/logout-all", headers=script.auth),
        await client.delete(f"/auth/developer-tokens/{script.token[:8]}", headers=script.auth),
        await client.post(
            "/auth/developer-token/start", json={"name": "more"}, headers=script.auth
        ),
    ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert "developer token cannot do this" in response.json()["detail"]
    assert (await client.get("/auth/me", headers=script.auth)).status_code == 200
    assert (await client.get("/auth/me", headers=person.auth)).status_code == 200
    assert trickling.requests == []  # nothing was revoked
    # the token may still end itself, and the person may still do all of it
    assert (await client.post("/auth/logout", headers=script.auth)).status_code == 204
