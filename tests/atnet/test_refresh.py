"""Refresh-token rotation against the real PDS (M9, L17): rotated tokens are stored before
use even when the database is busy, app-password sessions of one account refresh once
between them, and logout revokes the token set that is current when it signs out."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, text, update

from plyr.atproto import sessions
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.oauth import OAuthAuth, OAuthClient, OAuthRefreshFailed, OAuthSessionExpired
from plyr.atproto.records import RecordBuilder
from plyr.atproto.sessions import pds_for, seal_oauth_session, seal_password_session
from plyr.auth import router as auth_router
from plyr.auth.service import AuthContext, resolve
from plyr.core import outbox
from plyr.core.config import Settings
from plyr.core.net import network_in_writer_allowed
from plyr.models import Session
from tests.atnet.helpers import running_on_network
from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.atnet.oauth_browser import oauth_sign_in
from tests.services import using_postgres


@pytest.fixture
async def pds_app(settings: Settings, atproto_net: AtprotoNet) -> AsyncIterator[FastAPI]:
    """No worker: the repo sync a sign-in enqueues would refresh concurrently."""
    settings.allow_app_passwords = True
    async with running_on_network(settings, atproto_net, with_worker=False) as application:
        yield application


def a_like(did: str) -> dict[str, Any]:
    return RecordBuilder(Lexicons()).like(
        subject_uri=f"at://{did}/fm.plyr.track/3m2abcdefgh22",
        subject_cid="bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        created_at=datetime.now(UTC),
    )


async def stored(app: FastAPI, did: str) -> tuple[str, dict[str, Any]]:
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        row = (
            await db.execute(select(Session.id, Session.oauth_data).where(Session.did == did))
        ).one()
    return row.id, runtime.secrets.open(row.oauth_data)


async def store(app: FastAPI, session_id: str, sealed: str) -> None:
    async with app.state.runtime.writer() as db:
        await db.execute(update(Session).where(Session.id == session_id).values(oauth_data=sealed))
        await db.commit()


async def expire_access_token(app: FastAPI, did: str) -> dict[str, Any]:
    session_id, data = await stored(app, did)
    await store(app, session_id, seal_oauth_session(app.state.runtime, {**data, "expires_at": 1.0}))
    return data


@pytest.mark.skipif(using_postgres(), reason="SQLite's one write lock is what is held here")
async def test_rotated_tokens_are_stored_while_the_database_is_busy(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("rhea"))
    await oauth_sign_in(api, account.handle, account.password)
    runtime = pds_app.state.runtime
    before = await expire_access_token(pds_app, account.did)

    held = asyncio.Event()

    async def hold_the_write_lock(seconds: float) -> None:
        async with runtime.writer() as db:
            await db.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: SQLite's write lock
            held.set()
            await asyncio.sleep(seconds)  # holds the lock that long, on purpose
            await db.rollback()

    holder = asyncio.create_task(hold_the_write_lock(11))  # past SQLite's 10 s busy timeout
    await held.wait()
    pds = await pds_for(runtime, account.did)
    assert pds is not None
    await pds.create_record("fm.plyr.like", a_like(account.did))  # refreshes, then writes
    await holder

    # a crash now loses everything in memory: the stored token set must be the live one
    _, after = await stored(pds_app, account.did)
    assert after["refresh_token"] != before["refresh_token"]
    assert (await OAuthClient.of(runtime).refresh(after))["refresh_token"]


@pytest.mark.skipif(using_postgres(), reason="SQLite's one write lock is what is held here")
async def test_rotated_tokens_the_database_cannot_take_are_a_503_not_a_lost_session(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = create_account(atproto_net, unique_handle("remy"))
    await oauth_sign_in(api, account.handle, account.password)
    runtime = pds_app.state.runtime
    before = await expire_access_token(pds_app, account.did)
    monkeypatch.setattr(
        sessions, "STORE_DEADLINE_S", 0.0, raising=False
    )  # give up after one busy wait

    async with runtime.writer() as db:
        await db.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: SQLite's write lock
        pds = await pds_for(runtime, account.did)
        assert pds is not None
        # the test holds the write lock itself, so the database is busy for the refresh
        with (
            network_in_writer_allowed("the test's stand-in for a busy database"),
            pytest.raises(OAuthRefreshFailed) as caught,
        ):
            await pds.create_record("fm.plyr.like", a_like(account.did))
        await db.rollback()
    assert caught.value.status == 503 and caught.value.error == "RefreshNotSaved"

    # the next request adopts the rotated tokens (kept sealed in the cache) and stores them
    again = await pds_for(runtime, account.did)
    assert again is not None and isinstance(again.auth, OAuthAuth)
    await again.create_record("fm.plyr.like", a_like(account.did))
    assert again.auth.refreshes == 0  # no second refresh: the old refresh token is spent
    _, after = await stored(pds_app, account.did)
    assert after["refresh_token"] != before["refresh_token"]
    assert (await OAuthClient.of(runtime).refresh(after))["refresh_token"]


async def test_app_password_sessions_of_one_account_refresh_once(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("pia"))
    response = await api.post(
        "/auth/app-password", json={"identifier": account.handle, "password": account.password}
    )
    assert response.status_code == 200, response.text
    runtime = pds_app.state.runtime
    session_id, data = await stored(pds_app, account.did)
    dead = {**data["tokens"], "accessJwt": data["tokens"]["accessJwt"][:-4] + "AAAA"}
    await store(pds_app, session_id, seal_password_session(runtime, data["pds_url"], dead))

    refreshes: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/com.atproto.server.refreshSession"):
            refreshes.append(str(request.url))

    runtime.http.event_hooks["request"].append(count)
    try:
        # two requests, each with its own client (as two requests or tasks build them)
        clients = [await pds_for(runtime, account.did) for _ in range(2)]
        refs = await asyncio.gather(
            *(c.create_record("fm.plyr.like", a_like(account.did)) for c in clients if c)
        )
    finally:
        runtime.http.event_hooks["request"].remove(count)
    assert len({r.uri for r in refs}) == 2  # both writes went through
    assert len(refreshes) == 1  # refresh tokens are single-use: one refresh between them
    _, now = await stored(pds_app, account.did)
    assert now["tokens"]["accessJwt"] != dead["accessJwt"]


async def test_logout_revokes_the_latest_token_set(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("lena"))
    token = await oauth_sign_in(api, account.handle, account.password)
    runtime = pds_app.state.runtime
    async with runtime.sessionmaker() as db:
        found = await resolve(db, token)  # what the logout request authenticated with
    assert found is not None
    user = AuthContext(artist=found[1], session=found[0], via_cookie=False)

    # meanwhile another request refreshes: the row now holds a newer token set
    await expire_access_token(pds_app, account.did)
    pds = await pds_for(runtime, account.did)
    assert pds is not None
    await pds.create_record("fm.plyr.like", a_like(account.did))
    _, latest = await stored(pds_app, account.did)

    revoked: list[str] = []

    async def watch(request: httpx.Request) -> None:
        if str(request.url) == latest["revocation_endpoint"]:
            revoked.extend(parse_qs(request.read().decode()).get("token", []))

    # the logout handler, as FastAPI calls it with that (older) authentication
    runtime.http.event_hooks["request"].append(watch)
    try:
        async with runtime.writer() as db:
            given = {"user": user, "db": db, "runtime": runtime, "request": None}
            names = inspect.signature(auth_router.logout).parameters
            response = await auth_router.logout(**{k: v for k, v in given.items() if k in names})
            await outbox.commit(runtime, db)  # as the request's unit of work: commit, perform
    finally:
        runtime.http.event_hooks["request"].remove(watch)
    assert response.status_code == 204
    # what was sent for revocation is the live token set (an authorization server that does
    # not end the whole grant for an old token would otherwise leave it working)
    assert latest["refresh_token"] in revoked and latest["access_token"] in revoked
    with pytest.raises(OAuthSessionExpired):
        await OAuthClient.of(runtime).refresh(latest)
