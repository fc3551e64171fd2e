"""OAuth client pieces without a server: DPoP proofs, PKCE, client metadata and keys, the
client assertion, the `return_to` sanitizer, the scope-error mapping."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey

from plyr.atproto.oauth.dpop import (
    access_token_hash,
    generate_key,
    htu_of,
    make_proof,
    pkce_challenge,
    pkce_pair,
    public_jwk,
)
from plyr.atproto.oauth.metadata import (
    CLIENT_ASSERTION_TYPE,
    client_assertion,
    client_config,
    client_metadata,
    jwks,
    load_client_key,
    requested_scope,
)
from plyr.atproto.pds import ScopeUpgradeRequired, XrpcError
from plyr.atproto.scopes import GrantedScopes
from plyr.core.config import Settings

BASE_SCOPE = (
    "atproto blob:*/* repo:fm.plyr.track repo:fm.plyr.like repo:fm.plyr.comment "
    "repo:fm.plyr.list repo:fm.plyr.actor.profile"
)


def b64url_sha256(value: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()).rstrip(b"=").decode()


def settings_for(tmp_path: Path, public_url: str, **extra: str) -> Settings:
    return Settings(
        PLYR_DATA_DIR=tmp_path / "data",
        PLYR_PUBLIC_URL=public_url,
        PLYR_ALLOW_PRIVATE_NETWORK=True,
        **extra,
    )


# ---- DPoP ---------------------------------------------------------------------------------


def test_dpop_proof_claims_and_signature() -> None:
    key = generate_key()
    before = int(time.time())
    proof = make_proof(
        key,
        "post",
        "https://pds.example/xrpc/com.atproto.repo.putRecord?x=1#frag",
        nonce="n-123",
        access_token="token-abc",
    )
    header = json.loads(base64.urlsafe_b64decode(proof.split(".")[0] + "=="))
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert header["jwk"] == public_jwk(key) and "d" not in header["jwk"]
    # the signature verifies with the public JWK from the header alone
    token = jwt.decode(proof, ECKey.import_key(header["jwk"]), algorithms=["ES256"])
    claims = token.claims
    assert claims["htm"] == "POST"
    assert claims["htu"] == "https://pds.example/xrpc/com.atproto.repo.putRecord"
    assert before <= claims["iat"] <= int(time.time())
    assert claims["nonce"] == "n-123"
    assert claims["ath"] == b64url_sha256("token-abc") == access_token_hash("token-abc")
    assert len(claims["jti"]) >= 16
    other = make_proof(key, "POST", "https://pds.example/x")
    other_claims = jwt.decode(other, key, algorithms=["ES256"]).claims
    assert other_claims["jti"] != claims["jti"]
    assert "nonce" not in other_claims and "ath" not in other_claims
    with pytest.raises(BadSignatureError):
        jwt.decode(proof, generate_key(), algorithms=["ES256"])


def test_htu_drops_query_and_fragment() -> None:
    assert htu_of("http://localhost:2583/oauth/par?a=b#c") == "http://localhost:2583/oauth/par"


# ---- PKCE ---------------------------------------------------------------------------------


def test_pkce_s256() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    assert set(verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    assert challenge == b64url_sha256(verifier) and "=" not in challenge
    # RFC 7636 appendix B
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert pkce_pair()[0] != verifier


# ---- client metadata ------------------------------------------------------------------------


def test_loopback_client(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "http://localhost:8000")
    config = client_config(settings)
    assert config.mode == "loopback"
    assert config.redirect_uri == "http://127.0.0.1:8000/auth/callback"
    assert config.client_id.startswith("http://localhost?redirect_uri=")
    assert "http%3A%2F%2F127.0.0.1%3A8000%2Fauth%2Fcallback" in config.client_id
    assert "scope=atproto+blob" in config.client_id
    metadata = client_metadata(settings)
    assert metadata["token_endpoint_auth_method"] == "none"
    assert metadata["application_type"] == "native"
    assert metadata["dpop_bound_access_tokens"] is True
    assert metadata["redirect_uris"] == [config.redirect_uri]
    assert "jwks_uri" not in metadata
    assert set(requested_scope(settings).split()) <= set(metadata["scope"].split())
    assert client_config(settings_for(tmp_path, "http://plyr.test")).redirect_uri == (
        "http://127.0.0.1/auth/callback"
    )
    assert not (tmp_path / "data" / "oauth_client_key.json").exists()


def test_confidential_client(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "https://plyr.example/")
    config = client_config(settings)
    assert config.mode == "confidential"
    assert config.client_id == "https://plyr.example/oauth-client-metadata.json"
    metadata = client_metadata(settings)
    assert metadata["client_id"] == config.client_id
    assert metadata["redirect_uris"] == ["https://plyr.example/auth/callback"]
    assert metadata["token_endpoint_auth_method"] == "private_key_jwt"
    assert metadata["token_endpoint_auth_signing_alg"] == "ES256"
    assert metadata["jwks_uri"] == "https://plyr.example/.well-known/jwks.json"
    assert metadata["grant_types"] == ["authorization_code", "refresh_token"]
    assert metadata["application_type"] == "web"
    assert set(BASE_SCOPE.split()) <= set(metadata["scope"].split())
    assert set(requested_scope(settings, teal=True).split()) <= set(metadata["scope"].split())

    # the key is generated once, private, and only its public half is published
    key_file = tmp_path / "data" / "oauth_client_key.json"
    published = jwks(settings)["keys"]
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(published) == 1 and "d" not in published[0]
    assert published[0]["alg"] == "ES256" and published[0]["kid"]
    assert load_client_key(settings).kid == published[0]["kid"] == jwks(settings)["keys"][0]["kid"]

    assertion = client_assertion(settings, "https://pds.example")
    header = json.loads(base64.urlsafe_b64decode(assertion.split(".")[0] + "=="))
    assert header["kid"] == published[0]["kid"]
    claims = jwt.decode(assertion, ECKey.import_key(published[0]), algorithms=["ES256"]).claims
    assert claims["iss"] == claims["sub"] == config.client_id
    assert claims["aud"] == "https://pds.example"
    assert claims["exp"] > claims["iat"] and claims["jti"]
    assert CLIENT_ASSERTION_TYPE.endswith("jwt-bearer")


def test_scope_setting_and_namespace(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:8000")
    assert requested_scope(settings) == BASE_SCOPE
    settings.atproto_namespace = "org.example"
    assert "repo:org.example.track" in requested_scope(settings).split()
    settings.oauth_scope = "atproto include:fm.plyr.authFullApp"
    assert requested_scope(settings) == "atproto include:fm.plyr.authFullApp"
    assert "include:fm.plyr.authFullApp" in client_config(settings).scope.split()


# ---- scopes ----------------------------------------------------------------------------------


def test_scope_errors_map_to_scope_upgrade_required() -> None:
    missing = XrpcError(
        403, "ScopeMissingError", 'Missing required scope "repo:app.bsky.feed.post?action=create"'
    )
    upgrade = ScopeUpgradeRequired.from_xrpc(missing)
    assert upgrade is not None and upgrade.scope == "repo:app.bsky.feed.post?action=create"
    assert isinstance(upgrade, XrpcError) and upgrade.status == 403
    assert ScopeUpgradeRequired.from_xrpc(XrpcError(400, "InvalidRequest", "bad rkey")) is None
    assert ScopeUpgradeRequired.from_xrpc(XrpcError(403, "Forbidden", "not yours")) is None


@pytest.mark.parametrize(
    ("granted", "collection", "action", "allowed"),
    [
        ("atproto repo:fm.plyr.track", "fm.plyr.track", "create", True),
        ("atproto repo:fm.plyr.track", "fm.plyr.track", "delete", True),
        ("atproto repo:fm.plyr.track", "fm.plyr.like", "create", False),
        ("atproto repo:fm.plyr.track?action=create", "fm.plyr.track", "create", True),
        ("atproto repo:fm.plyr.track?action=create", "fm.plyr.track", "delete", False),
        ("repo:fm.plyr.track?action=create&action=delete", "fm.plyr.track", "delete", True),
        ("repo?collection=fm.plyr.like&collection=fm.plyr.list", "fm.plyr.list", "update", True),
        ("repo?collection=fm.plyr.like&action=update", "fm.plyr.like", "create", False),
        ("repo:*", "app.bsky.feed.post", "create", True),
        ("repo:*?action=delete", "fm.plyr.track", "create", False),
        ("atproto transition:generic", "fm.plyr.track", "update", True),
        ("atproto", "fm.plyr.track", "create", False),
        ("", "fm.plyr.track", "create", False),
        ("repo:fm.plyr.track?action=explode", "fm.plyr.track", "create", False),
        ("repository:fm.plyr.track", "fm.plyr.track", "create", False),
        ("blob:*/* rpc:app.bsky.actor.getProfile?aud=*", "fm.plyr.track", "create", False),
    ],
)
def test_granted_scopes_follow_the_permission_grammar(
    granted: str, collection: str, action: str, allowed: bool
) -> None:
    assert GrantedScopes(granted).allows_repo(collection, action) is allowed
