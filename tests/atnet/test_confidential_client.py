"""plyr as a confidential OAuth client (an https public URL), against the real PDS: the PDS
fetches plyr's client metadata and keys over https, plyr authenticates every token request
with a private_key_jwt assertion, and the session lasts as long as a confidential grant."""

from __future__ import annotations

import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from plyr.atproto.oauth import OAuthAuth
from plyr.atproto.sessions import pds_for, seal_oauth_session
from plyr.core.config import Settings
from plyr.models import Session
from tests.atnet.helpers import running_on_network
from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.atnet.oauth_browser import oauth_sign_in
from tests.atnet.tls import CLIENT_HOST, ServerCert
from tests.servers import free_port

PUBLISHED = ("/oauth-client-metadata.json", "/.well-known/jwks.json")


@pytest.fixture(scope="module")
def client_port() -> int:
    return free_port()


@pytest.fixture
async def confidential_app(
    settings: Settings, atproto_net: AtprotoNet, client_port: int
) -> AsyncIterator[FastAPI]:
    settings.public_url = f"https://{CLIENT_HOST}:{client_port}"
    async with running_on_network(settings, atproto_net, with_worker=False) as application:
        yield application


@pytest.fixture
async def api(confidential_app: FastAPI) -> AsyncIterator[AsyncClient]:
    base_url = confidential_app.state.runtime.settings.public_url
    async with AsyncClient(
        transport=ASGITransport(app=confidential_app), base_url=base_url, timeout=60
    ) as client:
        yield client


@pytest.fixture
async def published(
    api: AsyncClient, client_cert: ServerCert, client_port: int
) -> AsyncIterator[dict[str, bytes]]:
    """plyr's client metadata and keys, as its routes return them, on https://plyr.devnet.internal."""
    documents = {path: (await api.get(path)).content for path in PUBLISHED}
    with serve_tls(documents, client_cert, client_port):
        yield documents


class _Documents(BaseHTTPRequestHandler):
    documents: dict[str, bytes] = {}
    requested: list[str] = []

    def do_GET(self) -> None:
        self.requested.append(self.path)
        body = self.documents.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b"{}")

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def serve_tls(documents: dict[str, bytes], cert: ServerCert, port: int) -> Iterator[None]:
    _Documents.documents, _Documents.requested = documents, []
    server = ThreadingHTTPServer(("127.0.0.1", port), _Documents)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert, cert.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


async def test_confidential_sign_in_refresh_and_write(
    api: AsyncClient,
    confidential_app: FastAPI,
    published: dict[str, bytes],
    atproto_net: AtprotoNet,
) -> None:
    metadata = (await api.get("/oauth-client-metadata.json")).json()
    client_id = f"https://{CLIENT_HOST}:{api.base_url.port}/oauth-client-metadata.json"
    assert metadata["client_id"] == client_id
    assert metadata["token_endpoint_auth_method"] == "private_key_jwt"
    assert (await api.get("/.well-known/jwks.json")).json()["keys"][0]["kty"] == "EC"

    account = create_account(atproto_net, unique_handle("cora"))
    before = datetime.now(UTC)
    token = await oauth_sign_in(api, account.handle, account.password)
    assert set(PUBLISHED) <= set(_Documents.requested)  # the PDS read both over https
    me = await api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["did"] == account.did

    runtime = confidential_app.state.runtime
    async with runtime.writer() as db:
        session = (await db.scalars(select(Session).where(Session.did == account.did))).one()
    data = runtime.secrets.open(session.oauth_data)
    assert data["client_id"] == client_id
    assert session.expires_at is not None
    assert timedelta(days=89) < session.expires_at - before <= timedelta(days=90, minutes=1)

    # refresh authenticates with a fresh client assertion, and slides the session
    async with runtime.writer() as db:
        row = await db.get(Session, session.id)
        assert row is not None
        row.oauth_data = seal_oauth_session(runtime, {**data, "expires_at": 1.0})
        await db.commit()
    pds = await pds_for(runtime, account.did)
    assert pds is not None and isinstance(pds.auth, OAuthAuth)
    now = datetime.now(UTC)
    record = {
        "$type": "fm.plyr.actor.profile",
        "bio": "confidential",
        "createdAt": "2026-01-01T00:00:00.000Z",
    }
    ref = await pds.put_record("fm.plyr.actor.profile", "self", record)
    assert ref.uri == f"at://{account.did}/fm.plyr.actor.profile/self"
    assert pds.auth.refreshes == 1
    async with runtime.writer() as db:
        row = await db.get(Session, session.id)
    assert row is not None and row.expires_at is not None and row.expires_at >= now
