"""Acting as the browser on the devnet PDS's own sign-in pages, headlessly.

`sign_in_at_pds(authorize_url, handle, password)` does what a user does on the PDS's
authorization page (sign in, accept) and returns the URL the PDS redirects back to
(`redirect_uri?code&state&iss`). It drives the private API of `@atproto/oauth-provider`
(pinned with the PDS in devnet/): the `dev-id`, `ses-id` and `csrf-token` cookies are
`Secure`, so they are carried by hand over http.

`oauth_sign_in(api, net, account)` runs the whole flow through a plyr app: POST /auth/start,
the PDS, /auth/callback; it returns plyr's session token.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

import httpx

API = "/@atproto/oauth-provider/~api"


class PdsBrowserError(AssertionError):
    pass


class _Browser:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.cookies: dict[str, str] = {}

    def keep(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


async def sign_in_at_pds(
    authorize_url: str,
    identifier: str,
    password: str,
    *,
    accept: bool = True,
    http: httpx.AsyncClient | None = None,
) -> str:
    """The redirect back to the client after signing in as `identifier` and accepting (or,
    with `accept=False`, refusing: an `error=access_denied` redirect)."""
    own = http is None
    http = http or httpx.AsyncClient(trust_env=False, timeout=15)
    try:
        browser = _Browser(http)
        parts = urlsplit(authorize_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        page = await http.get(
            authorize_url,
            headers={
                "sec-fetch-mode": "navigate",
                "sec-fetch-dest": "document",
                "sec-fetch-site": "cross-site",
                "accept": "text/html",
            },
        )
        if page.status_code != 200:
            raise PdsBrowserError(f"authorize page: {page.status_code} {page.text[:300]}")
        browser.keep(page)

        def api_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
            return {
                "sec-fetch-mode": "same-origin",
                "sec-fetch-site": "same-origin",
                "sec-fetch-dest": "empty",
                "origin": origin,
                "referer": authorize_url,
                "x-csrf-token": browser.cookies.get("csrf-token", ""),
                "cookie": browser.cookie_header,
                **(extra or {}),
            }

        signed = await http.post(
            f"{origin}{API}/sign-in",
            json={"locale": "en", "username": identifier, "password": password, "remember": False},
            headers=api_headers(),
        )
        if signed.status_code != 200:
            raise PdsBrowserError(f"sign-in: {signed.status_code} {signed.text[:300]}")
        browser.keep(signed)
        body = signed.json()
        sub, ephemeral = body["account"]["sub"], body.get("ephemeralToken")
        if accept:
            extra = {"authorization": f"Bearer {ephemeral}"} if ephemeral else {}
            consent = await http.post(
                f"{origin}{API}/consent", json={"sub": sub}, headers=api_headers(extra)
            )
            if consent.status_code != 200:
                raise PdsBrowserError(f"consent: {consent.status_code} {consent.text[:300]}")
            browser.keep(consent)
            next_url = consent.json()["url"]
        else:
            reject = await http.post(f"{origin}{API}/reject", json={}, headers=api_headers())
            if reject.status_code != 200:
                raise PdsBrowserError(f"reject: {reject.status_code} {reject.text[:300]}")
            next_url = reject.json()["url"]
        final = await http.get(
            next_url,
            headers={
                "sec-fetch-mode": "navigate",
                "sec-fetch-dest": "document",
                "sec-fetch-site": "same-origin",
                "cookie": browser.cookie_header,
                "referer": authorize_url,
            },
        )
        if final.status_code not in (302, 303):
            raise PdsBrowserError(f"redirect: {final.status_code} {final.text[:300]}")
        return final.headers["location"]
    finally:
        if own:
            await http.aclose()


def callback_query(redirect_url: str) -> dict[str, str]:
    """The query of the redirect back to the client (code, state, iss / error)."""
    return dict(parse_qsl(urlsplit(redirect_url).query))


async def start_sign_in(
    api: httpx.AsyncClient, identifier: str, return_to: str = "/"
) -> tuple[str, str]:
    """(authorize URL, browser cookie) from plyr's /auth/start, posted the way plyr's own
    sign-in form does (with its Origin)."""
    response = await api.post(
        "/auth/start",
        data={"handle": identifier, "return_to": return_to},
        headers={"Origin": str(api.base_url)},
    )
    if response.status_code != 303:
        raise PdsBrowserError(f"/auth/start: {response.status_code} {response.text[:300]}")
    cookie = response.cookies.get("oauth_browser")
    if not cookie:
        raise PdsBrowserError("/auth/start set no browser cookie")
    return response.headers["location"], cookie


async def oauth_sign_in(
    api: httpx.AsyncClient, identifier: str, password: str, *, return_to: str = "/"
) -> str:
    """Sign in to plyr (`api`: a client on the app) through OAuth; returns the session token."""
    authorize_url, cookie = await start_sign_in(api, identifier, return_to)
    redirect = await sign_in_at_pds(authorize_url, identifier, password)
    response = await api.get(
        "/auth/callback",
        params=callback_query(redirect),
        headers={"cookie": f"oauth_browser={cookie}"},
    )
    if response.status_code != 302:
        raise PdsBrowserError(f"/auth/callback: {response.status_code} {response.text[:300]}")
    token = response.cookies.get("session_id")
    if not token:
        raise PdsBrowserError("/auth/callback set no session cookie")
    return token
