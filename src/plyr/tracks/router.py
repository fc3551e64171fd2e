"""Tracks: upload, catalog, edit, delete, tags (plays: `plyr.plays`)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from plyr.atproto.writes import ensure_scope
from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.auth.ratelimits import UploadLimits
from plyr.auth.service import AuthContext
from plyr.core import outbox
from plyr.core.deps import Checked, DbSession, RuntimeDep, check_apart
from plyr.core.errors import NotFound
from plyr.core.multipart import receive_form
from plyr.models import Track
from plyr.tracks import edits, repository, service, uploads
from plyr.tracks.forms import parse_fields
from plyr.tracks.schemas import (
    TagCount,
    TopPeriod,
    TrackId,
    TrackOut,
    TrackPage,
    UploadAccepted,
    Waveform,
)
from plyr.tracks.tasks import queue_upload

router = APIRouter(prefix="/tracks", tags=["tracks"])


def _form_schema(required: list[str], files: list[str], fields: list[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {f: {"type": "string"} for f in fields}
    properties.update({f: {"type": "string", "format": "binary"} for f in files})
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


# the form fields each route reads, documented from the lists that parse them
UPLOAD_FORM = _form_schema(
    ["file", "title"], ["file", "image"], sorted(uploads.UPLOAD_FIELDS - {"file", "image"})
)
EDIT_FORM = _form_schema([], ["image"], sorted(edits.EDIT_FIELDS - {"image"}))


async def track_publisher(user: CurrentUser, runtime: RuntimeDep) -> AuthContext:
    """The caller, when their session may write track records (else 403
    scope_upgrade_required)."""
    await ensure_scope(runtime, user.did, "track", "create")
    return user


TrackPublisher = Annotated[AuthContext, Depends(track_publisher)]


@router.post(
    "/",
    status_code=202,
    openapi_extra=UPLOAD_FORM,
    dependencies=UploadLimits,
    responses={413: {"description": "too large"}, 415: {"description": "not audio"}},
)
async def upload_track(
    request: Request, user: TrackPublisher, db: DbSession, runtime: RuntimeDep
) -> UploadAccepted:
    """Upload a track; processing continues in the background (watch the job)."""
    job = await uploads.accept(request, user, db, runtime)
    await queue_upload(db, job.id)
    return UploadAccepted(upload_id=job.id)


@router.get("/")
async def list_tracks(
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    artist_did: str | None = None,
    tags: Annotated[list[str] | None, Query()] = None,
    filter_hidden_tags: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> TrackPage:
    """The feed, newest first."""
    viewer = user.did if user else None
    viewing = user.artist if user else None
    hidden = service.hidden_tags(runtime, viewing) if filter_hidden_tags else []
    return await service.page(
        db,
        runtime,
        viewer,
        limit=limit,
        cursor=cursor,
        artist_did=artist_did,
        include_unlisted_of=viewer,
        tags=[t.lower() for t in tags or []],
        hidden_tags=hidden,
        sensitive=service.wants_sensitive_audio(viewing),
    )


@router.get("/top")
async def top_tracks(
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    period: TopPeriod = "all_time",
    limit: int = 10,
) -> list[TrackOut]:
    """Most liked tracks in a period."""
    tracks = await repository.top(
        db, since=service.period_start(period), limit=max(1, min(50, limit))
    )
    return await service.present(db, runtime, tracks, user.did if user else None)


@router.get("/me")
async def my_tracks(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> list[TrackOut]:
    """My tracks, every visibility."""
    return await service.present(db, runtime, await repository.by_artist(db, user.did), user.did)


@router.get("/tags")
async def list_tags(
    db: DbSession,
    q: Annotated[str, Query(max_length=50)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[TagCount]:
    """Tags in use, optionally by prefix."""
    rows = await repository.tag_counts(db, q.strip().lower(), limit)
    return [TagCount(name=name, track_count=count) for name, count in rows]


@router.get("/tags/{name:path}")
async def tracks_with_tag(
    name: str,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> TrackPage:
    """Tracks with a tag (tags may contain `/`)."""
    return await service.page(
        db, runtime, user.did if user else None, limit=limit, cursor=cursor, tags=[name.lower()]
    )


@router.get("/{track_id}")
async def get_track(
    track_id: TrackId, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> TrackOut:
    """A track."""
    viewer = user.did if user else None
    admin = viewer in runtime.settings.admin_did_set
    track = await service.get_visible(db, track_id, viewer, admin=admin)
    return (await service.present(db, runtime, [track], viewer))[0]


@router.get("/{track_id}/waveform")
async def get_waveform(
    track_id: TrackId, db: DbSession, user: OptionalUser, response: Response
) -> Waveform:
    """Waveform peaks computed at upload: 1,000 (min, max) pairs."""
    track = await service.get_visible(db, track_id, user.did if user else None)
    audio = await repository.get_audio_file_with_peaks(db, track.file_id)
    if audio is None or audio.peaks is None:
        raise NotFound("no waveform for this track")
    # shared caches may keep only what anyone may see
    shared = track.visibility == "public" and track.status == "published"
    shared = shared and track.takedown_reason is None
    response.headers["Cache-Control"] = f"{'public' if shared else 'private'}, max-age=86400"
    peaks = [(p[0], p[1]) for p in audio.peaks]
    return Waveform(file_id=audio.file_id, duration=audio.duration, peaks=peaks)


async def editable_track(
    track_id: TrackId, user: CurrentUser, runtime: RuntimeDep
) -> Checked[Track]:
    """The caller's own track (else 403/404), when their session may rewrite its record
    (else 403 scope_upgrade_required). Checked in a read session of its own: the edit
    takes the request's writer only once its form has arrived."""
    await ensure_scope(runtime, user.did, "track", "create", "update", "delete")
    owned = partial(service.get_owned, track_id=track_id, did=user.did)
    return await check_apart(runtime, track_id, owned)


async def deletable_track(
    track_id: TrackId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Track:
    """The caller's own track (else 403/404), when their session may delete its record
    (else 403 scope_upgrade_required)."""
    track = await service.get_owned(db, track_id, user.did)
    await ensure_scope(runtime, user.did, "track", "delete")
    return track


EditableTrack = Annotated[Checked[Track], Depends(editable_track)]
DeletableTrack = Annotated[Track, Depends(deletable_track)]


@router.patch("/{track_id}", openapi_extra=EDIT_FORM)
async def edit_track(
    track: EditableTrack, request: Request, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> TrackOut:
    """Edit a track's details or artwork (its artist only)."""
    work = runtime.settings.tmp_dir / "edits" / uuid.uuid4().hex
    try:
        # the body first: the request's transaction must not wait on the network
        form = await receive_form(
            request, work, file_limits={"image": runtime.settings.max_image_bytes}
        )
        fields = parse_fields(
            {k: v for k, v in form.fields.items() if k != "remove_image"}, allowed=edits.EDIT_FIELDS
        )
        image = form.files.get("image")
        await edits.apply_edit(
            db,
            runtime,
            await track.load(db),
            fields,
            image_path=image.path if image and image.size else None,
            remove_image=form.fields.get("remove_image", "").lower() in ("1", "true", "yes"),
        )
    finally:
        await edits.remove_dir(work)
    await outbox.commit(runtime, db)  # the answer shows the track's record as it is now
    edited = await service.get_visible(db, track.id, user.did)
    return (await service.present(db, runtime, [edited], user.did))[0]


@router.delete("/{track_id}", status_code=204)
async def delete_track(track: DeletableTrack, db: DbSession) -> Response:
    """Delete a track and its media (its artist only)."""
    await edits.delete_track(db, track)
    return Response(status_code=204)
