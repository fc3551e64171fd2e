"""AT Protocol OAuth client (PAR, PKCE S256, DPoP, private_key_jwt), on joserfc + httpx.

- `client.OAuthClient`: discovery, `start` (PAR) / `complete` (callback), refresh, revoke;
- `auth.OAuthAuth`: the `PdsAuth` of an OAuth session; `auth.ScopeUpgradeRequired`;
- `metadata`: client id, redirect URI, scopes, client metadata, keys;
- `dpop`: DPoP proofs and PKCE.
"""

from plyr.atproto.oauth.auth import (
    OAuthAuth,
    OAuthRefreshFailed,
    ScopeUpgradeRequired,
    scope_errors,
)
from plyr.atproto.oauth.client import OAuthClient, OAuthError, OAuthGrant, OAuthSessionExpired

__all__ = [
    "OAuthAuth",
    "OAuthClient",
    "OAuthError",
    "OAuthGrant",
    "OAuthRefreshFailed",
    "OAuthSessionExpired",
    "ScopeUpgradeRequired",
    "scope_errors",
]
