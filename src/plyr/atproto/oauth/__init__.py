"""AT Protocol OAuth client (PAR, PKCE S256, DPoP, private_key_jwt), on joserfc + httpx.

- `client.OAuthClient`: discovery, `start` (PAR) / `complete` (callback), refresh, revoke;
- `auth.OAuthAuth`: the `PdsAuth` of an OAuth session;
- `metadata`: client id, redirect URI, scopes, client metadata, keys;
- `dpop`: DPoP proofs and PKCE.

A write the session's scopes do not cover raises `plyr.atproto.pds.ScopeUpgradeRequired`.
"""

from plyr.atproto.oauth.auth import OAuthAuth, OAuthRefreshFailed
from plyr.atproto.oauth.client import OAuthClient, OAuthError, OAuthGrant, OAuthSessionExpired

__all__ = [
    "OAuthAuth",
    "OAuthClient",
    "OAuthError",
    "OAuthGrant",
    "OAuthRefreshFailed",
    "OAuthSessionExpired",
]
