"""The jam WebSocket over a real server: sync (snapshot or replay), commands reaching every
socket in revision order, ping, the close codes, the message rate limit, the output device
moving when its client leaves."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from httpx import ASGITransport, AsyncClient

from plyr.core.config import Settings
from plyr.jams.fanout import KEY as LOG_KEY
from plyr.jams.fanout import MemoryJamLog
from plyr.jams.hub import hub
from plyr.jams.presence import Claim, presence
from tests.app import PUBLIC_URL, User, make_user
from tests.helpers import poll
from tests.jams.sockets import add_tracks, jam_app, jam_body, peer, revisions, served, with_redis


@dataclass
class Jams:
    app: FastAPI
    base: str  # ws://host:port
    http: AsyncClient
    alice: User
    bob: User

    async def start(self, host: User) -> str:
        tracks = await add_tracks(self.app.state.runtime.settings.resolved_database_url, host.did)
        response = await self.http.post("/jams/", json=jam_body(tracks), headers=host.auth)
        assert response.status_code == 201, response.text
        code: str = response.json()["code"]
        return code

    async def join(self, user: User, code: str) -> None:
        response = await self.http.post(f"/jams/{code}/join", headers=user.auth)
        assert response.status_code == 200, response.text

    async def state(self, code: str, user: User) -> dict[str, Any]:
        """The jam's state as the service has it now."""
        service = importlib.import_module("plyr.jams.service")
        async with self.app.state.runtime.sessionmaker() as db:
            jam = jsonable_encoder(await service.snapshot(db, code, user.did))
        state: dict[str, Any] = jam["state"]
        return state

    def socket(self, code: str, user: User | None = None, **headers: str) -> Any:
        return peer(self.base, code, {**(user.auth if user else {}), **headers})


@pytest.fixture(params=["memory", "redis"])
async def jams(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Jams]:
    """The app on a real server, its log and presence in memory or in Redis, and two users."""
    if request.param == "redis":
        settings = with_redis(settings, request.getfixturevalue("redis_url"))
    async with jam_app(settings) as app, served(app) as base:
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
            alice, bob = await make_user(app, "alice.test"), await make_user(app, "bob.test")
            yield Jams(app, base, http, alice, bob)


def state_of(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "state", message
    state: dict[str, Any] = message["state"]
    return state


async def test_sync_sends_a_snapshot_and_the_first_client_gets_the_output(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    async with jams.socket(code, jams.alice) as tab:
        snapshot = await tab.sync("tab-a")
        assert snapshot["snapshot"] is True
        assert snapshot["jam"]["code"] == code
        assert snapshot["stream_id"] and snapshot["tracks_changed"] is True
        output = await tab.next(lambda m: state_of(m)["output_client_id"] == "tab-a")
        assert output["revision"] == snapshot["revision"] + 1
        assert output["stream_id"] != snapshot["stream_id"]
        await tab.send({"type": "ping"})
        assert (await tab.next(lambda m: m["type"] != "state"))["type"] == "pong"


async def test_a_command_reaches_every_socket_in_order(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    await jams.join(jams.bob, code)
    async with jams.socket(code, jams.alice) as a, jams.socket(code, jams.bob) as b:
        await a.sync("tab-a")
        await b.sync("tab-b")
        await b.command(type="play")
        await a.next(lambda m: state_of(m)["is_playing"])
        await a.command(type="seek", position_ms=42_000)
        for tab in (a, b):
            seek = await tab.next(lambda m: state_of(m)["progress_ms"] == 42_000)
            assert seek["state"]["is_playing"] is True
            assert seek["actor"]["did"] == jams.alice.did
        assert revisions(a)[-1] == revisions(b)[-1]
        for tab in (a, b):  # each revision once, rising by one, from the first it saw
            seen = revisions(tab)
            assert seen == list(range(seen[0], seen[0] + len(seen)))


async def test_reconnecting_with_last_id_replays_what_was_missed(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    await jams.join(jams.bob, code)
    async with jams.socket(code, jams.bob) as b:
        await b.sync("tab-b")
        await b.next(lambda m: state_of(m)["output_client_id"] == "tab-b")
        last_id, last_revision = b.last_id, revisions(b)[-1]
    async with jams.socket(code, jams.alice) as a:
        await a.sync("tab-a")
        await a.command(type="play")
        await a.command(type="seek", position_ms=7_000)
        await a.next(lambda m: state_of(m)["progress_ms"] == 7_000)
        async with jams.socket(code, jams.bob) as again:
            replayed = await again.sync("tab-b", last_id=last_id)
            assert "snapshot" not in replayed
            assert replayed["revision"] == last_revision + 1
            await again.next(lambda m: state_of(m)["progress_ms"] == 7_000)
            seen = revisions(again)
            assert seen == list(range(last_revision + 1, last_revision + 1 + len(seen)))


async def test_an_unknown_or_trimmed_last_id_gets_a_snapshot(jams: Jams) -> None:
    jams.app.state.runtime.process_state[LOG_KEY] = MemoryJamLog(maxlen=2)
    code = await jams.start(jams.alice)
    async with jams.socket(code, jams.alice) as a:
        first = await a.sync("tab-a")
        for position in (1_000, 2_000, 3_000):
            await a.command(type="seek", position_ms=position)
        await a.next(lambda m: state_of(m)["progress_ms"] == 3_000)
    for last_id in (first["stream_id"], "nonsense", "999999-1"):
        async with jams.socket(code, jams.alice) as again:
            snapshot = await again.sync("tab-a", last_id=last_id)
            assert snapshot["snapshot"] is True
            assert snapshot["state"]["progress_ms"] == 3_000


async def test_refusals_close_with_the_spec_codes(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    cookie = f"session_id={jams.alice.token}"
    async with jams.socket(code) as anonymous:
        assert await anonymous.closed_with() == 4001
    async with jams.socket(code, Authorization="Bearer not-a-token") as forged:
        assert await forged.closed_with() == 4001
    async with jams.socket(code, Cookie=cookie, Origin="https://evil.example") as hijack:
        assert await hijack.closed_with() == 4002
    async with jams.socket(code, Cookie=cookie) as no_origin:
        assert await no_origin.closed_with() == 4002
    async with jams.socket(code, jams.bob) as outsider:
        assert await outsider.closed_with() == 4003
    async with jams.socket("nosuchjm", jams.alice) as lost:
        assert await lost.closed_with() == 4004
    async with jams.socket(code, Cookie=cookie, Origin=PUBLIC_URL) as page:
        assert (await page.sync("tab-a"))["snapshot"] is True


async def test_idle_sockets_are_closed(jams: Jams, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("plyr.jams.socket.IDLE_S", 0.5)
    code = await jams.start(jams.alice)
    async with jams.socket(code, jams.alice) as tab:
        await tab.sync("tab-a")
        assert await tab.closed_with() == 4008


async def test_a_full_jam_refuses_more_clients(jams: Jams, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("plyr.jams.socket.MAX_CLIENTS", 2)
    code = await jams.start(jams.alice)
    async with jams.socket(code, jams.alice) as a, jams.socket(code, jams.alice) as b:
        for tab in (a, b):  # checked and counted (the handshake comes before the checks)
            await tab.send({"type": "ping"})
            await tab.next(lambda m: m["type"] == "pong")
        async with jams.socket(code, jams.alice) as c:  # two sockets here already
            assert await c.closed_with() == 4009
        await a.sync("tab-a")
    jam_id = next(m["jam"]["id"] for m in a.seen if "jam" in m)
    # the server lets go of closed sockets in its own time: the next two must not meet them
    sockets_here = hub(jams.app.state.runtime)
    await poll(lambda: sockets_here.count(jam_id) == 0, what="the closed sockets to be let go")
    # a client synced through another process counts as much as one here
    await presence(jams.app.state.runtime).claim(jam_id, Claim("elsewhere", jams.bob.did), "t")
    async with jams.socket(code, jams.alice) as a, jams.socket(code, jams.alice) as b:
        await a.sync("tab-a")
        await b.send({"type": "sync", "client_id": "tab-b"})
        assert await b.closed_with() == 4009


async def test_a_newer_socket_of_the_same_client_replaces_the_older(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    async with jams.socket(code, jams.alice) as old, jams.socket(code, jams.alice) as new:
        await old.sync("tab-a")
        await old.next(lambda m: state_of(m)["output_client_id"] == "tab-a")
        await new.sync("tab-a")
        assert await old.closed_with() == 4010
        await new.command(type="play")
        playing = await new.next(lambda m: state_of(m)["is_playing"])
        assert playing["state"]["output_client_id"] == "tab-a"  # the client kept the output


async def test_over_twenty_messages_a_second_are_dropped(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    async with jams.socket(code, jams.alice) as tab:
        for _ in range(30):
            await tab.send({"type": "ping"})
        error = await tab.next(lambda m: m["type"] == "error")
        assert "too many messages" in error["message"]
        await tab.send({"type": "ping"})  # dropped too: still within the same second
        with pytest.raises(TimeoutError):
            await tab.next(lambda m: False, timeout=1.2)
        pongs = [m for m in tab.seen if m["type"] == "pong"]
        assert len(pongs) == 20
        await tab.send({"type": "ping"})  # a second later the socket answers again
        await tab.next(lambda m: m["type"] == "pong")


async def test_bad_messages_get_an_error_not_a_close(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    async with jams.socket(code, jams.alice) as tab:
        for bad in ("not json", "[1]", '{"type": "dance"}', '{"type": "command"}'):
            await tab.conn.send(bad)
            assert (await tab.next(lambda m: True))["type"] == "error"
        await tab.send({"type": "sync", "client_id": "has spaces"})
        assert (await tab.next(lambda m: True))["type"] == "error"
        await tab.sync("tab-a")
        await tab.command(type="dance")
        error = await tab.next(lambda m: m["type"] == "error")
        assert "dance" in error["message"]
        await tab.send({"type": "ping"})
        await tab.next(lambda m: m["type"] == "pong")


async def test_the_output_moves_when_its_client_leaves(
    jams: Jams, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plyr.jams.socket.GRACE_S", 0.2)
    code = await jams.start(jams.alice)
    await jams.join(jams.bob, code)
    async with jams.socket(code, jams.bob) as b:
        async with jams.socket(code, jams.alice) as a:
            await a.sync("tab-a")
            await a.next(lambda m: state_of(m)["output_client_id"] == "tab-a")
            await b.sync("tab-b")
            await a.command(type="play")
            await b.next(lambda m: state_of(m)["is_playing"])
        moved = await b.next(lambda m: state_of(m)["output_client_id"] == "tab-b")
        assert moved["state"]["is_playing"] is True

    # the last one out: the output is cleared and the jam paused
    async def cleared() -> bool:
        state = await jams.state(code, jams.alice)
        return state["output_client_id"] is None and not state["is_playing"]

    await poll(cleared, what="the output to clear and the jam to pause")


async def test_leaving_the_jam_closes_its_sockets(jams: Jams) -> None:
    code = await jams.start(jams.alice)
    await jams.join(jams.bob, code)
    async with jams.socket(code, jams.bob) as b:
        await b.sync("tab-b")
        response = await jams.http.post(f"/jams/{code}/leave", headers=jams.bob.auth)
        assert response.status_code < 300
        assert await b.closed_with() == 4003


async def test_a_client_back_within_the_grace_keeps_the_output(
    jams: Jams, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plyr.jams.socket.GRACE_S", 0.3)
    code = await jams.start(jams.alice)
    await jams.join(jams.bob, code)
    async with jams.socket(code, jams.bob) as b:
        async with jams.socket(code, jams.alice) as a:
            await a.sync("tab-a")
            await a.next(lambda m: state_of(m)["output_client_id"] == "tab-a")
            await b.sync("tab-b")
            last_id = a.last_id
        async with jams.socket(code, jams.alice) as again:  # a reload
            # up to date: nothing to replay, and nothing is sent (the pong shows it synced)
            await again.send({"type": "sync", "client_id": "tab-a", "last_id": last_id})
            await again.send({"type": "ping"})
            assert (await again.recv())["type"] == "pong"
            await asyncio.sleep(0.6)  # past the grace: the output would have moved by now
            await b.command(type="play")
            playing = await b.next(lambda m: state_of(m)["is_playing"])
            assert playing["state"]["output_client_id"] == "tab-a"
