"""Who is in a jam: starting one, joining (which leaves any other), leaving (the last one out
ends it), the host ending it, and jams left idle ending by themselves. Each change raises the
jam's revision and is published (`{type: "participant"}`, `{type: "ended"}`)."""

from __future__ import annotations

import secrets
import string
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.errors import Conflict, Forbidden
from plyr.core.runtime import Runtime
from plyr.jams import repository, state
from plyr.jams.errors import NotParticipant
from plyr.jams.schemas import JamIn, JamView
from plyr.jams.serial import bump, live_jam, locked_jam, now_ms, publish, serialized
from plyr.jams.service import check_tracks
from plyr.jams.views import jam_view
from plyr.models import Jam, utcnow

CODE_ALPHABET = string.ascii_lowercase + string.digits
CODE_LENGTH = 8
IN_ANOTHER_JAM = "you joined another jam meanwhile: leave it first"
# a jam nobody is connected to ends after an hour unchanged; any jam after a day unchanged
UNATTENDED_FOR = timedelta(hours=1)
IDLE_FOR = timedelta(hours=24)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def _free_code(db: AsyncSession) -> str:
    while await repository.code_taken(db, code := new_code()):
        pass  # 36^8 codes: a collision is rare, two in a row rarer still
    return code


async def leave_current(db: AsyncSession, runtime: Runtime, did: str) -> None:
    """Leave the jam `did` is in, if any (committed)."""
    current = await repository.active_jam_of(db, did)
    if current is not None:
        await leave(db, runtime, current.code, did)


async def create(db: AsyncSession, runtime: Runtime, did: str, body: JamIn) -> JamView:
    """Start a jam with the host's queue; the host joins it (and leaves any other)."""
    await check_tracks(db, body.track_ids, did, [])
    await leave_current(db, runtime, did)
    initial = state.new_state(
        body.track_ids, body.current_index, body.is_playing, body.progress_ms, now_ms()
    )
    jam = await repository.add_jam(db, await _free_code(db), did, body.name, initial)
    try:
        await repository.add_participant(db, jam.id, did)
    except IntegrityError as e:
        raise Conflict(IN_ANOTHER_JAM) from e
    view = await jam_view(db, runtime, jam, did)
    await db.commit()
    return view


async def join(db: AsyncSession, runtime: Runtime, code: str, did: str) -> JamView:
    """Join (404 / 410 first; already in it: nothing changes)."""
    jam = await live_jam(db, code)
    if await repository.is_participant(db, jam.id, did):
        return await jam_view(db, runtime, jam, did)
    await leave_current(db, runtime, did)
    async with serialized(runtime, db, code):
        jam = await locked_jam(db, code)
        try:
            await repository.add_participant(db, jam.id, did)
        except IntegrityError as e:
            raise Conflict(IN_ANOTHER_JAM) from e
        revision = bump(jam)
        view = await jam_view(db, runtime, jam, did)
        await db.commit()
        event = {"type": "participant", "event": "joined", "did": did}
        await publish(runtime, jam.id, revision, event)
    return view


async def leave(db: AsyncSession, runtime: Runtime, code: str, did: str) -> None:
    """Leave; their clients stop being outputs; the last one out ends the jam."""
    async with serialized(runtime, db, code):
        jam = await locked_jam(db, code)
        if not await repository.is_participant(db, jam.id, did):
            raise NotParticipant()
        await repository.mark_left(db, jam.id, did)
        left = bump(jam)
        moved = _without_clients_of(jam, did)
        moved_revision = bump(jam, moved) if moved is not None else None
        ended = await repository.participant_count(db, jam.id) == 0
        end_revision = _end(jam) if ended else None
        await db.commit()
        await publish(runtime, jam.id, left, {"type": "participant", "event": "left", "did": did})
        if moved is not None and moved_revision is not None:
            output = {"type": "state", "state": moved, "tracks_changed": False}
            await publish(
                runtime, jam.id, moved_revision, {**output, "actor": {"did": did, "type": "leave"}}
            )
        if end_revision is not None:
            await publish(runtime, jam.id, end_revision, {"type": "ended"})


def _without_clients_of(jam: Jam, did: str) -> state.State | None:
    """Drop `did`'s clients; the new state when one of them was the output."""
    remaining = [(c[0], c[1]) for c in jam.clients if c[1] != did]
    jam.clients = remaining
    output = jam.state["output_client_id"]
    if output is None or jam.state["output_did"] != did:
        return None
    return state.on_disconnect(jam.state, output, remaining, jam.host_did, now_ms())


def _end(jam: Jam) -> int:
    jam.is_active = False
    jam.ended_at = utcnow()
    jam.clients = []
    return bump(jam, state.pause(jam.state, now_ms()))


async def end(db: AsyncSession, runtime: Runtime, code: str, did: str) -> None:
    """The host ends the jam for everyone (403 for anyone else)."""
    async with serialized(runtime, db, code):
        jam = await locked_jam(db, code)
        if jam.host_did != did:
            raise Forbidden("only the host can end the jam")
        await repository.mark_left(db, jam.id)
        revision = _end(jam)
        await db.commit()
        await publish(runtime, jam.id, revision, {"type": "ended"})


async def end_idle(runtime: Runtime) -> int:
    """End the jams left idle (see UNATTENDED_FOR, IDLE_FOR); returns how many."""
    now = utcnow()
    async with runtime.sessionmaker() as db:
        codes = await repository.idle_codes(db, now - UNATTENDED_FOR, now - IDLE_FOR)
    for code in codes:
        async with runtime.writer() as db, serialized(runtime, db, code):
            jam = await repository.by_code(db, code, lock=True)
            if jam is None or not jam.is_active:
                continue
            await repository.mark_left(db, jam.id)
            revision = _end(jam)
            await db.commit()
            await publish(runtime, jam.id, revision, {"type": "ended"})
    return len(codes)
