"""The jam service: every command, one revision per change, never forked under concurrent
commands (from one process or two), the output device as clients come and go."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import update

from plyr.core.config import Settings
from plyr.core.runtime import Runtime
from plyr.jams import membership, service
from plyr.jams.fanout import JamEvent, jam_log
from plyr.jams.schemas import JamIn
from plyr.models import Jam, utcnow
from tests.app import User, running_app
from tests.helpers import poll, upload_tone


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


async def start(runtime: Runtime, host: User, track_ids: list[int], **fields: Any) -> str:
    async with runtime.writer() as db:
        jam = await membership.create(db, runtime, host.did, JamIn(track_ids=track_ids, **fields))
    return jam.code


async def join(runtime: Runtime, user: User, code: str) -> None:
    async with runtime.writer() as db:
        await membership.join(db, runtime, code, user.did)


async def command(runtime: Runtime, user: User, code: str, **payload: Any) -> service.CommandResult:
    async with runtime.writer() as db:
        return await service.run_command(db, runtime, code, user.did, payload, None)


async def connect(runtime: Runtime, user: User, code: str, client_id: str) -> None:
    async with runtime.writer() as db:
        await service.client_connected(db, runtime, code, user.did, client_id)


async def disconnect(
    runtime: Runtime, user: User, code: str, client_id: str, still: set[str]
) -> None:
    async with runtime.writer() as db:
        await service.client_disconnected(db, runtime, code, user.did, client_id, still)


async def snapshot(runtime: Runtime, user: User, code: str) -> dict[str, Any]:
    async with runtime.sessionmaker() as db:
        return (await service.snapshot(db, code, user.did)).model_dump(mode="json")


async def test_every_command_changes_the_state_by_one_revision(
    runtime: Runtime, alice: User, bob: User, songs: list[dict[str, Any]]
) -> None:
    ids = [s["id"] for s in songs]
    code = await start(runtime, alice, ids[:2])
    await join(runtime, bob, code)  # revision 2
    played = await command(runtime, bob, code, type="play")
    assert played.revision == 3 and played.state["is_playing"]
    assert not played.tracks_changed and played.tracks is None
    paused = await command(runtime, alice, code, type="pause")
    assert paused.revision == 4 and not paused.state["is_playing"]
    sought = await command(runtime, bob, code, type="seek", position_ms=1500)
    assert sought.revision == 5 and sought.state["progress_ms"] == 1500
    queued = await command(runtime, bob, code, type="update_queue", track_ids=ids, current_index=1)
    assert queued.revision == 6 and queued.tracks_changed
    assert [t.id for t in queued.tracks or []] == ids
    assert queued.state["current_track_id"] == ids[1] and queued.state["progress_ms"] == 0
    assert queued.jam.revision == 6 and [t.id for t in queued.jam.tracks] == ids
    mode = await command(runtime, alice, code, type="set_mode", mode="everyone")
    assert mode.revision == 7 and mode.state["output_mode"] == "everyone"
    assert (await snapshot(runtime, bob, code))["revision"] == 7


async def test_commands_are_refused_with_a_reason(
    runtime: Runtime, alice: User, bob: User, song: dict[str, Any]
) -> None:
    code = await start(runtime, alice, [song["id"]])
    await join(runtime, bob, code)
    with pytest.raises(service.CommandRejected) as malformed:
        await command(runtime, bob, code, type="seek", position_ms=-5)
    assert malformed.value.status_code == 422
    with pytest.raises(service.CommandRejected) as unknown:
        await command(runtime, bob, code, type="dance")
    assert unknown.value.status_code == 422
    with pytest.raises(service.CommandRejected) as host_only:
        await command(runtime, bob, code, type="set_mode", mode="everyone")
    assert host_only.value.status_code == 403
    with pytest.raises(service.CommandRejected):
        await command(runtime, bob, code, type="update_queue", track_ids=[999_999])
    assert (await snapshot(runtime, bob, code))["revision"] == 2  # nothing changed


async def test_private_tracks_of_others_are_refused(
    runtime: Runtime, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    public = await upload_tone(client, alice, tmp_path, "Open", 300)
    private = await upload_tone(client, alice, tmp_path, "Mine", 420, visibility="private")
    with pytest.raises(service.CommandRejected):
        await start(runtime, bob, [private["id"]])
    code = await start(runtime, alice, [public["id"], private["id"]])  # her own: fine
    await join(runtime, bob, code)
    # bob may reorder what alice queued, but not add her private track anew
    reordered = await command(
        runtime, bob, code, type="update_queue", track_ids=[private["id"], public["id"]]
    )
    assert reordered.state["track_ids"] == [private["id"], public["id"]]
    await command(runtime, alice, code, type="update_queue", track_ids=[public["id"]])
    with pytest.raises(service.CommandRejected):
        await command(
            runtime, bob, code, type="update_queue", track_ids=[public["id"], private["id"]]
        )


async def test_the_index_is_clamped_and_progress_resets_only_on_a_new_track(
    runtime: Runtime, alice: User, songs: list[dict[str, Any]]
) -> None:
    a, b, c = (s["id"] for s in songs)
    code = await start(runtime, alice, [a, b], current_index=7, progress_ms=2000)
    jam = await snapshot(runtime, alice, code)
    assert jam["state"]["current_index"] == 1 and jam["state"]["current_track_id"] == b
    kept = await command(
        runtime, alice, code, type="update_queue", track_ids=[c, b], current_index=1
    )
    assert kept.state["progress_ms"] == 2000  # still b: the position stays
    clamped = await command(
        runtime, alice, code, type="update_queue", track_ids=[a], current_index=40
    )
    assert clamped.state["current_index"] == 0 and clamped.state["progress_ms"] == 0


async def run_many(runtimes: list[Runtime], users: list[User], code: str, n: int) -> list[int]:
    results = await asyncio.gather(
        *(
            command(
                runtimes[i % len(runtimes)], users[i % len(users)], code, type="seek", position_ms=i
            )
            for i in range(n)
        )
    )
    return sorted(r.revision for r in results)


async def test_concurrent_commands_never_fork_and_the_log_stays_in_order(
    runtime: Runtime, alice: User, bob: User, song: dict[str, Any]
) -> None:
    code = await start(runtime, alice, [song["id"]])
    jam_id = (await snapshot(runtime, alice, code))["id"]
    seen: list[JamEvent] = []

    async def listen() -> None:
        async with jam_log(runtime).subscribe(jam_id) as events:
            async for event in events:
                seen.append(event)

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    await join(runtime, bob, code)  # revision 2
    assert await run_many([runtime], [alice, bob], code, 50) == list(range(3, 53))
    await poll(lambda: len(seen) == 51, what="every event in the log")
    listener.cancel()
    assert [e.data["revision"] for e in seen] == list(range(2, 53))
    assert (await snapshot(runtime, alice, code))["revision"] == 52


async def test_fifty_concurrent_commands_are_revisions_two_to_fifty_one(
    runtime: Runtime, alice: User, song: dict[str, Any]
) -> None:
    code = await start(runtime, alice, [song["id"]])
    assert await run_many([runtime], [alice], code, 50) == list(range(2, 52))


async def test_two_processes_sharing_the_database_never_fork(
    runtime: Runtime, settings: Settings, alice: User, song: dict[str, Any]
) -> None:
    """Each process has its own lock of the jam: only the database's orders them."""
    code = await start(runtime, alice, [song["id"]])
    async with running_app(settings, with_worker=False) as other:
        revisions = await run_many([runtime, other.state.runtime], [alice], code, 50)
    assert revisions == list(range(2, 52))


async def test_the_output_follows_clients(
    runtime: Runtime, alice: User, bob: User, song: dict[str, Any]
) -> None:
    code = await start(runtime, alice, [song["id"]], is_playing=True)
    await join(runtime, bob, code)
    await connect(runtime, bob, code, "bob-phone")  # first: the speaker
    jam = await snapshot(runtime, alice, code)
    assert jam["state"]["output_client_id"] == "bob-phone" and jam["revision"] == 3
    await connect(runtime, alice, code, "alice-tab")  # no change, no revision
    await connect(runtime, bob, code, "bob-tab")
    assert (await snapshot(runtime, alice, code))["revision"] == 3
    # set_output: only a connected client of your own
    with pytest.raises(service.CommandRejected, match="your connected clients"):
        await command(runtime, alice, code, type="set_output", client_id="bob-tab")
    with pytest.raises(service.CommandRejected, match="your connected clients"):
        await command(runtime, alice, code, type="set_output", client_id="alice-elsewhere")
    moved = await command(runtime, bob, code, type="set_output", client_id="bob-tab")
    assert moved.state["output_client_id"] == "bob-tab" and moved.state["output_did"] == bob.did
    # the speaker leaves: the host's client takes over, still playing
    await disconnect(runtime, bob, code, "bob-tab", {"bob-phone", "alice-tab"})
    state = (await snapshot(runtime, alice, code))["state"]
    assert state["output_client_id"] == "alice-tab" and state["is_playing"]
    await disconnect(runtime, alice, code, "alice-tab", {"bob-phone"})
    assert (await snapshot(runtime, alice, code))["state"]["output_client_id"] == "bob-phone"
    await disconnect(runtime, bob, code, "bob-phone", set())
    state = (await snapshot(runtime, alice, code))["state"]
    assert state["output_client_id"] is None and state["is_playing"] is False


async def test_set_mode_everyone_clears_the_output(
    runtime: Runtime, alice: User, song: dict[str, Any]
) -> None:
    code = await start(runtime, alice, [song["id"]])
    await connect(runtime, alice, code, "tab")
    everyone = await command(runtime, alice, code, type="set_mode", mode="everyone")
    assert everyone.state["output_client_id"] is None
    with pytest.raises(service.CommandRejected, match="every client plays"):
        await command(runtime, alice, code, type="set_output", client_id="tab")
    back = await command(runtime, alice, code, type="set_mode", mode="one_speaker")
    assert back.state["output_client_id"] == "tab"


async def test_a_person_is_in_one_jam_and_the_last_one_out_ends_it(
    runtime: Runtime, alice: User, bob: User, song: dict[str, Any]
) -> None:
    first = await start(runtime, alice, [song["id"]])
    await join(runtime, bob, first)
    second = await start(runtime, bob, [song["id"]])  # bob leaves the first
    assert [p["did"] for p in (await snapshot(runtime, alice, first))["participants"]] == [
        alice.did
    ]
    await join(runtime, alice, second)  # alice leaves the first: nobody is left, it ends
    with pytest.raises(service.JamEnded):
        await snapshot(runtime, alice, first)
    with pytest.raises(service.JamEnded):
        await command(runtime, alice, first, type="play")  # ended jams: 410 for anyone
    jam = await snapshot(runtime, alice, second)
    assert [p["did"] for p in jam["participants"]] == [bob.did, alice.did]


async def test_ending_publishes_and_refuses_further_commands(
    runtime: Runtime, alice: User, bob: User, song: dict[str, Any]
) -> None:
    code = await start(runtime, alice, [song["id"]])
    await join(runtime, bob, code)
    jam_id = (await snapshot(runtime, alice, code))["id"]
    async with runtime.writer() as db:
        await membership.end(db, runtime, code, alice.did)
    events = await jam_log(runtime).since(jam_id, "2-1")
    assert events is not None and [e.data["type"] for e in events] == ["ended"]
    with pytest.raises(service.JamEnded):
        await command(runtime, bob, code, type="play")
    with pytest.raises(service.JamNotFound):
        await command(runtime, bob, "zzzzzzzz", type="play")


async def age_jams(runtime: Runtime, by: timedelta) -> None:
    async with runtime.writer() as db:
        await db.execute(update(Jam).values(updated_at=utcnow() - by))
        await db.commit()


async def test_jams_left_idle_end(
    runtime: Runtime, alice: User, bob: User, song: dict[str, Any]
) -> None:
    nobody_there = await start(runtime, alice, [song["id"]])
    listened_to = await start(runtime, bob, [song["id"]])
    await connect(runtime, bob, listened_to, "bob-tab")
    await age_jams(runtime, timedelta(hours=2))
    assert await membership.end_idle(runtime) == 1  # nobody connected: it ends
    with pytest.raises(service.JamEnded):
        await snapshot(runtime, alice, nobody_there)
    assert (await snapshot(runtime, bob, listened_to))["is_active"]
    await age_jams(runtime, timedelta(days=2))  # a client that never said goodbye
    assert await membership.end_idle(runtime) == 1
    with pytest.raises(service.JamEnded):
        await snapshot(runtime, bob, listened_to)
