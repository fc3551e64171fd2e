"""`/jams/` over HTTP: start, find mine, show, preview (signed out too), join, leave, end,
commands, and the 403 / 404 / 410 answers."""

from __future__ import annotations

from typing import Any

from httpx import ASGITransport, AsyncClient

from plyr.core.config import Settings
from tests.app import PUBLIC_URL, User, make_user, running_app
from tests.services import TEST_RATE_LIMITS


async def start(client: AsyncClient, user: User, track_ids: list[int], **fields: Any) -> str:
    body = {"track_ids": track_ids, "current_index": 0, "is_playing": False, **fields}
    response = await client.post("/jams/", json=body, headers=user.auth)
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


async def test_start_join_command_and_read_a_jam(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]]
) -> None:
    ids = [s["id"] for s in songs]
    created = await client.post(
        "/jams/", json={"name": "Friday", "track_ids": ids, "progress_ms": 500}, headers=alice.auth
    )
    assert created.status_code == 201
    jam = created.json()
    assert len(jam["code"]) == 8 and jam["code"].isalnum() and jam["code"].islower()
    assert jam["revision"] == 1 and jam["is_active"] and jam["name"] == "Friday"
    assert jam["host"]["did"] == alice.did and [t["id"] for t in jam["tracks"]] == ids
    assert [p["did"] for p in jam["participants"]] == [alice.did]
    assert jam["state"]["current_track_id"] == ids[0] and jam["state"]["progress_ms"] == 500
    code = jam["code"]

    joined = await client.post(f"/jams/{code}/join", headers=bob.auth)
    assert joined.status_code == 200 and joined.json()["revision"] == 2
    played = await client.post(f"/jams/{code}/command", json={"type": "play"}, headers=bob.auth)
    assert played.status_code == 200
    assert played.json()["revision"] == 3 and played.json()["state"]["is_playing"]
    assert played.json()["tracks_changed"] is False and played.json()["tracks"] is None
    mine = await client.get("/jams/active", headers=bob.auth)
    assert mine.status_code == 200 and mine.json()["code"] == code
    shown = await client.get(f"/jams/{code}", headers=alice.auth)
    assert shown.json()["revision"] == 3
    assert [p["did"] for p in shown.json()["participants"]] == [alice.did, bob.did]


async def test_the_preview_is_for_anyone(
    client: AsyncClient, alice: User, song: dict[str, Any]
) -> None:
    code = await start(client, alice, [song["id"]], name="Open house")
    preview = await client.get(f"/jams/{code}/preview")
    assert preview.status_code == 200
    assert preview.json() == {
        "code": code,
        "name": "Open house",
        "host": {"handle": "alice.test", "display_name": "alice.test", "avatar_url": None},
        "participant_count": 1,
        "is_active": True,
    }
    assert (await client.get(f"/jams/{code}")).status_code == 401  # the jam itself: signed in
    assert (await client.get("/jams/nosuchjm/preview")).status_code == 404


async def test_not_a_participant_is_403_unknown_404_ended_410(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    code = await start(client, alice, [song["id"]])
    assert (await client.get(f"/jams/{code}", headers=bob.auth)).status_code == 403
    play = {"type": "play"}
    outsider = await client.post(f"/jams/{code}/command", json=play, headers=bob.auth)
    assert outsider.status_code == 403
    assert (await client.post(f"/jams/{code}/leave", headers=bob.auth)).status_code == 403
    assert (await client.get("/jams/active", headers=bob.auth)).status_code == 404
    unknown = await client.post("/jams/abcdefgh/command", json=play, headers=alice.auth)
    assert unknown.status_code == 404
    assert (await client.post("/jams/abcdefgh/join", headers=bob.auth)).status_code == 404

    await client.post(f"/jams/{code}/join", headers=bob.auth)
    assert (await client.post(f"/jams/{code}/end", headers=bob.auth)).status_code == 403
    assert (await client.post(f"/jams/{code}/end", headers=alice.auth)).status_code == 204
    ended = await client.post(f"/jams/{code}/command", json=play, headers=alice.auth)
    assert ended.status_code == 410
    assert (await client.get(f"/jams/{code}", headers=bob.auth)).status_code == 410
    assert (await client.post(f"/jams/{code}/join", headers=bob.auth)).status_code == 410
    assert (await client.get("/jams/active", headers=bob.auth)).status_code == 404
    preview = await client.get(f"/jams/{code}/preview")
    assert preview.json()["is_active"] is False and preview.json()["participant_count"] == 0


async def test_bad_commands_are_4xx(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    code = await start(client, alice, [song["id"]])
    await client.post(f"/jams/{code}/join", headers=bob.auth)
    path = f"/jams/{code}/command"
    for body in ({"type": "seek"}, {"type": "nope"}, {}, {"type": "seek", "position_ms": -1}):
        response = await client.post(path, json=body, headers=bob.auth)
        assert response.status_code == 422, body
    host_only = await client.post(
        path, json={"type": "set_mode", "mode": "everyone"}, headers=bob.auth
    )
    assert host_only.status_code == 403
    missing = await client.post(
        path, json={"type": "update_queue", "track_ids": [123456]}, headers=bob.auth
    )
    assert missing.status_code == 400
    output = await client.post(
        path, json={"type": "set_output", "client_id": "nope"}, headers=bob.auth
    )
    assert output.status_code == 400
    assert (await client.get(f"/jams/{code}", headers=bob.auth)).json()["revision"] == 2


async def test_leaving_and_the_last_one_out(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    code = await start(client, alice, [song["id"]])
    await client.post(f"/jams/{code}/join", headers=bob.auth)
    assert (await client.post(f"/jams/{code}/leave", headers=alice.auth)).status_code == 204
    jam = (await client.get(f"/jams/{code}", headers=bob.auth)).json()
    assert jam["is_active"] and [p["did"] for p in jam["participants"]] == [bob.did]
    assert (await client.post(f"/jams/{code}/leave", headers=bob.auth)).status_code == 204
    assert (await client.get(f"/jams/{code}/preview")).json()["is_active"] is False


async def test_starting_a_jam_with_someone_elses_private_track_is_refused(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    refused = await client.post("/jams/", json={"track_ids": [987654]}, headers=bob.auth)
    assert refused.status_code == 400
    assert (await client.get("/jams/active", headers=bob.auth)).status_code == 404


async def test_commands_are_rate_limited(settings: Settings) -> None:
    strict = settings.model_copy(update={"rate_limits": f"{TEST_RATE_LIMITS},jam_command=3/minute"})
    async with (
        running_app(strict, with_worker=False) as app,
        AsyncClient(transport=ASGITransport(app=app), base_url=PUBLIC_URL) as client,
    ):
        alice = await make_user(app, "alice.test")
        code = await start(client, alice, [])
        path = f"/jams/{code}/command"
        for _ in range(3):
            assert (await client.post(path, json={"type": "pause"}, headers=alice.auth)).is_success
        limited = await client.post(path, json={"type": "pause"}, headers=alice.auth)
        assert limited.status_code == 429 and "jam_command" in limited.json()["detail"]
        assert int(limited.headers["retry-after"]) >= 1
