"""The OAuth 2.1 client: discovery, PAR + PKCE + DPoP, the callback's checks, the token
exchange, refresh and revocation.

Trust chain of a sign-in: the identifier the user typed resolves (through `IdentityResolver`)
to a DID and its PDS; the PDS names its authorization server in
`/.well-known/oauth-protected-resource`; that server's metadata must carry the same `issuer`.
The callback must come back to the browser that started (a random secret in a short-lived
HttpOnly cookie, hashed into the pending request), with the `state` and `iss` of the pending
request, and the token response's `sub` must be the DID resolved at the start.

Pending requests live in `runtime.cache` (sealed, 10 minutes, single use). DPoP nonces are
kept per server and role (authorization server vs resource server) in the cache too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import httpx
from joserfc.jwk import ECKey

from plyr.atproto.identity import IdentityError, IdentityResolver
from plyr.atproto.oauth.dpop import (
    generate_key,
    import_key,
    make_proof,
    pkce_pair,
)
from plyr.atproto.oauth.metadata import (
    CLIENT_ASSERTION_TYPE,
    ClientConfig,
    client_assertion,
    client_config,
    requested_scope,
)
from plyr.atproto.oauth.server_metadata import (
    AuthServer,
    UnusableAuthServer,
    auth_server_of,
    issuer_of,
)
from plyr.core.cache import Cache
from plyr.core.config import Settings
from plyr.core.net import RefusedUrl, bounds, pds_origin
from plyr.core.runtime import Runtime
from plyr.core.secrets import SecretBox, SecretBoxError

__all__ = [
    "AuthServer",
    "OAuthClient",
    "OAuthError",
    "OAuthGrant",
    "OAuthServerUnusable",
    "OAuthSessionExpired",
    "browser_hash",
    "credentials_expire_at",
    "is_use_dpop_nonce",
]

REQUEST_TTL_S = 600
NONCE_TTL_S = 120
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_METADATA_BYTES = 64 * 1024
Role = Literal["as", "rs"]

# How long the reference PDS honours a grant (@atproto/oauth-provider): a public (loopback)
# client's session ends two weeks after sign-in; a confidential client's refresh token lives
# three months from its last use, within two years of sign-in. Another authorization server
# may end a session sooner; its refused refresh ends ours then (`OAuthSessionExpired`).
DAY_S = 86_400.0
PUBLIC_SESSION_S = 14 * DAY_S
CONFIDENTIAL_SESSION_S = 730 * DAY_S
CONFIDENTIAL_REFRESH_S = 90 * DAY_S


class OAuthError(Exception):
    """A sign-in or token request that failed; `str(e)` is user-readable (plyr's words).
    What the server said, if anything, is in `upstream` (for logs, never for users)."""

    def __init__(self, message: str, upstream: str = "") -> None:
        super().__init__(message)
        self.upstream = upstream[:500]


class OAuthServerUnusable(OAuthError):
    """The user's PDS or authorization server breaks the OAuth profile: not the user's
    fault, nor plyr's (a 502)."""


class OAuthSessionExpired(OAuthError):
    """The refresh token was refused (revoked, used, expired): the user must sign in again."""


@dataclass(frozen=True)
class OAuthGrant:
    """A completed sign-in: who, where, and the session data to seal (kind "oauth")."""

    did: str
    handle: str | None
    pds_url: str
    return_to: str
    data: dict[str, Any] = field(repr=False)
    extra: dict[str, Any] = field(default_factory=dict)


def browser_hash(browser_secret: str) -> str:
    return hashlib.sha256(browser_secret.encode()).hexdigest()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_use_dpop_nonce(response: httpx.Response) -> bool:
    """The server wants a (new) DPoP nonce: 400 from an authorization server, 401 with a
    `WWW-Authenticate: DPoP error="use_dpop_nonce"` from a resource server."""
    if response.status_code not in (400, 401):
        return False
    if 'error="use_dpop_nonce"' in response.headers.get("www-authenticate", ""):
        return True
    return _error_of(response)[0] == "use_dpop_nonce"


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(body, dict):
        return "", ""
    error = str(body.get("error", ""))
    description = str(body.get("error_description") or body.get("message") or "")
    return error, description


class NonceStore:
    """The latest DPoP nonce of each server, per role (shared through the cache)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    @staticmethod
    def _key(role: Role, url: str) -> str:
        return f"oauth:dpop-nonce:{role}:{_origin(url)}"

    async def get(self, role: Role, url: str) -> str | None:
        return await self.cache.get(self._key(role, url))

    async def remember(self, role: Role, url: str, response: httpx.Response) -> str | None:
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            await self.cache.set(self._key(role, url), nonce, NONCE_TTL_S)
        return nonce


class OAuthClient:
    """plyr as an OAuth client. Cheap to build: one per use is fine (state is in the cache)."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        cache: Cache,
        secrets_box: SecretBox,
        identity: IdentityResolver,
    ) -> None:
        self.settings, self.http, self.cache = settings, http, cache
        self.secrets, self.identity = secrets_box, identity
        self.nonces = NonceStore(cache)

    @classmethod
    def of(cls, runtime: Runtime) -> OAuthClient:
        return cls(runtime.settings, runtime.http, runtime.cache, runtime.secrets, runtime.identity)

    @property
    def config(self) -> ClientConfig:
        return client_config(self.settings)

    # ---- discovery ------------------------------------------------------------------------

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = await self.http.get(
                url,
                timeout=TIMEOUT,
                follow_redirects=False,
                headers={"accept": "application/json"},
                extensions=bounds(MAX_METADATA_BYTES),
            )
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            raise OAuthError(f"could not fetch {what}: {type(e).__name__}") from None
        if response.status_code != 200:
            raise OAuthError(f"could not fetch {what}: HTTP {response.status_code}")
        if len(response.content) > MAX_METADATA_BYTES:
            raise OAuthError(f"{what} is too large")
        try:
            data = response.json()
        except ValueError:
            raise OAuthError(f"{what} is not JSON") from None
        if not isinstance(data, dict):
            raise OAuthError(f"{what} is not a JSON object")
        return data

    async def auth_server_for_pds(self, pds_url: str) -> AuthServer:
        """The authorization server the PDS advertises (and whose metadata confirms it)."""
        pds_url = pds_url.rstrip("/")
        resource = await self._get_json(
            f"{pds_url}/.well-known/oauth-protected-resource", f"the OAuth metadata of {pds_url}"
        )
        if _origin(str(resource.get("resource", ""))) != _origin(pds_url):
            raise OAuthError(f"{pds_url} describes another resource server")
        try:
            issuer = issuer_of(resource, pds_url, self.settings)
        except UnusableAuthServer as e:
            raise OAuthServerUnusable(str(e)) from None
        return await self.auth_server(issuer)

    async def auth_server(self, issuer: str) -> AuthServer:
        meta = await self._get_json(
            f"{issuer.rstrip('/')}/.well-known/oauth-authorization-server",
            f"the metadata of the authorization server {issuer}",
        )
        try:
            return auth_server_of(meta, issuer, self.settings, self.config)
        except UnusableAuthServer as e:
            raise OAuthServerUnusable(str(e)) from None

    # ---- requests to the authorization server ------------------------------------------------

    def _client_auth(self, client_id: str, issuer: str) -> dict[str, str]:
        config = self.config
        if config.confidential and client_id == config.client_id:
            return {
                "client_id": client_id,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": client_assertion(self.settings, issuer),
            }
        return {"client_id": client_id}

    async def _post(
        self, url: str, key: ECKey, form: Callable[[], dict[str, str]]
    ) -> httpx.Response:
        """POST a form to the authorization server with a DPoP proof; once more with the
        nonce it asks for. `form` is called per attempt (client assertions are single-use)."""
        response: httpx.Response | None = None
        for attempt in range(2):
            nonce = await self.nonces.get("as", url)
            proof = make_proof(key, "POST", url, nonce=nonce)
            try:
                response = await self.http.post(
                    url,
                    data=form(),
                    headers={"DPoP": proof, "accept": "application/json"},
                    timeout=TIMEOUT,
                    follow_redirects=False,
                    extensions=bounds(),
                )
            except (httpx.HTTPError, httpx.InvalidURL) as e:
                raise OAuthError(
                    f"could not reach the authorization server: {type(e).__name__}"
                ) from None
            fresh = await self.nonces.remember("as", url, response)
            if attempt == 0 and fresh and fresh != nonce and is_use_dpop_nonce(response):
                continue
            return response
        assert response is not None
        return response

    async def _token_request(
        self, data: Mapping[str, Any], key: ECKey, grant: dict[str, str]
    ) -> dict[str, Any]:
        client_id, issuer = data["client_id"], data["issuer"]
        response = await self._post(
            data["token_endpoint"], key, lambda: {**grant, **self._client_auth(client_id, issuer)}
        )
        if not response.is_success:
            error, description = _error_of(response)
            if grant["grant_type"] == "refresh_token" and error == "invalid_grant":
                raise OAuthSessionExpired(
                    "the PDS session ended: sign in again", upstream=f"{error} {description}"
                )
            raise OAuthError(
                f"the authorization server refused the token request (HTTP {response.status_code})",
                upstream=f"{error} {description}",
            )
        try:
            tokens = response.json()
        except ValueError:
            raise OAuthError("the token response is not JSON") from None
        if not isinstance(tokens, dict):
            raise OAuthError("the token response is not a JSON object")
        if str(tokens.get("token_type", "")).lower() != "dpop":
            raise OAuthError("the authorization server issued a token that is not DPoP-bound")
        for name in ("access_token", "sub"):
            if not isinstance(tokens.get(name), str) or not tokens[name]:
                raise OAuthError(f"the token response has no {name}")
        if "atproto" not in str(tokens.get("scope", "")).split():
            raise OAuthError("the token response lacks the atproto scope")
        return tokens

    # ---- sign-in ---------------------------------------------------------------------------

    async def start(
        self,
        identifier: str,
        *,
        return_to: str,
        browser_secret: str,
        prompt: str | None = None,
        extra: dict[str, Any] | None = None,
        scope: str | None = None,
    ) -> str:
        """Push an authorization request (PAR) for `identifier` (handle, DID or PDS URL);
        returns the URL to send the browser to."""
        identifier = identifier.strip()
        expected_did: str | None
        login_hint: str | None
        if identifier.startswith(("https://", "http://")):
            if identifier.startswith("http://") and self.config.confidential:
                raise OAuthError("a PDS address must use https")
            try:
                pds_url = pds_origin(identifier)
            except RefusedUrl as e:
                raise OAuthError(str(e)) from None
            expected_did, login_hint = None, None
        else:
            try:
                identity = await self.identity.resolve(identifier)
            except IdentityError as e:
                raise OAuthError(f"could not resolve {identifier[:300]!r}: {e}") from None
            pds_url, expected_did = identity.pds_url, identity.did
            login_hint = identity.handle if identity.handle else identity.did
        server = await self.auth_server_for_pds(pds_url)
        config = self.config
        state = secrets.token_urlsafe(32)
        verifier, challenge = pkce_pair()
        key = generate_key()
        scope = scope or requested_scope(self.settings)
        params = {
            "response_type": "code",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
            "redirect_uri": config.redirect_uri,
            "scope": scope,
        }
        if login_hint:
            params["login_hint"] = login_hint
        if prompt:
            params["prompt"] = prompt
        response = await self._post(
            server.pushed_authorization_request_endpoint,
            key,
            lambda: {**params, **self._client_auth(config.client_id, server.issuer)},
        )
        if not response.is_success:
            error, description = _error_of(response)
            raise OAuthError(
                f"the authorization server refused the sign-in request "
                f"(HTTP {response.status_code})",
                upstream=f"{error} {description}",
            )
        request_uri = _json_field(response, "request_uri")
        pending = {
            "browser": browser_hash(browser_secret),
            "verifier": verifier,
            "dpop_jwk": key.as_dict(private=True),
            "issuer": server.issuer,
            "token_endpoint": server.token_endpoint,
            "revocation_endpoint": server.revocation_endpoint,
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "expected_did": expected_did,
            "pds_url": pds_url,
            "return_to": return_to,
            "scope": scope,
            "extra": extra or {},
        }
        await self.cache.set(_request_key(state), self.secrets.seal(pending), REQUEST_TTL_S)
        query = urlencode({"client_id": config.client_id, "request_uri": request_uri})
        return f"{server.authorization_endpoint}?{query}"

    async def complete(self, params: Mapping[str, str], browser_secret: str | None) -> OAuthGrant:
        """Check the callback (state, browser, iss), exchange the code, check `sub`."""
        state = params.get("state")
        if not state:
            raise OAuthError(_describe_error(params) or "the sign-in response has no state")
        sealed = await self.cache.get(_request_key(state))
        if sealed is None:
            raise OAuthError(
                _describe_error(params)
                or "this sign-in request is unknown, expired or already used: start again"
            )
        try:
            pending = self.secrets.open(sealed)
        except SecretBoxError:
            raise OAuthError("this sign-in request could not be read: start again") from None
        if not browser_secret or not hmac.compare_digest(
            browser_hash(browser_secret), pending["browser"]
        ):
            raise OAuthError(
                "this sign-in was started in another browser (or its cookie expired): start again"
            )
        if not await self.cache.add(f"oauth:used:{state}", REQUEST_TTL_S):
            raise OAuthError("this sign-in request was already used: start again")
        await self.cache.delete(_request_key(state))
        described = _describe_error(params)
        if described:
            raise OAuthError(described)
        if params.get("iss") != pending["issuer"]:
            raise OAuthError("the sign-in response came from an unexpected authorization server")
        code = params.get("code")
        if not code:
            raise OAuthError("the sign-in response has no authorization code")

        key = import_key(pending["dpop_jwk"])
        tokens = await self._token_request(
            pending,
            key,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending["redirect_uri"],
                "code_verifier": pending["verifier"],
            },
        )
        data = self._session_data(pending, tokens)
        try:
            did, handle, pds_url = await self._verify_sub(pending, tokens["sub"])
        except OAuthError:
            await self.revoke(data)  # tokens for someone we will not sign in
            raise
        data["pds_url"] = pds_url
        return OAuthGrant(
            did=did,
            handle=handle,
            pds_url=pds_url,
            return_to=pending["return_to"],
            data=data,
            extra=pending.get("extra") or {},
        )

    async def _verify_sub(
        self, pending: Mapping[str, Any], sub: str
    ) -> tuple[str, str | None, str]:
        """(did, verified handle or None, PDS URL) for the token's `sub`, which must be the
        DID resolved at the start and be served by this authorization server."""
        expected = pending.get("expected_did")
        if expected is not None and sub != expected:
            raise OAuthError(
                "you signed in as a different account than the one you asked for: start again"
            )
        try:
            identity = await self.identity.resolve(sub)
        except IdentityError as e:
            raise OAuthError(f"could not resolve the signed-in account {sub[:200]}: {e}") from None
        if identity.pds_url != pending["pds_url"]:
            server = await self.auth_server_for_pds(identity.pds_url)
            if server.issuer != pending["issuer"]:
                raise OAuthError(
                    "the signed-in account is not served by the authorization server used"
                )
        return identity.did, identity.handle, identity.pds_url

    @staticmethod
    def _session_data(pending: Mapping[str, Any], tokens: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "kind": "oauth",
            "did": tokens["sub"],
            "pds_url": pending["pds_url"],
            "issuer": pending["issuer"],
            "token_endpoint": pending["token_endpoint"],
            "revocation_endpoint": pending.get("revocation_endpoint"),
            "client_id": pending["client_id"],
            "dpop_jwk": pending["dpop_jwk"],
            "started_at": time.time(),
            **_token_fields(tokens),
        }

    # ---- an established session ---------------------------------------------------------------

    async def refresh(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """New session data from the refresh token (which is single-use: persist the result
        before anyone else refreshes)."""
        if not data.get("refresh_token"):
            raise OAuthSessionExpired("the PDS session has no refresh token: sign in again")
        tokens = await self._token_request(
            data,
            import_key(data["dpop_jwk"]),
            {"grant_type": "refresh_token", "refresh_token": data["refresh_token"]},
        )
        if tokens["sub"] != data["did"]:
            raise OAuthError("the authorization server refreshed the session of someone else")
        return {**data, **_token_fields(tokens, keep_refresh=data.get("refresh_token"))}

    async def revoke(self, data: Mapping[str, Any]) -> bool:
        """Revoke the session's tokens (best effort); True when the server accepted."""
        endpoint = data.get("revocation_endpoint")
        if not endpoint:
            return False
        key = import_key(data["dpop_jwk"])
        ok = True
        for token in (data.get("refresh_token"), data.get("access_token")):
            if not token:
                continue

            def form(token: str = token) -> dict[str, str]:
                return {"token": token, **self._client_auth(data["client_id"], data["issuer"])}

            try:
                response = await self._post(endpoint, key, form)
            except OAuthError:
                return False
            ok = ok and response.is_success
        return ok


def _request_key(state: str) -> str:
    return f"oauth:request:{hashlib.sha256(state.encode()).hexdigest()}"


def _json_field(response: httpx.Response, name: str) -> str:
    try:
        value = response.json().get(name)
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        raise OAuthError(f"the authorization server's response has no {name}")
    return value


def _token_fields(tokens: Mapping[str, Any], keep_refresh: str | None = None) -> dict[str, Any]:
    expires_in = tokens.get("expires_in")
    expires_at = time.time() + float(expires_in) if isinstance(expires_in, int | float) else None
    return {
        "access_token": tokens["access_token"],
        "refresh_token": tokens.get("refresh_token") or keep_refresh,
        "expires_at": expires_at,
        "scope": tokens.get("scope", ""),
        "refreshed_at": time.time(),
    }


def credentials_expire_at(data: Mapping[str, Any]) -> float:
    """When the session's refresh token stops working (epoch seconds), capped by the
    session's own `not_after` (a developer token's chosen lifetime)."""
    started = float(data.get("started_at") or time.time())
    if str(data.get("client_id", "")).startswith("https://"):
        refreshed = float(data.get("refreshed_at") or started)
        expires = min(started + CONFIDENTIAL_SESSION_S, refreshed + CONFIDENTIAL_REFRESH_S)
    else:
        expires = started + PUBLIC_SESSION_S
    not_after = data.get("not_after")
    return min(expires, float(not_after)) if isinstance(not_after, int | float) else expires


_ERROR_TEXT = {
    "access_denied": "the sign-in was cancelled or consent was refused at your PDS",
    "login_required": "you need to sign in at your PDS",
    "consent_required": "consent is required at your PDS",
}


def _describe_error(params: Mapping[str, str]) -> str | None:
    error = params.get("error")
    if not error:
        return None
    text = _ERROR_TEXT.get(error, f"the sign-in failed: {error[:100]}")
    description = params.get("error_description")
    return f"{text} ({description[:300]})" if description else text
