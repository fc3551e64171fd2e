"""OAuth sign-in against the real PDS: PAR, PKCE, DPoP, the callback's checks, refresh
rotation, scopes, revocation. The PDS's sign-in page is driven headlessly
(`tests/atnet/oauth_browser.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import func, select, update

from plyr.atproto.identity import Identity
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.oauth import (
    OAuthAuth,
    OAuthClient,
    OAuthRefreshFailed,
    OAuthSessionExpired,
)
from plyr.atproto.oauth.client import AuthServer
from plyr.atproto.pds import ScopeUpgradeRequired, XrpcError
from plyr.atproto.records import RecordBuilder, tid_for
from plyr.atproto.sessions import pds_for, seal_oauth_session
from plyr.core.config import Settings
from plyr.models import Session
from tests.app import PUBLIC_URL
from tests.atnet.helpers import running_on_network
from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle
from tests.atnet.oauth_browser import (
    callback_query,
    oauth_sign_in,
    sign_in_at_pds,
    start_sign_in,
)
from tests.audio.media import make_audio


@pytest.fixture
async def pds_app(settings: Settings, atproto_net: AtprotoNet) -> AsyncIterator[FastAPI]:
    """Like the suite's `pds_app`, without a worker: the repo sync a sign-in enqueues would
    use the session concurrently and blur the refresh counts these tests check."""
    async with running_on_network(settings, atproto_net, with_worker=False) as application:
        yield application


@pytest.fixture
async def api(pds_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async def forget_cookies(_: Response) -> None:
        c.cookies.clear()  # every test says which browser (cookies) a request comes from

    transport = ASGITransport(app=pds_app)
    async with AsyncClient(
        transport=transport, base_url=PUBLIC_URL, event_hooks={"response": [forget_cookies]}
    ) as c:
        yield c


@pytest.fixture(scope="module")
def olive(atproto_net: AtprotoNet) -> Account:
    return create_account(atproto_net, unique_handle("olive"))


@pytest.fixture(scope="module")
def mallory(atproto_net: AtprotoNet) -> Account:
    return create_account(atproto_net, unique_handle("mallory"))


async def session_count(app: FastAPI) -> int:
    async with app.state.runtime.writer() as db:
        return int(await db.scalar(select(func.count()).select_from(Session)) or 0)


async def stored_data(app: FastAPI, did: str) -> tuple[str, dict[str, Any]]:
    runtime = app.state.runtime
    async with runtime.writer() as db:
        row = (
            await db.execute(
                select(Session.id, Session.oauth_data)
                .where(Session.did == did)
                .order_by(Session.created_at.desc())
            )
        ).first()
    assert row is not None and row.oauth_data is not None
    return row.id, runtime.secrets.open(row.oauth_data)


async def store_data(app: FastAPI, session_id: str, data: dict[str, Any]) -> None:
    runtime = app.state.runtime
    async with runtime.writer() as db:
        await db.execute(
            update(Session)
            .where(Session.id == session_id)
            .values(oauth_data=seal_oauth_session(runtime, data))
        )
        await db.commit()


def browser(cookie: str) -> dict[str, str]:
    return {"cookie": f"oauth_browser={cookie}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_sign_in_creates_a_session_and_writes_with_dpop(
    api: AsyncClient, pds_app: FastAPI, olive: Account, tmp_path: Path
) -> None:
    authorize_url, cookie = await start_sign_in(api, olive.handle, return_to="/library?tab=1")
    assert authorize_url.startswith(f"{olive_pds(pds_app)}/oauth/authorize?")
    redirect = await sign_in_at_pds(authorize_url, olive.handle, olive.password)
    assert redirect.startswith("http://127.0.0.1/auth/callback?")
    callback = await api.get(
        "/auth/callback", params=callback_query(redirect), headers=browser(cookie)
    )
    assert callback.status_code == 302, callback.text
    assert callback.headers["location"] == "/library?tab=1"
    set_cookie = " ".join(callback.headers.get_list("set-cookie")).lower()
    assert "session_id=" in set_cookie and "httponly" in set_cookie and "samesite=lax" in set_cookie
    token = callback.cookies["session_id"]

    me = await api.get("/auth/me", headers={"cookie": f"session_id={token}"})
    assert me.status_code == 200
    assert (me.json()["did"], me.json()["handle"]) == (olive.did, olive.handle)

    _, data = await stored_data(pds_app, olive.did)
    assert data["kind"] == "oauth" and data["did"] == olive.did
    assert "repo:fm.plyr.track" in data["scope"].split()
    runtime = pds_app.state.runtime
    pds = await pds_for(runtime, olive.did)
    assert pds is not None and isinstance(pds.auth, OAuthAuth)
    blob = await pds.upload_blob(make_audio(tmp_path / "a.mp3", "mp3", seconds=1), "audio/mpeg")
    when = datetime(2026, 11, 21, 6, 5, tzinfo=UTC)
    record = RecordBuilder(Lexicons()).track(
        title="Signed in with OAuth",
        artist="Olive",
        file_type="mp3",
        created_at=when,
        audio_blob=blob,
    )
    ref = await pds.put_record("fm.plyr.track", tid_for(when), record)
    assert ref.uri == f"at://{olive.did}/fm.plyr.track/{tid_for(when)}"
    stored = await pds.get_record("fm.plyr.track", tid_for(when))
    assert stored is not None and stored["value"]["title"] == "Signed in with OAuth"


def olive_pds(app: FastAPI) -> str:
    return str(app.state.runtime.settings.handle_resolvers).rstrip("/")


async def test_return_to_must_be_local(api: AsyncClient, olive: Account) -> None:
    authorize_url, cookie = await start_sign_in(api, olive.handle, "https://evil.example/x")
    redirect = await sign_in_at_pds(authorize_url, olive.handle, olive.password)
    callback = await api.get(
        "/auth/callback", params=callback_query(redirect), headers=browser(cookie)
    )
    assert callback.status_code == 302 and callback.headers["location"] == "/"


async def test_unresolvable_handle_is_a_clear_400(api: AsyncClient, pds_app: FastAPI) -> None:
    response = await api.post(
        "/auth/start", data={"handle": "nobody-here.test"}, headers={"Origin": PUBLIC_URL}
    )
    assert response.status_code == 400
    assert "nobody-here.test" in response.json()["detail"]
    assert await session_count(pds_app) == 0


async def test_concurrent_requests_refresh_once(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("rita"))
    await oauth_sign_in(api, account.handle, account.password)
    session_id, data = await stored_data(pds_app, account.did)
    runtime = pds_app.state.runtime
    builder = RecordBuilder(Lexicons())

    def like() -> dict[str, Any]:
        return builder.like(
            subject_uri=f"at://{account.did}/fm.plyr.track/3m2abcdefgh22",
            subject_cid="bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
            created_at=datetime.now(UTC),
        )

    async def two_concurrent_writes() -> int:
        """Two clients (as two requests would build them) write at once; refreshes done."""
        clients = [await pds_for(runtime, account.did) for _ in range(2)]
        auths = [c.auth for c in clients if c is not None]
        assert len(auths) == 2 and all(isinstance(a, OAuthAuth) for a in auths)
        refs = await asyncio.gather(
            *(c.create_record("fm.plyr.like", like()) for c in clients if c is not None)
        )
        assert len({r.uri for r in refs}) == 2  # both went through
        return sum(a.refreshes for a in auths if isinstance(a, OAuthAuth))

    # 1. the access token is past its expiry
    await store_data(pds_app, session_id, {**data, "expires_at": 1.0})
    assert await two_concurrent_writes() == 1
    _, rotated = await stored_data(pds_app, account.did)
    assert rotated["refresh_token"] != data["refresh_token"]
    assert rotated["expires_at"] > datetime.now(UTC).timestamp()

    # 2. a corrupt access token: the PDS's 401 leads to one refresh
    corrupt = {**rotated, "access_token": rotated["access_token"][:-6] + "AAAAAA"}
    await store_data(pds_app, session_id, corrupt)
    assert await two_concurrent_writes() == 1
    _, again = await stored_data(pds_app, account.did)
    assert again["refresh_token"] not in (data["refresh_token"], rotated["refresh_token"])

    # a used refresh token is dead (single-use; replaying it also ends the session family)
    with pytest.raises(OAuthSessionExpired):
        await OAuthClient.of(runtime).refresh(data)


async def test_scope_not_granted_asks_for_an_upgrade(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("sam"))
    await oauth_sign_in(api, account.handle, account.password)
    pds = await pds_for(pds_app.state.runtime, account.did)
    assert pds is not None
    post = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T00:00:00Z"}
    with pytest.raises(ScopeUpgradeRequired) as caught:
        await pds.create_record("app.bsky.feed.post", post)
    assert "scope upgrade required" in str(caught.value)
    assert caught.value.status == 403
    assert caught.value.scope == "repo:app.bsky.feed.post?action=create"


async def test_logout_revokes_the_tokens(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("lou"))
    token = await oauth_sign_in(api, account.handle, account.password)
    _, data = await stored_data(pds_app, account.did)
    runtime = pds_app.state.runtime
    assert (await api.post("/auth/logout", headers=bearer(token))).status_code == 204
    assert (await api.get("/auth/me", headers=bearer(token))).status_code == 401
    assert await pds_for(runtime, account.did) is None
    with pytest.raises(OAuthSessionExpired):
        await OAuthClient.of(runtime).refresh(data)


async def test_callback_refuses_a_foreign_state(
    api: AsyncClient, pds_app: FastAPI, olive: Account
) -> None:
    authorize_url, cookie = await start_sign_in(api, olive.handle)
    query = callback_query(await sign_in_at_pds(authorize_url, olive.handle, olive.password))
    # a state plyr never issued
    wrong = await api.get(
        "/auth/callback", params={**query, "state": "x" * 43}, headers=browser(cookie)
    )
    assert wrong.status_code == 400 and "start again" in wrong.json()["detail"]
    # the right state in another browser (no cookie, or someone else's)
    for headers in ({}, browser("y" * 43)):
        other = await api.get("/auth/callback", params=query, headers=headers)
        assert other.status_code == 400 and "another browser" in other.json()["detail"]
    assert await session_count(pds_app) == 0
    # the genuine callback still works, once
    ok = await api.get("/auth/callback", params=query, headers=browser(cookie))
    assert ok.status_code == 302
    replay = await api.get("/auth/callback", params=query, headers=browser(cookie))
    assert replay.status_code == 400
    assert await session_count(pds_app) == 1


async def test_callback_refuses_a_wrong_issuer(
    api: AsyncClient, pds_app: FastAPI, olive: Account
) -> None:
    authorize_url, cookie = await start_sign_in(api, olive.handle)
    query = callback_query(await sign_in_at_pds(authorize_url, olive.handle, olive.password))
    response = await api.get(
        "/auth/callback",
        params={**query, "iss": "https://evil.example"},
        headers=browser(cookie),
    )
    assert response.status_code == 400 and "authorization server" in response.json()["detail"]
    missing = await api.get(
        "/auth/callback",
        params={k: v for k, v in query.items() if k != "iss"},
        headers=browser(cookie),
    )
    assert missing.status_code == 400
    assert await session_count(pds_app) == 0


async def test_callback_refuses_another_account(
    api: AsyncClient, pds_app: FastAPI, olive: Account, mallory: Account
) -> None:
    authorize_url, cookie = await start_sign_in(api, olive.handle)
    # at the PDS, sign in as someone else than the account asked for
    query = callback_query(await sign_in_at_pds(authorize_url, mallory.handle, mallory.password))
    response = await api.get("/auth/callback", params=query, headers=browser(cookie))
    assert response.status_code == 400 and "different account" in response.json()["detail"]
    assert await session_count(pds_app) == 0


async def test_refused_consent_is_a_readable_400(
    api: AsyncClient, pds_app: FastAPI, olive: Account
) -> None:
    authorize_url, cookie = await start_sign_in(api, olive.handle)
    redirect = await sign_in_at_pds(authorize_url, olive.handle, olive.password, accept=False)
    query = callback_query(redirect)
    assert query["error"] == "access_denied"
    response = await api.get("/auth/callback", params=query, headers=browser(cookie))
    assert response.status_code == 400 and "cancelled" in response.json()["detail"]
    assert await session_count(pds_app) == 0


async def test_client_metadata_is_served(api: AsyncClient) -> None:
    metadata = (await api.get("/oauth-client-metadata.json")).json()
    assert metadata["client_id"].startswith("http://localhost?")
    assert metadata["token_endpoint_auth_method"] == "none"
    assert (await api.get("/.well-known/jwks.json")).status_code == 404


async def test_a_dead_session_is_an_xrpc_error(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    """Callers that handle PDS failures (XrpcError) also handle a refresh that failed."""
    account = create_account(atproto_net, unique_handle("dee"))
    await oauth_sign_in(api, account.handle, account.password)
    session_id, data = await stored_data(pds_app, account.did)
    runtime = pds_app.state.runtime
    assert await OAuthClient.of(runtime).revoke(data)
    await store_data(pds_app, session_id, {**data, "expires_at": 1.0})
    pds = await pds_for(runtime, account.did)
    assert pds is not None
    with pytest.raises(OAuthRefreshFailed) as caught:
        await pds.get_record("fm.plyr.track", "3m2abcdefgh22")
    assert isinstance(caught.value, XrpcError) and caught.value.expired
    assert caught.value.status == 401

    # the refused refresh ended the plyr session too: nothing tries the dead tokens again
    assert await pds_for(runtime, account.did) is None
    async with runtime.writer() as db:
        row = await db.get(Session, session_id)
    assert row is not None and row.oauth_data is None
    assert row.expires_at is not None and row.expires_at <= datetime.now(UTC)


async def test_session_lasts_as_long_as_the_refresh_token(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    """A loopback client's grant lasts two weeks from sign-in on the reference PDS: so does
    the plyr session, and a refresh does not stretch it."""
    account = create_account(atproto_net, unique_handle("lena"))
    before = datetime.now(UTC)
    token = await oauth_sign_in(api, account.handle, account.password)
    session_id, data = await stored_data(pds_app, account.did)
    runtime = pds_app.state.runtime

    async def expires_at() -> datetime:
        async with runtime.writer() as db:
            row = await db.get(Session, session_id)
        assert row is not None and row.expires_at is not None
        return row.expires_at

    first = await expires_at()
    assert timedelta(days=13, hours=23) < first - before <= timedelta(days=14, minutes=1)
    await store_data(pds_app, session_id, {**data, "expires_at": 1.0})  # force a refresh
    pds = await pds_for(runtime, account.did)
    assert pds is not None
    await pds.get_record("fm.plyr.track", "3m2abcdefgh22")
    assert isinstance(pds.auth, OAuthAuth) and pds.auth.refreshes == 1
    assert abs((await expires_at()) - first) < timedelta(seconds=5)
    assert (await api.get("/auth/me", headers=bearer(token))).status_code == 200


async def test_callback_refuses_an_account_another_server_is_responsible_for(
    api: AsyncClient,
    pds_app: FastAPI,
    olive: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sign-in started at a PDS URL (no DID expected): the account the token names must be
    one whose own PDS trusts this authorization server. A server that hands out tokens for
    someone else's DID is refused, and its tokens revoked."""
    runtime = pds_app.state.runtime
    authorize_url, cookie = await start_sign_in(api, olive_pds(pds_app))
    redirect = await sign_in_at_pds(authorize_url, olive.handle, olive.password)

    elsewhere = "https://pds.elsewhere.internal"
    real_resolve, real_server = runtime.identity.resolve, OAuthClient.auth_server_for_pds

    async def resolve(identifier: str) -> Identity:
        found: Identity = await real_resolve(identifier)
        return replace(found, pds_url=elsewhere) if found.did == olive.did else found

    async def auth_server_for_pds(self: OAuthClient, pds_url: str) -> AuthServer:
        if pds_url == elsewhere:
            return AuthServer("https://auth.elsewhere.internal", "", "", "", None)
        return await real_server(self, pds_url)

    monkeypatch.setattr(runtime.identity, "resolve", resolve)
    monkeypatch.setattr(OAuthClient, "auth_server_for_pds", auth_server_for_pds)
    revoked: list[bool] = []
    real_revoke = OAuthClient.revoke

    async def revoke(self: OAuthClient, data: Any) -> bool:
        revoked.append(await real_revoke(self, data))
        return revoked[-1]

    monkeypatch.setattr(OAuthClient, "revoke", revoke)
    response = await api.get(
        "/auth/callback", params=callback_query(redirect), headers=browser(cookie)
    )
    assert response.status_code == 400
    assert "not served by the authorization server" in response.json()["detail"]
    assert await session_count(pds_app) == 0
    assert revoked == [True]
