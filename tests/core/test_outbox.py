"""The outbox: one handler per kind, unknown kinds never taken as done, one performer per
entry at a time, effects performed only once their change commits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, update

from plyr.core import outbox
from plyr.core.config import Settings
from plyr.core.outbox import Kind, UnknownKind
from plyr.core.runtime import Runtime
from plyr.effects import HANDLERS
from plyr.models import PendingWrite, utcnow
from tests.app import User, running_app
from tests.audio.media import make_audio
from tests.helpers import media_files, poll, upload_track


@pytest.fixture
async def quiet(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with no worker: no sweep performs entries behind the test's back."""
    async with running_app(settings, with_worker=False) as application:
        yield application


def test_every_kind_has_a_handler_and_every_handler_a_kind() -> None:
    assert set(HANDLERS) == set(Kind)


def test_an_unknown_kind_raises() -> None:
    with pytest.raises(UnknownKind):
        outbox.handler_for(HANDLERS, "record_synk")


async def entries(app: FastAPI) -> list[PendingWrite]:
    async with app.state.runtime.sessionmaker() as db:
        return list((await db.scalars(select(PendingWrite).order_by(PendingWrite.id))).all())


async def add_entry(app: FastAPI, entry: PendingWrite) -> int:
    async with app.state.runtime.writer() as db:
        db.add(entry)
        await db.commit()
    return entry.id


async def test_an_entry_of_an_unknown_kind_is_never_taken_as_done(quiet: FastAPI) -> None:
    runtime = quiet.state.runtime
    await add_entry(quiet, PendingWrite(kind="retired_kind", payload={}))
    assert await outbox.drain(runtime, due_now=True) == 1
    [entry] = await entries(quiet)
    assert not entry.done and entry.attempts == 1 and "retired_kind" in (entry.last_error or "")
    assert entry.claimed_until is None  # released, to be retried


async def held_delete_entry(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, name: str, finish: asyncio.Event
) -> tuple[str, int, list[str]]:
    """A stored file and the entry that deletes it, whose delete lasts until `finish` is set:
    the file's key, the entry's id, and the keys each delete was started for."""
    runtime = app.state.runtime
    key = f"audio/{name:0>16}.mp3"
    await runtime.storage.put_bytes(key, b"x", "audio/mpeg")
    entry = PendingWrite(kind=Kind.STORAGE_DELETE, payload={"keys": [key]})
    entry_id = await add_entry(app, entry)
    runs: list[str] = []
    real_delete = runtime.storage.delete

    async def held_delete(key: str) -> None:
        runs.append(key)
        await finish.wait()
        await real_delete(key)

    monkeypatch.setattr(runtime.storage, "delete", held_delete)
    return key, entry_id, runs


async def sweep_leaving_it(runtime: Runtime) -> int:
    """A sweep that must not take the held entry over (if it did, its delete would wait for
    `finish` too, and the test would fail here instead of hanging)."""
    failed: int = await asyncio.wait_for(outbox.drain(runtime, due_now=True), timeout=15)
    return failed


async def test_two_performers_never_run_one_entry_at_once(
    quiet: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = quiet.state.runtime
    finish = asyncio.Event()
    key, entry_id, runs = await held_delete_entry(quiet, monkeypatch, "ee", finish)
    performer = asyncio.create_task(outbox.perform(runtime, [entry_id]))
    await poll(lambda: runs, what="the first performer's delete to start")
    assert await sweep_leaving_it(runtime) == 0  # the other performer tries meanwhile
    finish.set()
    assert await performer == 0 and runs == [key]
    assert not await runtime.storage.exists(key)
    assert (await entries(quiet))[0].done


async def test_a_lease_that_ran_out_is_claimed_again(quiet: FastAPI) -> None:
    """A process died holding the entry: once its lease ends, another performs it."""
    runtime = quiet.state.runtime
    key = "audio/00000000000000ef.mp3"
    await runtime.storage.put_bytes(key, b"x", "audio/mpeg")
    held = PendingWrite(
        kind=Kind.STORAGE_DELETE, payload={"keys": [key]}, claimed_until=utcnow() + outbox.LEASE
    )
    entry_id = await add_entry(quiet, held)
    assert await outbox.drain(runtime, due_now=True) == 0
    assert await runtime.storage.exists(key)  # held: left to its holder
    async with runtime.writer() as db:
        past = utcnow() - timedelta(seconds=1)
        await db.execute(
            update(PendingWrite).where(PendingWrite.id == entry_id).values(claimed_until=past)
        )
        await db.commit()
    assert await outbox.drain(runtime, due_now=True) == 0
    assert not await runtime.storage.exists(key)


async def test_effects_of_a_change_that_rolls_back_are_never_performed(quiet: FastAPI) -> None:
    runtime = quiet.state.runtime
    key = "audio/00000000000000f0.mp3"
    await runtime.storage.put_bytes(key, b"x", "audio/mpeg")
    with pytest.raises(RuntimeError):
        async with runtime.writer() as db:
            await outbox.add(db, Kind.STORAGE_DELETE, {"keys": [key]})
            raise RuntimeError("the change failed")
    assert await outbox.drain(runtime, due_now=True) == 0
    assert await runtime.storage.exists(key) and await entries(quiet) == []


async def test_a_delete_is_performed_before_its_answer_and_recorded_once(
    app: FastAPI, client: AsyncClient, alice: User, settings: Settings, tmp_path: Path
) -> None:
    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="t")
    before = {e.id for e in await entries(app)}
    response = await client.delete(f"/tracks/{track['id']}", headers=alice.auth)
    assert response.status_code == 204
    assert media_files(settings) == []
    done = {(e.kind, e.done) for e in await entries(app) if e.id not in before}
    assert done == {
        (Kind.TRACK_DELETE, True),  # no PDS here: nothing to remove, done
        (Kind.AUDIO_CHANGED, True),
        (Kind.STORAGE_DELETE, True),
        (Kind.CATALOG_CHANGED, True),
    }


async def test_the_same_effect_waiting_is_not_recorded_twice(quiet: FastAPI) -> None:
    runtime = quiet.state.runtime
    for _ in range(2):
        async with runtime.writer() as db:
            await outbox.add(db, Kind.PROFILE_SYNC, {"did": "did:plc:x"}, did="did:plc:x")
            await outbox.add(db, Kind.PROFILE_SYNC, {"did": "did:plc:x"}, did="did:plc:x")
            await db.commit()  # not performed: it waits
    assert len(await entries(quiet)) == 1


async def claim_of(app: FastAPI, entry_id: int) -> datetime | None:
    """Until when the entry is claimed (None: not claimed)."""
    async with app.state.runtime.sessionmaker() as db:
        entry = await db.get(PendingWrite, entry_id)
        assert entry is not None
        return entry.claimed_until


async def test_a_performer_keeps_its_claim_while_it_works(
    quiet: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An effect that outlasts the lease (a large blob upload) is not taken over."""
    runtime = quiet.state.runtime
    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=0.6))
    finish = asyncio.Event()
    key, entry_id, runs = await held_delete_entry(quiet, monkeypatch, "f1", finish)
    performer = asyncio.create_task(outbox.perform(runtime, [entry_id]))
    first = await poll(lambda: claim_of(quiet, entry_id), what="the performer's claim")

    async def renewed_after_the_first_lease() -> bool:
        # renewed at t, a claim holds until t + LEASE: so t is past the first lease's end
        until = await claim_of(quiet, entry_id)
        return until is not None and until >= first + outbox.LEASE

    await poll(renewed_after_the_first_lease, timeout=15, interval=0.05, what="a renewal")
    assert await sweep_leaving_it(runtime) == 0
    finish.set()
    assert await performer == 0 and runs == [key]
