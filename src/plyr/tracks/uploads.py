"""Accepting an upload: stream it to disk, check it, and hand it to the pipeline as a job."""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.audio import ACCEPTED_FORMATS, UnsupportedAudio, sniff_format
from plyr.auth.service import AuthContext
from plyr.core.errors import BadRequest, Forbidden, Invalid, NotFound, UnsupportedMedia
from plyr.core.multipart import ReceivedForm, receive_form, remove_tree
from plyr.core.runtime import Runtime
from plyr.jobs import repository as jobs
from plyr.media.images import prepare_image
from plyr.models import Job
from plyr.tracks import repository
from plyr.tracks.forms import TrackFields, parse_fields

UPLOAD_FIELDS = {
    "file",
    "title",
    "description",
    "tags",
    "album",
    "album_id",
    "features",
    "visibility",
    "image",
    "audio_on_pds",
    "self_labels",
    "auto_tag",  # kept in the job's params: discovery applies it after the first analysis
}


def upload_dir(runtime: Runtime, job_id: str) -> Path:
    return runtime.settings.tmp_dir / "uploads" / job_id


async def accept(request: Request, user: AuthContext, db: AsyncSession, runtime: Runtime) -> Job:
    """Receive and validate; on any refusal nothing is left on disk or in the database."""
    job_id = uuid.uuid4().hex
    dest = upload_dir(runtime, job_id)
    limits = {"file": runtime.settings.max_upload_bytes, "image": runtime.settings.max_image_bytes}
    try:
        form = await receive_form(request, dest, file_limits=limits)
        fields = parse_fields(form.fields, allowed=UPLOAD_FIELDS - {"file", "image"})
        if not fields.title:
            raise Invalid("title: a title is required")
        params = await _check_file(form, fields, user, db)
        params.update(await _prepare_artwork(form, dest))
    except BaseException:
        await anyio.to_thread.run_sync(remove_tree, dest)
        raise
    job = Job(
        id=job_id,
        owner_did=user.did,
        type="upload",
        phase="upload",
        params=params,
        progress_pct=5.0,
        message="upload received",
    )
    jobs.add(db, job)
    return job


async def _check_file(
    form: ReceivedForm, fields: TrackFields, user: AuthContext, db: AsyncSession
) -> dict[str, object]:
    upload = form.files.get("file")
    if upload is None:
        raise Invalid("file: an audio file is required")
    if upload.size == 0:
        raise BadRequest("the file is empty")
    try:
        fmt = await anyio.to_thread.run_sync(sniff_format, upload.path)
    except UnsupportedAudio as e:
        raise UnsupportedMedia(f"{e} (accepted formats: {', '.join(ACCEPTED_FORMATS)})") from e
    if fields.album_id is not None:
        album = await repository.get_album(db, fields.album_id)
        if album is None:
            raise NotFound("album not found")
        if album.artist_did != user.did:
            raise Forbidden("that album belongs to another artist")
    return {
        "fields": fields.model_dump(exclude_none=True),
        "audio_path": upload.path.name,
        "filename": upload.filename,
        "format": fmt,
        "upload_file_id": upload.sha256[:16],
        "size": upload.size,
    }


async def _prepare_artwork(form: ReceivedForm, dest: Path) -> dict[str, object]:
    upload = form.files.get("image")
    if upload is None or upload.size == 0:
        return {}
    image = await prepare_image(upload.path)
    await anyio.Path(dest / "image").write_bytes(image.data)
    await anyio.Path(dest / "thumb.webp").write_bytes(image.thumbnail)
    await anyio.Path(upload.path).unlink()
    return {"image_ext": image.ext}
