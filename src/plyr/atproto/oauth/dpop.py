"""DPoP (RFC 9449) proofs and PKCE (RFC 7636, S256), on joserfc.

A DPoP proof is a JWT signed with the session's own ES256 key, whose public half travels in
its header; it binds one HTTP request (`htm`, `htu`), is fresh (`iat`, `jti`), carries the
server's latest `nonce`, and, at a resource server, the hash of the access token (`ath`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import ECKey

__all__ = [
    "ALG",
    "access_token_hash",
    "b64url",
    "generate_key",
    "htu_of",
    "import_key",
    "make_proof",
    "pkce_challenge",
    "pkce_pair",
    "public_jwk",
]

ALG = "ES256"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_key() -> ECKey:
    """A fresh P-256 key (one per OAuth session: the tokens are bound to it)."""
    return ECKey.generate_key("P-256", private=True)


def import_key(jwk: dict[str, Any]) -> ECKey:
    return ECKey.import_key(jwk)


def public_jwk(key: ECKey) -> dict[str, Any]:
    """The public half, as a JWK with only the members a DPoP header needs."""
    full = key.as_dict(private=False)
    return {k: full[k] for k in ("kty", "crv", "x", "y")}


def htu_of(url: str) -> str:
    """The `htu` claim: the request URL without its query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def access_token_hash(access_token: str) -> str:
    """The `ath` claim: base64url(SHA-256(access token))."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def make_proof(
    key: ECKey,
    method: str,
    url: str,
    *,
    nonce: str | None = None,
    access_token: str | None = None,
    now: float | None = None,
) -> str:
    """A DPoP proof JWT for one request."""
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(16),
        "htm": method.upper(),
        "htu": htu_of(url),
        "iat": int(time.time() if now is None else now),
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["ath"] = access_token_hash(access_token)
    header = {"typ": "dpop+jwt", "alg": ALG, "jwk": public_jwk(key)}
    return jwt.encode(header, claims, key, algorithms=[ALG])


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-]
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())
