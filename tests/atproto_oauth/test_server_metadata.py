"""An authorization server must follow the atproto OAuth profile before plyr sends anyone
to it (review L4): one server per PDS, https, `iss` on the redirect, PAR required, client
ids as metadata URLs, plyr's client authentication and the `atproto` scope. A server that
breaks a rule is a 502 in plyr's words, and no sign-in request reaches it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.atproto.oauth.client import OAuthClient, OAuthServerUnusable
from plyr.atproto.oauth.metadata import client_config
from plyr.atproto.oauth.server_metadata import UnusableAuthServer, auth_server_of, issuer_of
from plyr.core.config import Settings
from tests.app import PUBLIC_URL
from tests.atproto_oauth.auth_servers import PAR, RESOURCE, as_metadata, serve_pds_and_as
from tests.json_server import JsonServer


@pytest.fixture
async def pds() -> AsyncIterator[JsonServer]:
    async with JsonServer() as server:
        yield server


async def start(client: AsyncClient, pds: JsonServer) -> Any:
    return await client.post(
        "/auth/start", data={"handle": pds.url}, headers={"Origin": PUBLIC_URL}
    )


async def test_a_server_that_follows_the_profile_is_used(
    client: AsyncClient, pds: JsonServer
) -> None:
    serve_pds_and_as(pds)
    response = await start(client, pds)
    assert response.status_code == 303, response.text
    assert pds.asked(PAR) == 1


@pytest.mark.parametrize(
    ("servers", "said"),
    [
        ([], "names no OAuth authorization server"),
        (None, "names no OAuth authorization server"),
        (["https://a.example", "https://b.example"], "names 2 authorization servers, not one"),
        (["ftp://a.example"], "invalid authorization server"),
        ([42], "invalid authorization server"),
    ],
)
async def test_a_pds_must_name_exactly_one_server(
    client: AsyncClient, pds: JsonServer, servers: Any, said: str
) -> None:
    serve_pds_and_as(pds)
    pds.on("GET", RESOURCE, (200, {"resource": pds.url, "authorization_servers": servers}))
    response = await start(client, pds)
    assert response.status_code == 502 and said in response.json()["detail"]
    assert pds.asked(PAR) == 0


SPOILED: list[tuple[str, Any, str]] = [
    ("authorization_response_iss_parameter_supported", None, "does not set"),
    ("authorization_response_iss_parameter_supported", False, "does not set"),
    ("require_pushed_authorization_requests", False, "does not set"),
    ("require_pushed_authorization_requests", "true", "does not set"),
    ("client_id_metadata_document_supported", None, "does not set"),
    ("token_endpoint_auth_methods_supported", ["private_key_jwt"], "does not support none"),
    ("token_endpoint_auth_methods_supported", None, "does not support none"),
    ("scopes_supported", ["transition:generic"], "does not support atproto"),
    ("scopes_supported", "atproto", "does not support atproto"),
    ("code_challenge_methods_supported", ["plain"], "does not support S256"),
    ("dpop_signing_alg_values_supported", ["RS256"], "does not support ES256"),
    ("token_endpoint", "ftp://x.example/token", "has no valid token_endpoint"),
    ("pushed_authorization_request_endpoint", None, "has no valid pushed_authorization"),
    ("revocation_endpoint", "javascript:alert(1)", "invalid revocation_endpoint"),
]


@pytest.mark.parametrize(("name", "value", "said"), SPOILED)
async def test_each_rule_is_required(
    client: AsyncClient, pds: JsonServer, name: str, value: Any, said: str
) -> None:
    metadata = serve_pds_and_as(pds)
    if value is None:
        del metadata[name]
    else:
        metadata[name] = value
    response = await start(client, pds)
    assert response.status_code == 502, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"the authorization server {pds.url}") and said in detail
    assert pds.asked(PAR) == 0


async def test_the_web_form_says_it_on_the_login_page(client: AsyncClient, pds: JsonServer) -> None:
    serve_pds_and_as(pds)["require_pushed_authorization_requests"] = False
    headers = {"Origin": PUBLIC_URL, "Accept": "text/html"}
    response = await client.post("/auth/start", data={"handle": pds.url}, headers=headers)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?error=the+authorization+server")


async def test_a_confidential_client_needs_private_key_jwt(
    app: FastAPI, settings: Settings, pds: JsonServer
) -> None:
    metadata = serve_pds_and_as(pds)
    settings.public_url = "https://plyr.example"
    oauth = OAuthClient.of(app.state.runtime)
    assert (await oauth.auth_server(pds.url)).token_endpoint == f"{pds.url}/oauth/token"
    metadata["token_endpoint_auth_methods_supported"] = ["none"]
    with pytest.raises(OAuthServerUnusable, match="does not support private_key_jwt"):
        await oauth.auth_server(pds.url)


# ---- https, unless the operator allows private networks (the devnet) ----------------------


def test_http_issuers_and_endpoints_need_the_private_network_switch(settings: Settings) -> None:
    settings.public_url = "https://plyr.example"
    config = client_config(settings)
    resource = {"authorization_servers": ["http://as.example"]}
    assert issuer_of(resource, "https://pds.example", settings) == "http://as.example"
    http_meta = as_metadata("http://as.example")
    assert auth_server_of(http_meta, "http://as.example", settings, config)

    settings.allow_private_network = False
    with pytest.raises(UnusableAuthServer, match="https only"):
        issuer_of(resource, "https://pds.example", settings)
    with pytest.raises(UnusableAuthServer, match="https only"):
        auth_server_of(http_meta, "http://as.example", settings, config)
    https_meta = as_metadata("https://as.example")
    assert auth_server_of(https_meta, "https://as.example", settings, config)
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        spoiled = {**https_meta, name: f"http://as.example/{name}"}
        with pytest.raises(UnusableAuthServer, match=name):
            auth_server_of(spoiled, "https://as.example", settings, config)
    for issuer in ("https://as.example?x=1", "https://user@as.example", "https://"):
        with pytest.raises(UnusableAuthServer):
            issuer_of({"authorization_servers": [issuer]}, "https://pds.example", settings)
