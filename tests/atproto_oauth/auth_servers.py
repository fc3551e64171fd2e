"""A PDS and its authorization server in one `JsonServer`: their two metadata documents
(valid per the atproto OAuth profile unless a test spoils them) and a PAR endpoint."""

from __future__ import annotations

from typing import Any

from tests.json_server import JsonServer

RESOURCE = "/.well-known/oauth-protected-resource"
AS_METADATA = "/.well-known/oauth-authorization-server"
PAR = "/oauth/par"


def as_metadata(url: str) -> dict[str, Any]:
    return {
        "issuer": url,
        "authorization_endpoint": f"{url}/oauth/authorize",
        "pushed_authorization_request_endpoint": f"{url}{PAR}",
        "token_endpoint": f"{url}/oauth/token",
        "revocation_endpoint": f"{url}/oauth/revoke",
        "authorization_response_iss_parameter_supported": True,
        "require_pushed_authorization_requests": True,
        "client_id_metadata_document_supported": True,
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["atproto", "transition:generic"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
    }


def serve_pds_and_as(server: JsonServer) -> dict[str, Any]:
    """Serve both documents; returns the AS metadata (a test may change it in place)."""
    url = server.url
    server.on("GET", RESOURCE, (200, {"resource": url, "authorization_servers": [url]}))
    metadata = as_metadata(url)
    server.on("GET", AS_METADATA, (200, metadata))
    request_uri = "urn:ietf:params:oauth:request_uri:req-1"
    server.on("POST", PAR, (201, {"request_uri": request_uri, "expires_in": 60}))
    return metadata
