"""A handle belongs to whoever it verifies for, and to one account at a time (review L5):
on app-password sign-in the handle comes from the DID document (when it resolves back),
never from the PDS's answer; a handle verified for one DID leaves every other row; a
lookup by handle picks the same artist every time."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from starlette.requests import Request

from plyr.artists import repository as artists
from plyr.core.config import Settings
from plyr.models import Artist, utcnow
from tests.app import User, make_user, running_app
from tests.json_server import Answer, JsonServer

KEY = "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"


def new_did() -> str:
    return "did:plc:" + base64.b32encode(uuid.uuid4().bytes).decode().lower()[:24]


class Network:
    """One server as the PLC directory, the handle resolver and every account's PDS."""

    def __init__(self, server: JsonServer) -> None:
        self.server, self.handles, self.claims = server, {}, {}
        server.on("GET", "/xrpc/com.atproto.identity.resolveHandle", self._resolve)
        server.on("POST", "/xrpc/com.atproto.server.createSession", self._create_session)
        server.on("GET", "/xrpc/com.atproto.repo.listRecords", (200, {"records": []}))
        server.on("GET", "/xrpc/com.atproto.repo.getRecord", (400, {"error": "RecordNotFound"}))

    def account(self, did: str, *, also_known_as: str | None, pds_says: str) -> None:
        """`did`'s document claims `also_known_as`; its PDS says its handle is `pds_says`."""
        self.server.on("GET", f"/{did}", (200, self._document(did, also_known_as)))
        self.claims[did] = pds_says

    async def _resolve(self, request: Request) -> Answer:
        did = self.handles.get(request.query_params.get("handle", ""))
        return (200, {"did": did}) if did else (400, {"error": "InvalidRequest"})

    async def _create_session(self, request: Request) -> Answer:
        did = (await request.json())["identifier"]
        tokens = {"accessJwt": "a", "refreshJwt": "r", "did": did, "handle": self.claims[did]}
        return 200, tokens

    def _document(self, did: str, handle: str | None) -> dict[str, Any]:
        return {
            "id": did,
            "alsoKnownAs": [f"at://{handle}"] if handle else [],
            "verificationMethod": [
                {"id": f"{did}#atproto", "type": "Multikey", "publicKeyMultibase": KEY}
            ],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.server.url,
                }
            ],
        }


@pytest.fixture
async def net() -> AsyncIterator[Network]:
    async with JsonServer() as server:
        yield Network(server)


@pytest.fixture
async def app(settings: Settings, net: Network) -> AsyncIterator[FastAPI]:
    settings.plc_url = settings.handle_resolvers = net.server.url
    settings.allow_app_passwords = True
    async with running_app(settings) as application:
        yield application


async def sign_in(client: AsyncClient, did: str) -> dict[str, Any]:
    response = await client.post("/auth/app-password", json={"identifier": did, "password": "pw"})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def owner_of(client: AsyncClient, handle: str) -> str:
    response = await client.get(f"/artists/by-handle/{handle}")
    assert response.status_code == 200, response.text
    return str(response.json()["did"])


@pytest.mark.parametrize("claimed", [None, "alice.test"])
async def test_the_pds_cannot_name_the_handle(
    client: AsyncClient, net: Network, alice: User, claimed: str | None
) -> None:
    net.handles["alice.test"] = alice.did
    mallory = new_did()
    net.account(mallory, also_known_as=claimed, pds_says="alice.test")
    signed_in = await sign_in(client, mallory)
    assert signed_in["handle"] == mallory  # unverified: the DID stands in
    assert await owner_of(client, "alice.test") == alice.did


async def test_a_verified_handle_is_taken_off_its_former_holder(
    app: FastAPI, client: AsyncClient, net: Network
) -> None:
    former = await make_user(app, "carol.test")  # carol.test pointed there, once
    carol = new_did()
    net.handles["carol.test"] = carol
    net.account(carol, also_known_as="carol.test", pds_says="carol.test")
    assert (await sign_in(client, carol))["handle"] == "carol.test"
    assert await owner_of(client, "carol.test") == carol
    async with app.state.runtime.sessionmaker() as db:
        assert (await artists.get(db, former.did)).handle == former.did  # type: ignore[union-attr]


async def test_a_shared_handle_names_the_latest_holder_every_time(app: FastAPI) -> None:
    """Rows from before handles were unique: the one updated last wins, deterministically."""
    now = utcnow()
    older, newer = new_did(), new_did()
    async with app.state.runtime.writer() as db:
        db.add(Artist(did=older, handle="dup.test", updated_at=now - timedelta(days=1)))
        await db.flush()
        db.add(Artist(did=newer, handle="DUP.test", updated_at=now))
        await db.commit()
    for _ in range(3):
        async with app.state.runtime.sessionmaker() as db:
            found = await artists.get_by_handle(db, "dup.test")
        assert found is not None and found.did == newer
