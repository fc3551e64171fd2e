"""A minimal stand-in of `plyr.jams.service` and the jams REST routes (jams-core's), for the
socket tests while that branch has not landed: in-memory jams, the contract's functions and
errors, play/pause/seek/set_output, the output-device rules. Installed only when the real
service is missing (`install()`)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from plyr.auth.dependencies import CurrentUser
from plyr.core.deps import RuntimeDep
from plyr.core.runtime import Runtime
from plyr.jams.fanout import LogConflict, jam_log


class JamNotFound(Exception):
    pass


class JamEnded(Exception):
    pass


class NotParticipant(Exception):
    pass


class CommandRejected(Exception):
    pass


class JamView(BaseModel):
    id: int
    code: str
    host: str
    name: str | None
    state: dict[str, Any]
    revision: int
    is_active: bool
    participants: list[str]
    tracks: list[Any]


@dataclass
class _Jam:
    id: int
    code: str
    host: str
    state: dict[str, Any]
    revision: int = 0
    active: bool = True
    participants: list[str] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


JAMS: dict[str, _Jam] = {}


def _now() -> int:
    return int(time.time() * 1000)


def _get(code: str, did: str | None = None) -> _Jam:
    jam = JAMS.get(code)
    if jam is None:
        raise JamNotFound(code)
    if not jam.active:
        raise JamEnded(code)
    if did is not None and did not in jam.participants:
        raise NotParticipant(did)
    return jam


def _view(jam: _Jam) -> JamView:
    return JamView(
        id=jam.id,
        code=jam.code,
        host=jam.host,
        name=None,
        state=dict(jam.state),
        revision=jam.revision,
        is_active=jam.active,
        participants=list(jam.participants),
        tracks=[],
    )


async def _append(runtime: Runtime, jam: _Jam, message: dict[str, Any]) -> None:
    jam.revision += 1
    with contextlib.suppress(LogConflict):
        await jam_log(runtime).append(jam.id, jam.revision, {**message, "revision": jam.revision})


async def _changed(runtime: Runtime, jam: _Jam, did: str | None) -> None:
    actor = {"did": did, "type": "user" if did else "system"}
    message = {"type": "state", "state": dict(jam.state), "tracks_changed": False, "actor": actor}
    await _append(runtime, jam, message)


def _position(state: dict[str, Any]) -> int:
    if not state["is_playing"]:
        return int(state["progress_ms"])
    return int(state["progress_ms"]) + _now() - int(state["server_time_ms"])


async def run_command(
    db: Any, runtime: Runtime, code: str, did: str, payload: dict[str, Any], client_id: str | None
) -> JamView:
    jam = _get(code, did)
    async with jam.lock:
        state, kind = jam.state, payload.get("type")
        if kind == "play":
            state.update(is_playing=True, server_time_ms=_now())
        elif kind == "pause":
            state.update(progress_ms=_position(state), is_playing=False, server_time_ms=_now())
        elif kind == "seek":
            state.update(progress_ms=int(payload["position_ms"]), server_time_ms=_now())
        elif kind == "set_output":
            state.update(output_client_id=payload.get("client_id"), output_did=did)
        else:
            raise CommandRejected(f"unknown command: {kind}")
        await _changed(runtime, jam, did)
        return _view(jam)


async def snapshot(db: Any, code: str, did: str) -> JamView:
    return _view(_get(code, did))


async def client_connected(db: Any, runtime: Runtime, code: str, did: str, client_id: str) -> None:
    jam = _get(code, did)
    async with jam.lock:
        if jam.state["output_client_id"] is None:
            jam.state.update(output_client_id=client_id, output_did=did)
            await _changed(runtime, jam, None)


async def client_disconnected(
    db: Any, runtime: Runtime, code: str, did: str, client_id: str, connected: set[str]
) -> None:
    jam = _get(code)
    async with jam.lock:
        if jam.state["output_client_id"] != client_id:
            return
        if connected:
            jam.state.update(output_client_id=sorted(connected)[0], output_did=None)
        else:
            jam.state.update(
                output_client_id=None,
                output_did=None,
                progress_ms=_position(jam.state),
                is_playing=False,
                server_time_ms=_now(),
            )
        await _changed(runtime, jam, None)


router = APIRouter()


@router.post("/jams/", status_code=201)
async def create(user: CurrentUser, body: dict[str, Any]) -> JamView:
    state = {
        "track_ids": body.get("track_ids", []),
        "current_index": body.get("current_index", 0),
        "current_track_id": None,
        "is_playing": bool(body.get("is_playing")),
        "progress_ms": int(body.get("progress_ms", 0)),
        "server_time_ms": _now(),
        "output_client_id": None,
        "output_did": None,
        "output_mode": "one_speaker",
    }
    jam = _Jam(len(JAMS) + 1, secrets.token_hex(4), user.artist.did, state)
    jam.participants.append(user.artist.did)
    JAMS[jam.code] = jam
    return _view(jam)


@router.post("/jams/{code}/join")
async def join(code: str, user: CurrentUser, runtime: RuntimeDep) -> JamView:
    jam = _rest(code)
    if user.artist.did not in jam.participants:
        jam.participants.append(user.artist.did)
        await _append(
            runtime, jam, {"type": "participant", "event": "joined", "did": user.artist.did}
        )
    return _view(jam)


@router.post("/jams/{code}/leave")
async def leave(code: str, user: CurrentUser, runtime: RuntimeDep) -> None:
    jam = _rest(code)
    if user.artist.did in jam.participants:
        jam.participants.remove(user.artist.did)
        await _append(
            runtime, jam, {"type": "participant", "event": "left", "did": user.artist.did}
        )


@router.post("/jams/{code}/command")
async def command(
    code: str, user: CurrentUser, runtime: RuntimeDep, body: dict[str, Any]
) -> JamView:
    try:
        return await run_command(None, runtime, code, user.artist.did, body, None)
    except NotParticipant as e:
        raise HTTPException(403, "not a participant") from e


def _rest(code: str) -> _Jam:
    try:
        return _get(code)
    except (JamNotFound, JamEnded) as e:
        raise HTTPException(404, "no such jam") from e


def install() -> bool:
    """Stand in for `plyr.jams.service` when it is missing; True when standing in."""
    try:
        import plyr.jams.service  # noqa: F401
    except ImportError:
        sys.modules["plyr.jams.service"] = sys.modules[__name__]
    return sys.modules["plyr.jams.service"] is sys.modules[__name__]
