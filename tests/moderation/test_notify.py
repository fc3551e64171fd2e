"""Admins are told of new items: a JSON webhook (tested against a local receiver) and a
Bluesky DM from a bot account (tested against a recorded exchange replayed by a local
server), both outbox entries written with the item and performed once it commits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, update
from starlette.requests import Request

from plyr.core import outbox
from plyr.models import PendingWrite, utcnow
from plyr.moderation.notify.bluesky_chat import BlueskyChat
from tests.app import User
from tests.helpers import poll
from tests.json_server import Answer, JsonServer

EXCHANGE = Path(__file__).parent / "data" / "bluesky_chat_exchange.json"


async def _report(client: AsyncClient, song: dict[str, Any], who: User) -> int:
    body = {"target_type": "track", "target_id": str(song["id"]), "reason": "abuse"}
    response = await client.post("/moderation/reports", json=body, headers=who.auth)
    assert response.status_code == 201
    return int(response.json()["id"])


async def test_the_webhook_hears_of_each_new_report(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User
) -> None:
    received: list[Any] = []

    async def receive(request: Request) -> Answer:
        received.append(await request.json())
        return 200, {}

    async with JsonServer() as receiver:
        receiver.on("POST", "/hook", receive)
        app.state.runtime.settings.notify_webhook_url = f"{receiver.url}/hook"
        item_id = await _report(client, song, bob)
        await poll(lambda: len(received) == 1)
    event = received[0]
    assert event["event"] == "moderation.item_opened"
    assert event["item"]["id"] == item_id
    assert (event["item"]["kind"], event["item"]["reason"]) == ("report", "abuse")
    assert event["item"]["target_id"] == str(song["id"])
    assert event["item"]["url"].endswith(f"/admin#item-{item_id}")


async def test_a_failing_webhook_is_retried(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User
) -> None:
    answers = [500, 200]
    received: list[Any] = []

    async def receive(request: Request) -> Answer:
        received.append(await request.json())
        return answers.pop(0) if answers else 200, {}

    async with JsonServer() as receiver:
        receiver.on("POST", "/hook", receive)
        app.state.runtime.settings.notify_webhook_url = f"{receiver.url}/hook"
        await _report(client, song, bob)
        runtime = app.state.runtime
        await poll(lambda: _attempts(runtime), what="the first attempt to fail")
        async with runtime.writer() as db:  # the backoff over
            await db.execute(update(PendingWrite).values(next_attempt_at=utcnow()))
            await db.commit()
        assert await outbox.drain(runtime) == 0
    assert len(received) == 2 and received[0] == received[1]


async def _attempts(runtime: Any) -> int:
    async with runtime.sessionmaker() as db:
        found = await db.scalar(
            select(PendingWrite.attempts).where(PendingWrite.kind == "notify_webhook")
        )
        return int(found or 0)


def _replaying(server: JsonServer, recipient: str, seen: list[str]) -> None:
    """Serve the recorded exchange, checking each request against the recorded one."""
    for step in json.loads(EXCHANGE.read_text())["exchange"]:
        asked, answer = step["request"], step["response"]

        async def handle(request: Request, asked: Any = asked, answer: Any = answer) -> Answer:
            for name, value in asked.get("headers", {}).items():
                assert request.headers.get(name) == value
            for name, value in asked.get("query", {}).items():
                assert request.query_params.get(name) == value.replace("RECIPIENT", recipient)
            if asked["method"] == "POST":
                body = await request.json()
                assert asked["json"].items() <= body.items()
                if "message" in body:
                    seen.append(body["message"]["text"])
            if "createSession" not in asked["path"]:
                assert request.headers["authorization"].startswith("Bearer eyJ")
            return answer["status"], json.loads(
                json.dumps(answer["json"]).replace("RECIPIENT", recipient)
            )

        server.on(asked["method"], asked["path"], handle)


async def test_the_dm_sender_replays_a_recorded_exchange(app: FastAPI) -> None:
    seen: list[str] = []
    async with JsonServer() as pds:
        _replaying(pds, "did:plc:admin", seen)
        chat = BlueskyChat(
            app.state.runtime.http,
            pds_url=pds.url,
            identifier="modbot.test",
            password="aaaa-bbbb-cccc-dddd",
            chat_service="did:web:api.bsky.chat#bsky_chat",
        )
        assert await chat.send("did:plc:admin", "hello") == "3lbxdqf5yjs2y"
        assert await chat.send("did:plc:admin", "again") == "3lbxdqf5yjs2y"
        # one sign-in, reused
        assert pds.asked("/xrpc/com.atproto.server.createSession") == 1
    assert seen == ["hello", "again"]


async def test_each_admin_gets_a_dm_about_a_new_report(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User
) -> None:
    seen: list[str] = []
    async with JsonServer() as pds:
        _replaying(pds, "did:plc:admin", seen)
        settings = app.state.runtime.settings
        settings.notify_dm_handle = "modbot.test"
        settings.notify_dm_password = "aaaa-bbbb-cccc-dddd"
        settings.notify_dm_pds_url = pds.url
        settings.admin_dids = "did:plc:admin"
        item_id = await _report(client, song, bob)
        await poll(lambda: len(seen) == 1)
    assert f"/admin#item-{item_id}" in seen[0] and "report (abuse)" in seen[0]
