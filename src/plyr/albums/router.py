"""Albums: create, list, show, edit, cover, set tracks (writes the album's record), delete,
download as a ZIP."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse

from plyr.albums import service
from plyr.albums.download import attachment, safe_name, zip_stream
from plyr.albums.schemas import AlbumDetail, AlbumId, AlbumIn, AlbumOut, AlbumPatch, AlbumTracksIn
from plyr.artists import service as artists
from plyr.atproto.writes import ensure_scope
from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.core import outbox
from plyr.core.deps import Checked, DbSession, RuntimeDep, check_apart
from plyr.media.covers import COVER_FORM, received_image
from plyr.models import Album

router = APIRouter(prefix="/albums", tags=["albums"])

Handle = Annotated[str, Path(min_length=1, max_length=255, description="a handle or a DID")]
Slug = Annotated[str, Path(min_length=1, max_length=200)]
ZIP_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/zip": {}},
        "description": "a ZIP of the tracks' files in album order, streamed as it is built",
    }
}


@router.post(
    "/",
    status_code=201,
    responses={
        200: {
            "model": AlbumOut,
            "description": "you have an album with this title's slug already: that album",
        }
    },
)
async def create_album(
    body: AlbumIn, response: Response, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> AlbumOut:
    """Create an album (idempotent: the same title again answers the existing one, 200)."""
    album, created = await service.create(db, user.did, body)
    if not created:
        response.status_code = 200
    return (await service.present(db, runtime, [album], user.did))[0]


@router.get("/{handle}")
async def artist_albums(
    handle: Handle, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> list[AlbumOut]:
    """An artist's albums, newest first."""
    artist = await artists.by_handle(db, handle)
    return await service.of_artist(db, runtime, artist, user.did if user else None)


@router.get("/{handle}/{slug}")
async def get_album(
    handle: Handle, slug: Slug, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> AlbumDetail:
    """An album with its tracks in order (those you may see)."""
    viewer = user.did if user else None
    album = await service.by_slug(db, handle, slug, viewer)
    return await service.detail(db, runtime, album, viewer)


@router.get("/{handle}/{slug}/download", response_class=StreamingResponse, responses=ZIP_RESPONSE)
async def download_album(
    handle: Handle, slug: Slug, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> StreamingResponse:
    """Download an album as a ZIP of its tracks (originals, lossless when there is one);
    refused per the artist's download policy."""
    viewer = user.did if user else None
    album = await service.by_slug(db, handle, slug, viewer)
    members = await service.download_members(db, album, viewer)
    artist = album.artist.display_name or album.artist.handle
    filename = f"{safe_name(artist)} - {safe_name(album.title)}.zip"
    headers = {"Content-Disposition": attachment(filename), "Cache-Control": "private, no-store"}
    return StreamingResponse(
        zip_stream(runtime.storage, members), media_type="application/zip", headers=headers
    )


async def editable_album(
    album_id: AlbumId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Album:
    """The caller's own album (else 403/404), when their session may rewrite its record
    (else 403 scope_upgrade_required)."""
    album = await service.get_owned(db, album_id, user.did)
    await ensure_scope(runtime, user.did, "list", "create", "update")
    return album


async def deletable_album(
    album_id: AlbumId, user: CurrentUser, db: DbSession, runtime: RuntimeDep, cascade: bool = False
) -> Album:
    """The caller's own album (else 403/404), when their session may delete its record,
    and with `cascade` its tracks' records too (else 403 scope_upgrade_required)."""
    album = await service.get_owned(db, album_id, user.did)
    await ensure_scope(runtime, user.did, "list", "delete")
    if cascade:
        await ensure_scope(runtime, user.did, "track", "delete")
    return album


async def own_album(album_id: AlbumId, user: CurrentUser, runtime: RuntimeDep) -> Checked[Album]:
    """The caller's own album (else 403/404), checked in a read session of its own: a new
    cover takes the request's writer only once the image has arrived."""
    return await check_apart(
        runtime, album_id, partial(service.get_owned, album_id=album_id, did=user.did)
    )


EditableAlbum = Annotated[Album, Depends(editable_album)]
DeletableAlbum = Annotated[Album, Depends(deletable_album)]
OwnAlbum = Annotated[Checked[Album], Depends(own_album)]


@router.patch("/{album_id}")
async def edit_album(
    album: EditableAlbum, body: AlbumPatch, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> AlbumOut:
    """Change an album's title or description (its artist only); a new title moves its URL."""
    await service.update(db, album, body, user.did)
    await outbox.commit(runtime, db)  # the answer shows the records as they are now
    album = await service.get(db, album.id)
    return (await service.present(db, runtime, [album], user.did))[0]


@router.post("/{album_id}/cover", openapi_extra=COVER_FORM)
async def set_album_cover(
    owned: OwnAlbum, request: Request, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> AlbumOut:
    """Set an album's artwork (jpg, png, webp or gif; its artist only)."""
    async with received_image(request, runtime) as path:
        album = await owned.load(db)
        await service.set_cover(db, runtime, album, path)
    return (await service.present(db, runtime, [album], user.did))[0]


@router.put("/{album_id}/tracks")
async def set_album_tracks(
    album: EditableAlbum,
    body: AlbumTracksIn,
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
) -> AlbumDetail:
    """Set which of your tracks the album holds, in order; writes the album's record."""
    await service.set_tracks(db, album, body.track_ids, user.did)
    await outbox.commit(runtime, db)  # the answer shows the records as they are now
    album = await service.get(db, album.id)
    return await service.detail(db, runtime, album, user.did)


@router.delete("/{album_id}", status_code=204)
async def delete_album(album: DeletableAlbum, db: DbSession, cascade: bool = False) -> Response:
    """Delete an album and its record; `cascade=true` deletes its tracks too, otherwise
    they stay, album-less (its artist only)."""
    await service.delete(db, album, with_tracks=cascade)
    return Response(status_code=204)
