"""The jam service: commands from any participant, serialized per jam (`plyr.jams.serial`),
each raising the revision by exactly 1 and published to the jam's log once committed; the
output device as clients come and go. The REST routes and the socket both call it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.errors import readable_validation_error
from plyr.core.runtime import Runtime, current_runtime
from plyr.jams import repository, state
from plyr.jams.errors import CommandRejected, JamEnded, JamNotFound, NotParticipant
from plyr.jams.schemas import Command, JamView, SetMode, SetOutput, UpdateQueue
from plyr.jams.serial import (
    bump,
    live_jam,
    locked_jam,
    now_ms,
    publish,
    require_participant,
    serialized,
)
from plyr.jams.views import jam_view, tracks_of
from plyr.models import Jam
from plyr.tracks import repository as tracks_repo
from plyr.tracks.schemas import TrackOut
from plyr.tracks.service import can_view

__all__ = [
    "CommandRejected",
    "CommandResult",
    "JamEnded",
    "JamNotFound",
    "NotParticipant",
    "client_connected",
    "client_disconnected",
    "run_command",
    "snapshot",
]

MAX_CLIENTS = 50  # a socket per tab: as many as a jam may have
COMMANDS: TypeAdapter[Any] = TypeAdapter(Command)


@dataclass
class CommandResult:
    jam: JamView
    state: dict[str, Any]
    revision: int
    tracks_changed: bool
    tracks: list[TrackOut] | None


def parse(payload: dict[str, Any]) -> Any:
    try:
        return COMMANDS.validate_python(payload)
    except ValidationError as e:
        raise CommandRejected(readable_validation_error(e.errors()), status_code=422) from e


async def snapshot(db: AsyncSession, code: str, did: str) -> JamView:
    """The whole jam, for a participant (404 / 410 / 403)."""
    jam = await live_jam(db, code)
    await require_participant(db, jam, did)
    return await jam_view(db, current_runtime(), jam, did)


async def check_tracks(
    db: AsyncSession, track_ids: list[int], did: str, already: list[int]
) -> None:
    """Tracks new to the queue must exist and be ones `did` may play: another person's
    private track is refused (tracks already queued by their owner may stay)."""
    new = sorted(set(track_ids) - set(already))
    visible = {t.id for t in await tracks_repo.by_ids(db, new) if can_view(t, did)}
    missing = [i for i in new if i not in visible]
    if missing:
        raise CommandRejected(f"no such track, or not one you may share: {missing[:10]}")


async def _next_state(
    db: AsyncSession, jam: Jam, did: str, command: Any, now: int
) -> dict[str, Any]:
    current: dict[str, Any] = jam.state
    clients = [(c[0], c[1]) for c in jam.clients]
    if isinstance(command, SetMode):
        if did != jam.host_did:
            raise CommandRejected("only the host can change the output mode", status_code=403)
        return state.set_mode(current, command.mode, clients, jam.host_did)
    if isinstance(command, SetOutput):
        if current["output_mode"] != state.ONE_SPEAKER:
            raise CommandRejected("every client plays in this jam: there is no output to set")
        if (command.client_id, did) not in clients:
            raise CommandRejected("the output can only move to one of your connected clients")
        return state.set_output(current, (command.client_id, did))
    if isinstance(command, UpdateQueue):
        await check_tracks(db, command.track_ids, did, current["track_ids"])
    return state.apply(current, command, now)


async def run_command(
    db: AsyncSession,
    runtime: Runtime,
    code: str,
    did: str,
    payload: dict[str, Any],
    client_id: str | None,
) -> CommandResult:
    """Apply one command of participant `did` (sent from `client_id`, if through a socket),
    commit it, then publish the new state."""
    command = parse(payload)
    async with serialized(runtime, db, code):
        jam = await locked_jam(db, code)
        await require_participant(db, jam, did)
        before = jam.state["track_ids"]
        new = await _next_state(db, jam, did, command, now_ms())
        revision = bump(jam, new)
        changed = new["track_ids"] != before
        tracks = await tracks_of(db, runtime, new["track_ids"], None) if changed else None
        view = await jam_view(db, runtime, jam, did)
        await db.commit()
        message = {
            "type": "state",
            "state": new,
            "tracks_changed": changed,
            "actor": {"did": did, "type": command.type},
        }
        if tracks is not None:
            message["tracks"] = [t.model_dump(mode="json") for t in tracks]
        await publish(runtime, jam.id, revision, message)
    return CommandResult(view, new, revision, changed, tracks)


async def _change_output(
    db: AsyncSession, runtime: Runtime, jam: Jam, new: dict[str, Any] | None, kind: str
) -> None:
    """Commit the registry (and the new state, if the output changed); publish the state."""
    if new is None:
        await db.commit()
        return
    revision = bump(jam, new)
    await db.commit()
    message = {
        "type": "state",
        "state": new,
        "tracks_changed": False,
        "actor": {"did": new["output_did"], "type": kind},
    }
    await publish(runtime, jam.id, revision, message)


async def client_connected(
    db: AsyncSession, runtime: Runtime, code: str, did: str, client_id: str
) -> None:
    """A participant's client synced: it may now be chosen as the output, and takes it when
    nobody has it."""
    async with serialized(runtime, db, code):
        jam = await locked_jam(db, code)
        await require_participant(db, jam, did)
        jam.clients = state.add_client(
            [(c[0], c[1]) for c in jam.clients], (client_id, did), MAX_CLIENTS
        )
        await _change_output(
            db, runtime, jam, state.on_connect(jam.state, (client_id, did)), "connect"
        )


async def client_disconnected(
    db: AsyncSession,
    runtime: Runtime,
    code: str,
    did: str,
    client_id: str,
    connected_client_ids: set[str],
) -> None:
    """A client went away (`connected_client_ids`: the jam's clients still connected, in
    every process). If it was the output, the output moves on, else it clears and pauses."""
    async with serialized(runtime, db, code):
        jam = await repository.by_code(db, code, lock=True)
        if jam is None or not jam.is_active:
            return
        remaining = [
            (c[0], c[1]) for c in jam.clients if c[0] != client_id and c[0] in connected_client_ids
        ]
        jam.clients = remaining
        new = state.on_disconnect(jam.state, client_id, remaining, jam.host_did, now_ms())
        await _change_output(db, runtime, jam, new, "disconnect")
