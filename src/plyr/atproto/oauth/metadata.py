"""Who plyr is to an authorization server: client id, redirect URI, scopes, metadata, keys.

Two modes, chosen by PLYR_PUBLIC_URL:
- **loopback** (http): a development client. `client_id` is `http://localhost?redirect_uri=
  ...&scope=...` (the authorization server builds the metadata from it); the redirect URI is
  `http://127.0.0.1:<port>/auth/callback` (the spec requires the IP literal); no client
  authentication.
- **confidential** (https): `client_id` is `{public_url}/oauth-client-metadata.json`; the
  client authenticates with a `private_key_jwt` ES256 assertion signed by a key generated into
  the data dir on first run and published at `/.well-known/jwks.json`.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey

from plyr.atproto.oauth.dpop import ALG
from plyr.core.config import Settings

__all__ = [
    "ClientConfig",
    "base_scopes",
    "client_assertion",
    "client_config",
    "client_metadata",
    "jwks",
    "load_client_key",
    "metadata_scopes",
    "requested_scope",
]

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_KEY_FILE = "oauth_client_key.json"
CALLBACK_PATH = "/auth/callback"

Mode = Literal["loopback", "confidential"]


def base_scopes(settings: Settings) -> list[str]:
    """What plyr asks for by default: its own collections and blobs."""
    ns = settings.atproto_namespace
    collections = ("track", "like", "comment", "list", "actor.profile")
    return ["atproto", "blob:*/*", *(f"repo:{ns}.{c}" for c in collections)]


# Asked for later (a scope upgrade) when a listener turns teal.fm scrobbling on.
TEAL_SCOPES = ("repo:fm.teal.feed.play", "repo:fm.teal.actor.status")


def requested_scope(settings: Settings, *, teal: bool = False) -> str:
    """The scope of an authorization request (PLYR_OAUTH_SCOPE overrides the default)."""
    scopes = settings.oauth_scope.split() if settings.oauth_scope else base_scopes(settings)
    if teal:
        scopes = [*scopes, *(s for s in TEAL_SCOPES if s not in scopes)]
    return " ".join(scopes)


def metadata_scopes(settings: Settings) -> str:
    """Every scope plyr may ever request: the metadata's scope must be a superset of each
    request's, or PAR fails with `invalid_scope`."""
    scopes: list[str] = []
    for scope in (
        *requested_scope(settings).split(),
        *base_scopes(settings),
        *TEAL_SCOPES,
    ):
        if scope not in scopes:
            scopes.append(scope)
    return " ".join(scopes)


@dataclass(frozen=True)
class ClientConfig:
    mode: Mode
    client_id: str
    redirect_uri: str
    scope: str  # the metadata's scope (superset of every request)

    @property
    def confidential(self) -> bool:
        return self.mode == "confidential"


def loopback_redirect_uri(public_url: str) -> str:
    """`http://127.0.0.1:<port>/auth/callback`, the port taken from the public URL."""
    port = urlsplit(public_url).port
    return f"http://127.0.0.1{f':{port}' if port else ''}{CALLBACK_PATH}"


def client_config(settings: Settings) -> ClientConfig:
    scope = metadata_scopes(settings)
    public_url = settings.public_url.rstrip("/")
    if public_url.startswith("https://"):
        return ClientConfig(
            mode="confidential",
            client_id=f"{public_url}/oauth-client-metadata.json",
            redirect_uri=f"{public_url}{CALLBACK_PATH}",
            scope=scope,
        )
    redirect_uri = loopback_redirect_uri(public_url)
    query = urlencode({"redirect_uri": redirect_uri, "scope": scope})
    return ClientConfig(
        mode="loopback",
        client_id=f"http://localhost?{query}",
        redirect_uri=redirect_uri,
        scope=scope,
    )


def client_metadata(settings: Settings) -> dict[str, Any]:
    """The client metadata document (served at /oauth-client-metadata.json)."""
    config = client_config(settings)
    metadata: dict[str, Any] = {
        "client_id": config.client_id,
        "client_name": "plyr",
        "redirect_uris": [config.redirect_uri],
        "scope": config.scope,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "dpop_bound_access_tokens": True,
    }
    if config.confidential:
        public_url = settings.public_url.rstrip("/")
        metadata |= {
            "client_uri": public_url,
            "application_type": "web",
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": ALG,
            "jwks_uri": f"{public_url}/.well-known/jwks.json",
        }
    else:
        metadata |= {"application_type": "native", "token_endpoint_auth_method": "none"}
    return metadata


def load_client_key(settings: Settings) -> ECKey:
    """The confidential client's ES256 key: generated into the data dir on first run."""
    path = Path(settings.data_dir) / CLIENT_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ECKey.generate_key("P-256", private=True)
        data = key.as_dict(private=True)
        data["kid"] = key.thumbprint()
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        try:
            os.link(tmp, path)  # never replaces a key another process wrote meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    data = json.loads(path.read_text())
    key = ECKey.import_key(data)
    if "kid" not in data:
        data["kid"] = key.thumbprint()
        key = ECKey.import_key(data)
    return key


def jwks(settings: Settings) -> dict[str, Any]:
    """The public half of the client key, as a JWK set."""
    key = load_client_key(settings)
    public = key.as_dict(private=False)
    public |= {"kid": key.kid or key.thumbprint(), "use": "sig", "alg": ALG}
    return {"keys": [public]}


def client_assertion(settings: Settings, audience: str, *, now: float | None = None) -> str:
    """A `private_key_jwt` client assertion (RFC 7523) for the authorization server."""
    key = load_client_key(settings)
    client_id = client_config(settings).client_id
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(16),
        "iat": issued,
        "exp": issued + 60,
    }
    header = {"alg": ALG, "kid": key.kid or key.thumbprint()}
    return jwt.encode(header, claims, key, algorithms=[ALG])
