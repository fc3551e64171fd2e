"""Serving audio and images: Range requests locally, redirects to the CDN on S3."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import NotFound
from plyr.core.storage import LocalStorage, Storage
from plyr.stream import service
from plyr.stream.proxy import proxy_blob
from plyr.stream.service import AudioAccess

router = APIRouter(tags=["audio"])

IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "private, max-age=3600"
AUDIO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/mpeg": {}}},
    206: {"description": "partial"},
    307: {"description": "redirect to the CDN"},
    416: {"description": "bad range"},
    451: {"description": "taken down by a moderator"},
}


def _not_modified(request: Request, etag: str) -> bool:
    candidates = request.headers.get("if-none-match", "")
    return etag in (c.strip() for c in candidates.split(","))


async def _send(
    request: Request, runtime: RuntimeDep, access: AudioAccess, filename: str | None = None
) -> Response:
    if access.remote_url:
        # a record's URL: plyr redirects only to https (no open redirect to other schemes)
        if not access.remote_url.startswith("https://"):
            raise NotFound("this track's audio is not available")
        return RedirectResponse(access.remote_url, status_code=307)
    if access.blob is not None:
        return await proxy_blob(runtime, access, request.headers.get("range"))
    etag = f'"{access.file_id}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE if access.public else PRIVATE}
    storage = runtime.storage
    path = storage.local_path(access.key)
    if path is None:  # S3: the CDN or a presigned URL serves the bytes
        if access.public and not filename:
            url = storage.public_url(access.key)
        else:
            url = await storage.presigned_url(access.key, filename=filename) or ""
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    direct = _published_url(storage, access) if not filename else None
    if direct:  # the web server publishing the media folder sends it, as a CDN would
        return RedirectResponse(direct, status_code=307, headers={"Cache-Control": "no-store"})
    if filename:
        headers["Content-Disposition"] = _attachment(filename)
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    accel = runtime.settings.accel_redirect_prefix
    if accel:  # nginx pushes the bytes (and answers Range itself)
        headers["X-Accel-Redirect"] = _accel_uri(accel, storage, access.key)
        return Response(status_code=200, headers=headers, media_type=access.content_type)
    if not path.is_file():
        raise NotFound("audio not found")
    return FileResponse(path, media_type=access.content_type, headers=headers)


def _published_url(storage: Storage, access: AudioAccess) -> str | None:
    """Public audio in a published media folder (`PUBLIC_MEDIA_BASE_URL` with local
    storage): its URL there. Not while a move into the public folder is still pending."""
    if not access.public or not isinstance(storage, LocalStorage):
        return None
    url = storage.direct_url(access.key)
    return url if url and storage.is_public(access.key) else None


def _accel_uri(prefix: str, storage: Storage, key: str) -> str:
    """The internal location nginx reads `key` from: private objects live in a folder of
    their own, served by the nested `{prefix}private/` location."""
    base = prefix.rstrip("/")
    if isinstance(storage, LocalStorage) and not storage.is_public(key):
        return f"{base}/private/{key}"
    return f"{base}/{key}"


def _attachment(filename: str) -> str:
    fallback = filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/audio/{file_id}", responses=AUDIO_RESPONSES)
@router.head("/audio/{file_id}", include_in_schema=False)  # one operation id per path
async def stream_audio(
    file_id: str, request: Request, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> Response:
    """Stream a track's audio (Range requests, ETag, immutable caching)."""
    access = runtime.public_audio.get(file_id)
    if access is None:
        viewer = user.did if user else None
        admin = viewer in runtime.settings.admin_did_set
        access = await service.audio_access(db, runtime.public_audio, file_id, viewer, admin=admin)
    return await _send(request, runtime, access)


@router.get("/audio/{file_id}/download", responses=AUDIO_RESPONSES)
async def download_audio(
    file_id: str, request: Request, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> Response:
    """Download a track as `artist - title.ext`, the lossless original when there is one."""
    viewer = user.did if user else None
    track, key, ext = await service.download_source(db, file_id, viewer)
    audio_id = key.removeprefix("audio/").rsplit(".", 1)[0]
    access = await service.audio_access(db, runtime.public_audio, audio_id, viewer)
    artist = track.artist.display_name or track.artist.handle
    safe_title = track.title.replace("/", "-")
    return await _send(request, runtime, access, filename=f"{artist} - {safe_title}.{ext}")


@router.get("/media/images/{name}")
@router.head("/media/images/{name}", include_in_schema=False)
async def image(name: str, runtime: RuntimeDep) -> Response:
    """Artwork and thumbnails stored on this machine."""
    path = runtime.storage.local_path(f"images/{name}")
    if path is None or "/" in name or not path.is_file():
        raise NotFound("image not found")
    return FileResponse(path, headers={"Cache-Control": IMMUTABLE})
