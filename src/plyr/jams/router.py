"""`/jams/`: start a jam, find mine, show one (or its preview to anyone), join, leave, end,
and send it a command. The live side is the socket, `/jams/{code}/ws` (`plyr.jams.ws`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from plyr.auth.dependencies import CurrentUser
from plyr.auth.ratelimits import JamCommandLimit, JamLimit
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import Forbidden, NotFound
from plyr.jams import membership, repository, service
from plyr.jams.schemas import Command, CommandOut, JamIn, JamPreview, JamState, JamView
from plyr.jams.serial import live_jam, require_participant
from plyr.jams.views import jam_view, preview
from plyr.models import Jam

router = APIRouter(prefix="/jams", tags=["jams"])
GONE: dict[int | str, dict[str, Any]] = {410: {"description": "the jam has ended"}}


async def joined_jam(code: str, user: CurrentUser, db: DbSession) -> Jam:
    """A live jam the caller is in (404 none, 410 ended, 403 not in it)."""
    jam = await live_jam(db, code)
    await require_participant(db, jam, user.did)
    return jam


async def hosted_jam(code: str, user: CurrentUser, db: DbSession) -> Jam:
    """A live jam the caller started (404 none, 410 ended, 403 someone else's)."""
    jam = await live_jam(db, code)
    if jam.host_did != user.did:
        raise Forbidden("only the host can end the jam")
    return jam


JoinedJam = Annotated[Jam, Depends(joined_jam)]
HostedJam = Annotated[Jam, Depends(hosted_jam)]


@router.post("/", status_code=201, dependencies=[JamLimit])
async def start_jam(body: JamIn, user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> JamView:
    """Start a jam with your queue (and leave the jam you are in, if any)."""
    return await membership.create(db, runtime, user.did, body)


@router.get("/active")
async def my_jam(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> JamView:
    """The jam I am in (404 when none)."""
    jam = await repository.active_jam_of(db, user.did)
    if jam is None:
        raise NotFound("you are not in a jam")
    return await jam_view(db, runtime, jam, user.did)


@router.get("/{code}", responses=GONE)
async def get_jam(jam: JoinedJam, user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> JamView:
    """A jam I am in: its state, revision, participants and tracks."""
    return await jam_view(db, runtime, jam, user.did)


@router.get("/{code}/preview")
async def preview_jam(code: str, db: DbSession) -> JamPreview:
    """What a jam link shows to anyone, signed in or not."""
    return await preview(db, code)


@router.post("/{code}/join", responses=GONE, dependencies=[JamLimit])
async def join_jam(code: str, user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> JamView:
    """Join a jam (leaving the one you are in, if any)."""
    return await membership.join(db, runtime, code, user.did)


@router.post("/{code}/leave", status_code=204, responses=GONE, dependencies=[JamLimit])
async def leave_jam(
    jam: JoinedJam, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Response:
    """Leave a jam; the last one out ends it."""
    await membership.leave(db, runtime, jam.code, user.did)
    return Response(status_code=204)


@router.post("/{code}/end", status_code=204, responses=GONE, dependencies=[JamLimit])
async def end_jam(
    jam: HostedJam, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Response:
    """End a jam for everyone (its host only)."""
    await membership.end(db, runtime, jam.code, user.did)
    return Response(status_code=204)


@router.post("/{code}/command", responses=GONE, dependencies=[JamCommandLimit])
async def command_jam(
    jam: JoinedJam, body: Command, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> CommandOut:
    """play, pause, seek, update_queue, set_output, set_mode (the host's): the new state."""
    payload = body.model_dump()
    result = await service.run_command(db, runtime, jam.code, user.did, payload, None)
    return CommandOut(
        state=JamState.model_validate(result.state),
        revision=result.revision,
        tracks_changed=result.tracks_changed,
        tracks=result.tracks,
    )
