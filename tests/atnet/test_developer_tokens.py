"""Developer tokens: their own OAuth grant, shown once, Bearer-usable, revocable by prefix."""

from __future__ import annotations

from httpx import AsyncClient

from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.atnet.oauth_browser import callback_query, oauth_sign_in, sign_in_at_pds


async def test_developer_token_lifecycle(api: AsyncClient, atproto_net: AtprotoNet) -> None:
    account = create_account(atproto_net, unique_handle("dev"))
    session = await oauth_sign_in(api, account.handle, account.password)
    me = {"Authorization": f"Bearer {session}"}

    start = await api.post(
        "/auth/developer-token/start",
        headers=me,
        json={"name": "ci uploads", "expires_in_days": 30},
    )
    assert start.status_code == 200, start.text
    cookie = start.cookies["oauth_browser"]
    redirect = await sign_in_at_pds(start.json()["auth_url"], account.handle, account.password)
    issued = await api.get(
        "/auth/callback",
        params=callback_query(redirect),
        headers={"cookie": f"oauth_browser={cookie}"},
    )
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    body = issued.json()
    token = body["token"]
    assert body["prefix"] == token[:8] and body["name"] == "ci uploads"
    assert body["expires_at"] is not None

    bearer = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/auth/me", headers=bearer)).json()["did"] == account.did
    listed = (await api.get("/auth/developer-tokens", headers=me)).json()
    assert [(t["prefix"], t["name"]) for t in listed] == [(token[:8], "ci uploads")]
    assert "token" not in listed[0]

    other = create_account(atproto_net, unique_handle("eve"))
    eve = await oauth_sign_in(api, other.handle, other.password)
    eve_auth = {"Authorization": f"Bearer {eve}"}
    assert (
        await api.delete(f"/auth/developer-tokens/{token[:8]}", headers=eve_auth)
    ).status_code == 404
    assert (await api.get("/auth/me", headers=bearer)).status_code == 200

    assert (await api.delete(f"/auth/developer-tokens/{token[:8]}", headers=me)).status_code == 204
    assert (await api.get("/auth/me", headers=bearer)).status_code == 401  # revoked
    assert (await api.get("/auth/developer-tokens", headers=me)).json() == []
    assert (await api.get("/auth/me", headers=me)).status_code == 200  # the browser session stays


async def test_token_for_another_account_is_refused(
    api: AsyncClient, atproto_net: AtprotoNet
) -> None:
    owner = create_account(atproto_net, unique_handle("own"))
    intruder = create_account(atproto_net, unique_handle("int"))
    session = await oauth_sign_in(api, owner.handle, owner.password)
    start = await api.post(
        "/auth/developer-token/start",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {session}"},
    )
    cookie = start.cookies["oauth_browser"]
    # the PDS page is told to sign in as the owner, but someone signs in as another account
    redirect = await sign_in_at_pds(start.json()["auth_url"], intruder.handle, intruder.password)
    refused = await api.get(
        "/auth/callback",
        params=callback_query(redirect),
        headers={"cookie": f"oauth_browser={cookie}"},
    )
    assert refused.status_code == 400


async def test_token_requests_are_validated(api: AsyncClient, atproto_net: AtprotoNet) -> None:
    account = create_account(atproto_net, unique_handle("val"))
    session = await oauth_sign_in(api, account.handle, account.password)
    auth = {"Authorization": f"Bearer {session}"}
    for body in (
        {"name": ""},
        {"name": "x", "expires_in_days": 0},
        {"name": "x", "expires_in_days": 366},
    ):
        assert (
            await api.post("/auth/developer-token/start", json=body, headers=auth)
        ).status_code == 422
    api.cookies.clear()
    assert (await api.post("/auth/developer-token/start", json={"name": "x"})).status_code == 401


async def test_account_creation_on_a_listed_pds(
    api: AsyncClient, pds_app: object, atproto_net: AtprotoNet
) -> None:
    settings = pds_app.state.runtime.settings  # type: ignore[attr-defined]
    form, own_page = {"pds": atproto_net.pds_url}, {"Origin": str(api.base_url)}
    refused = await api.post("/auth/create-account/start", data=form, headers=own_page)
    assert refused.status_code == 400
    settings.signup_pds_hosts = atproto_net.pds_url
    assert (await api.get("/config")).json()["signup_pds_hosts"] == [atproto_net.pds_url]
    started = await api.post("/auth/create-account/start", data=form, headers=own_page)
    assert started.status_code == 303
    assert started.headers["location"].startswith(f"{atproto_net.pds_url}/oauth/authorize")
    assert "oauth_browser" in started.cookies
