"""Several accounts in one browser: linked accounts and switching between them."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient

from plyr.auth import repository
from plyr.auth.service import create_session, hash_token
from tests.app import User


async def test_switch_between_accounts_of_one_browser(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    async with app.state.runtime.writer() as db:
        session, _ = await repository.get_with_artist(db, hash_token(alice.token))  # type: ignore[misc]
        group = session.group_id
        bob_token = await create_session(
            db, did="did:plc:bbbbbbbbbbbbbbbbbbbbbbbb", handle="bob.test", group_id=group
        )
        await db.commit()
    me = (await client.get("/auth/me", headers=alice.auth)).json()
    assert [a["handle"] for a in me["linked_accounts"]] == ["bob.test"]

    switched = await client.post(
        "/auth/switch-account", headers=alice.auth, json={"did": "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"}
    )
    assert switched.status_code == 200
    assert "session_id=" in switched.headers["set-cookie"]
    new = {"Authorization": f"Bearer {switched.json()['token']}"}
    assert (await client.get("/auth/me", headers=new)).json()["handle"] == "bob.test"
    assert (
        await client.get("/auth/me", headers={"Authorization": f"Bearer {bob_token}"})
    ).status_code == 401
    # alice is still signed in, and an account outside the group cannot be switched to
    assert (await client.get("/auth/me", headers=alice.auth)).status_code == 200
    stranger = await client.post(
        "/auth/switch-account", headers=alice.auth, json={"did": "did:plc:cccccccccccccccccccccccc"}
    )
    assert stranger.status_code == 404


async def test_logout_all_ends_every_account_of_the_browser(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    async with app.state.runtime.writer() as db:
        session, _ = await repository.get_with_artist(db, hash_token(alice.token))  # type: ignore[misc]
        other = await create_session(
            db, did="did:plc:dddddddddddddddddddddddd", handle="dee.test", group_id=session.group_id
        )
        await db.commit()
    assert (await client.post("/auth/logout-all", headers=alice.auth)).status_code == 204
    for token in (alice.token, other):
        assert (
            await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 401
