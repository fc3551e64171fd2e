"""/queue/: one queue per listener across devices, with ETag/If-Match."""

from __future__ import annotations

import asyncio

from httpx import AsyncClient

from tests.app import User

STATE = {
    "track_ids": [3, 1, 2],
    "current_index": 1,
    "progress_ms": 4200,
    "shuffle": False,
    "repeat": "all",
}


async def test_empty_queue_is_revision_zero(client: AsyncClient, alice: User) -> None:
    response = await client.get("/queue/", headers=alice.auth)
    assert response.status_code == 200 and response.headers["etag"] == '"0"'
    assert response.json() == {
        "state": {
            "track_ids": [],
            "current_index": 0,
            "progress_ms": 0,
            "shuffle": False,
            "repeat": "none",
        },
        "revision": 0,
    }


async def test_put_then_get_and_revisions_count_up(client: AsyncClient, alice: User) -> None:
    first = await client.put("/queue/", json={"state": STATE}, headers=alice.auth)
    assert first.status_code == 200 and first.json()["revision"] == 1
    assert first.headers["etag"] == '"1"'
    second = await client.put(
        "/queue/",
        json={"state": {**STATE, "current_index": 2}},
        headers={**alice.auth, "If-Match": '"1"'},
    )
    assert second.json()["revision"] == 2
    got = await client.get("/queue/", headers=alice.auth)
    assert got.json()["state"]["current_index"] == 2 and got.headers["etag"] == '"2"'


async def test_a_stale_if_match_is_a_409(client: AsyncClient, alice: User) -> None:
    await client.put("/queue/", json={"state": STATE}, headers=alice.auth)
    await client.put("/queue/", json={"state": STATE}, headers={**alice.auth, "If-Match": '"1"'})
    stale = await client.put(
        "/queue/",
        json={
            "state": {**STATE, "track_ids": [9, 8]},
        },
        headers={**alice.auth, "If-Match": '"1"'},
    )
    assert stale.status_code == 409 and "conflict" in stale.json()["detail"]
    assert (await client.get("/queue/", headers=alice.auth)).json()["state"]["track_ids"] == [
        3,
        1,
        2,
    ]
    blind = await client.put(
        "/queue/",
        json={"state": {**STATE, "track_ids": [9], "current_index": 0}},
        headers=alice.auth,
    )
    assert blind.status_code == 200 and blind.json()["revision"] == 3


async def test_two_devices_racing_one_wins(client: AsyncClient, alice: User) -> None:
    await client.put("/queue/", json={"state": STATE}, headers=alice.auth)
    puts = [
        client.put(
            "/queue/",
            json={"state": {**STATE, "progress_ms": ms}},
            headers={**alice.auth, "If-Match": '"1"'},
        )
        for ms in (1000, 2000)
    ]
    statuses = sorted(r.status_code for r in await asyncio.gather(*puts))
    assert statuses == [200, 409]
    assert (await client.get("/queue/", headers=alice.auth)).json()["revision"] == 2


async def test_first_put_with_if_match_zero_creates(client: AsyncClient, alice: User) -> None:
    created = await client.put(
        "/queue/", json={"state": STATE}, headers={**alice.auth, "If-Match": '"0"'}
    )
    assert created.status_code == 200 and created.json()["revision"] == 1
    again = await client.put(
        "/queue/", json={"state": STATE}, headers={**alice.auth, "If-Match": '"0"'}
    )
    assert again.status_code == 409


async def test_bad_queues_are_refused(client: AsyncClient, alice: User) -> None:
    for state in (
        {**STATE, "current_index": 3},
        {**STATE, "repeat": "forever"},
        {**STATE, "progress_ms": -1},
        {**STATE, "track_ids": list(range(1001))},
    ):
        assert (
            await client.put("/queue/", json={"state": state}, headers=alice.auth)
        ).status_code == 422
    bad_etag = await client.put(
        "/queue/", json={"state": STATE}, headers={**alice.auth, "If-Match": "abc"}
    )
    assert bad_etag.status_code == 400


async def test_queues_are_per_listener(client: AsyncClient, alice: User, bob: User) -> None:
    assert (await client.get("/queue/")).status_code == 401
    assert (await client.put("/queue/", json={"state": STATE})).status_code == 401
    await client.put("/queue/", json={"state": STATE}, headers=alice.auth)
    assert (await client.get("/queue/", headers=bob.auth)).json()["revision"] == 0
