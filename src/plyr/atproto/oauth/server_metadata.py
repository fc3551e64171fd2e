"""What a PDS and its authorization server must say about themselves before plyr sends a
user there: the rules of the AT Protocol OAuth profile, checked on the two metadata
documents (`/.well-known/oauth-protected-resource`, `/.well-known/oauth-authorization-server`).

A server that breaks one is not usable for sign-in: `UnusableAuthServer` (a 502, since the
fault is upstream), in words a user can take to their PDS's operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from plyr.atproto.oauth.metadata import ClientConfig
from plyr.core.config import Settings

__all__ = ["AuthServer", "UnusableAuthServer", "auth_server_of", "issuer_of"]

ENDPOINTS = ("authorization_endpoint", "pushed_authorization_request_endpoint", "token_endpoint")
# flags the profile requires to be true: `iss` on the redirect (mix-up defence), PAR only,
# and client ids that are metadata URLs (how plyr identifies itself)
REQUIRED_FLAGS = (
    "authorization_response_iss_parameter_supported",
    "require_pushed_authorization_requests",
    "client_id_metadata_document_supported",
)


class UnusableAuthServer(Exception):
    """The PDS or its authorization server breaks the OAuth profile (`str(e)` is for users)."""


@dataclass(frozen=True)
class AuthServer:
    issuer: str
    authorization_endpoint: str
    pushed_authorization_request_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None


def _is_url(value: object, settings: Settings) -> bool:
    """An absolute URL plyr may send users and tokens to: https, or http when the operator
    allows private networks (the devnet's servers are plain http on loopback)."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    schemes = ("https", "http") if settings.allow_private_network else ("https",)
    return parts.scheme in schemes and bool(parts.hostname) and not parts.username


def issuer_of(resource: dict[str, Any], pds_url: str, settings: Settings) -> str:
    """The one authorization server a PDS's protected-resource metadata names."""
    servers = resource.get("authorization_servers")
    if not isinstance(servers, list) or not servers:
        raise UnusableAuthServer(f"{pds_url} names no OAuth authorization server")
    if len(servers) != 1:
        raise UnusableAuthServer(f"{pds_url} names {len(servers)} authorization servers, not one")
    issuer = servers[0]
    if not _is_url(issuer, settings) or urlsplit(issuer).query or urlsplit(issuer).fragment:
        raise UnusableAuthServer(f"{pds_url} names an invalid authorization server (https only)")
    return str(issuer)


def auth_server_of(
    meta: dict[str, Any], issuer: str, settings: Settings, client: ClientConfig
) -> AuthServer:
    """The endpoints of `issuer` from its metadata, once every rule plyr relies on holds."""

    def refuse(reason: str) -> UnusableAuthServer:
        return UnusableAuthServer(f"the authorization server {issuer} {reason}")

    if meta.get("issuer") != issuer:
        raise refuse("claims another issuer")
    endpoints = {name: meta.get(name) for name in ENDPOINTS}
    for name, value in endpoints.items():
        if not _is_url(value, settings):
            raise refuse(f"has no valid {name} (https only)")
    revocation = meta.get("revocation_endpoint")
    if revocation is not None and not _is_url(revocation, settings):
        raise refuse("has an invalid revocation_endpoint (https only)")
    for flag in REQUIRED_FLAGS:
        if meta.get(flag) is not True:
            raise refuse(f"does not set {flag}")
    _require(meta, "code_challenge_methods_supported", "S256", refuse)
    _require(meta, "dpop_signing_alg_values_supported", "ES256", refuse)
    _require(meta, "scopes_supported", "atproto", refuse)
    method = "private_key_jwt" if client.confidential else "none"
    _require(meta, "token_endpoint_auth_methods_supported", method, refuse)
    return AuthServer(
        issuer=issuer,
        authorization_endpoint=str(endpoints["authorization_endpoint"]),
        pushed_authorization_request_endpoint=str(
            endpoints["pushed_authorization_request_endpoint"]
        ),
        token_endpoint=str(endpoints["token_endpoint"]),
        revocation_endpoint=revocation,
    )


def _require(meta: dict[str, Any], name: str, value: str, refuse: Any) -> None:
    listed = meta.get(name)
    if not isinstance(listed, list) or value not in listed:
        raise refuse(f"does not support {value} ({name})")
