"""What a PDS or authorization server says in an error never reaches users (review H1: the
PAR error body was reflected to anyone calling /auth/start): plyr answers in its own words."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from plyr.atproto.pds import PdsClient, PublicAuth, XrpcError
from plyr.core.config import Settings
from plyr.core.net import GuardedClient, Policy
from tests.app import PUBLIC_URL, running_app
from tests.atproto_oauth.auth_servers import as_metadata
from tests.upstream import Upstream, respond, respond_json, running_upstream

SECRET = "internal-db-password-hunter2"
OWN_PAGE = {"Origin": PUBLIC_URL}  # sign-in starts come from plyr's own pages


@pytest.fixture
async def hostile_as() -> AsyncIterator[Upstream]:
    """A PDS that is its own authorization server, whose PAR endpoint fails loudly."""
    async with running_upstream() as server:
        url = server.url
        server.routes["/.well-known/oauth-protected-resource"] = respond_json(
            200, {"resource": url, "authorization_servers": [url]}
        )
        metadata = as_metadata(url)
        metadata["pushed_authorization_request_endpoint"] = f"{url}/par"
        server.routes["/.well-known/oauth-authorization-server"] = respond_json(200, metadata)
        yield server


@pytest.mark.parametrize(
    "par",
    [
        respond_json(400, {"error": "invalid_request", "error_description": SECRET}),
        respond(502, f"<html>{SECRET}</html>".encode(), {"content-type": "text/html"}),
    ],
)
async def test_sign_in_start_does_not_show_the_servers_error(
    client: AsyncClient, hostile_as: Upstream, par: object
) -> None:
    hostile_as.routes["/par"] = par  # type: ignore[assignment]
    api = await client.post("/auth/start", data={"handle": hostile_as.url}, headers=OWN_PAGE)
    assert api.status_code == 400
    assert "refused the sign-in request" in api.json()["detail"]
    assert SECRET not in api.text
    form = await client.post(
        "/auth/start",
        data={"handle": hostile_as.url},
        headers={**OWN_PAGE, "accept": "text/html"},
    )
    assert form.status_code == 303 and SECRET not in form.headers["location"]
    assert [r.path for r in hostile_as.requests].count("/par") == 2


async def test_xrpc_errors_keep_the_pds_words_off_the_message(app: FastAPI) -> None:
    async with running_upstream() as pds:
        pds.routes["/xrpc/com.atproto.repo.getRecord"] = respond_json(
            400, {"error": "InvalidRequest", "message": SECRET}
        )
        pds.routes["/xrpc/com.atproto.repo.listRecords"] = respond_json(
            500, {"error": f"<b>{SECRET}</b>", "message": SECRET}
        )
        async with GuardedClient(Policy(allow_private=True)) as http:
            client = PdsClient(http, pds.url, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", PublicAuth())
            with pytest.raises(XrpcError) as bad:
                await client.get_record("fm.plyr.track", "x")
            with pytest.raises(XrpcError) as odd:
                await anext(client.list_records("fm.plyr.track"))
    assert bad.value.error == "InvalidRequest" and SECRET not in str(bad.value)
    assert bad.value.upstream == SECRET  # kept for the logs
    assert odd.value.error == "Error" and SECRET not in str(odd.value)


async def test_a_pds_url_with_a_path_is_refused_at_sign_in(
    client: AsyncClient, hostile_as: Upstream
) -> None:
    response = await client.post(
        "/auth/start", data={"handle": f"{hostile_as.url}/internal/api"}, headers=OWN_PAGE
    )
    assert response.status_code == 400 and "origin" in response.json()["detail"]
    assert hostile_as.requests == []


def test_transport_refusals_are_transport_errors() -> None:
    """Every caller already treats a transport error as "the PDS is unavailable" (a 4xx/502
    in plyr's words), so a refused URL takes that path and never a 500."""
    from plyr.core.net import DeadlineExceeded, RefusedUrl, ResponseTooLarge

    for error in (RefusedUrl, ResponseTooLarge, DeadlineExceeded):
        assert issubclass(error, httpx.TransportError)


async def test_sign_in_start_cannot_reach_a_private_address(
    settings: Settings, hostile_as: Upstream
) -> None:
    """Review H1's unauthenticated trigger: anyone could make plyr fetch (and POST to) an
    internal address through /auth/start. With the switch off, nothing leaves."""
    settings.allow_private_network = False
    target = hostile_as.url.replace("http://", "https://")
    async with (
        running_app(settings) as app,
        AsyncClient(transport=ASGITransport(app=app), base_url=PUBLIC_URL) as client,
    ):
        response = await client.post("/auth/start", data={"handle": target}, headers=OWN_PAGE)
    assert response.status_code == 400 and "could not fetch" in response.json()["detail"]
    assert hostile_as.connections == 0
