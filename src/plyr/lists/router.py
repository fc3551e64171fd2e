"""Playlists: create, list mine, show, rename, make private, add, remove, reorder, cover,
delete. Every change to a public playlist rewrites its `fm.plyr.list` record."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from plyr.atproto.writes import ensure_scope
from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.core import outbox
from plyr.core.deps import Checked, DbSession, RuntimeDep, check_apart
from plyr.core.runtime import Runtime
from plyr.lists import records, service
from plyr.lists.schemas import (
    PlaylistDetail,
    PlaylistId,
    PlaylistIn,
    PlaylistOrderIn,
    PlaylistOut,
    PlaylistPatch,
    PlaylistTrackIn,
)
from plyr.media.covers import COVER_FORM, received_image
from plyr.models import Playlist
from plyr.tracks.schemas import TrackId

router = APIRouter(prefix="/lists", tags=["playlists"])


async def _scope(runtime: Runtime, did: str) -> None:
    await ensure_scope(runtime, did, "list", "create", "update", "delete")


async def editable_playlist(
    playlist_id: PlaylistId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Playlist:
    """The caller's own playlist (else 403/404), when their session may rewrite its record
    (else 403 scope_upgrade_required)."""
    playlist = await service.get_owned(db, playlist_id, user.did)
    await _scope(runtime, user.did)
    return playlist


async def own_playlist(
    playlist_id: PlaylistId, user: CurrentUser, runtime: RuntimeDep
) -> Checked[Playlist]:
    """The caller's own playlist (else 403/404), checked in a read session of its own: a
    new cover takes the request's writer only once the image has arrived. (Its cover is
    not in its record: no scope to check.)"""
    owned = partial(service.get_owned, playlist_id=playlist_id, did=user.did)
    return await check_apart(runtime, playlist_id, owned)


EditablePlaylist = Annotated[Playlist, Depends(editable_playlist)]
OwnPlaylist = Annotated[Checked[Playlist], Depends(own_playlist)]


@router.post("/playlists", status_code=201)
async def create_playlist(
    body: PlaylistIn, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> PlaylistOut:
    """Create a playlist (a public one is also a record on your PDS)."""
    if not body.is_private:
        await _scope(runtime, user.did)
    playlist = await service.create(db, user.did, body)
    await db.flush()  # the playlist's id, for its record
    await records.queue_sync(db, "playlist", playlist.id, user.did)
    await outbox.commit(runtime, db)  # the answer shows the record
    playlist = await service.get_owned(db, playlist.id, user.did)
    return (await service.present(db, runtime, [playlist], user.did))[0]


@router.get("/playlists")
async def my_playlists(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> list[PlaylistOut]:
    """My playlists, most recently changed first (private ones too)."""
    return await service.mine(db, runtime, user.did)


@router.get("/playlists/{playlist_id}")
async def get_playlist(
    playlist_id: PlaylistId, db: DbSession, runtime: RuntimeDep, user: OptionalUser
) -> PlaylistDetail:
    """A playlist with its tracks (a private one: its owner only; 404 to anyone else)."""
    viewer = user.did if user else None
    playlist = await service.get_visible(db, playlist_id, viewer)
    return await service.detail(db, runtime, playlist, viewer)


async def _detail(
    db: DbSession, runtime: Runtime, playlist_id: int, did: str, *, mirror: bool = True
) -> PlaylistDetail:
    """Commit the change and let the record follow (none for a private playlist), then
    answer the playlist as it is now."""
    if mirror:
        await records.queue_sync(db, "playlist", playlist_id, did)
    await outbox.commit(runtime, db)
    playlist = await service.get_owned(db, playlist_id, did)
    return await service.detail(db, runtime, playlist, did)


@router.patch("/playlists/{playlist_id}")
async def edit_playlist(
    playlist: EditablePlaylist,
    body: PlaylistPatch,
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
) -> PlaylistDetail:
    """Rename a playlist, or make it private (its record is deleted) or public (written)."""
    stale_key = await service.update(db, playlist, body)
    if stale_key:
        await records.queue_delete(db, user.did, stale_key)
    return await _detail(db, runtime, playlist.id, user.did)


@router.post("/playlists/{playlist_id}/tracks")
async def add_playlist_track(
    playlist: EditablePlaylist,
    body: PlaylistTrackIn,
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
) -> PlaylistDetail:
    """Append a track (one you may see: else 404; one already there: 409)."""
    await service.add_track(db, playlist, body.track_id, user.did)
    return await _detail(db, runtime, playlist.id, user.did)


@router.delete("/playlists/{playlist_id}/tracks/{track_id}")
async def remove_playlist_track(
    playlist: EditablePlaylist,
    track_id: TrackId,
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
) -> PlaylistDetail:
    """Remove a track from a playlist (404 when it is not in it)."""
    await service.remove_track(db, playlist, track_id)
    return await _detail(db, runtime, playlist.id, user.did)


@router.put("/playlists/{playlist_id}/reorder")
async def reorder_playlist(
    playlist: EditablePlaylist,
    body: PlaylistOrderIn,
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
) -> PlaylistDetail:
    """Put a playlist's tracks in a new order: `track_ids` is a permutation of them (else 400)."""
    await service.reorder(db, playlist, body.track_ids, user.did)
    return await _detail(db, runtime, playlist.id, user.did)


@router.post("/playlists/{playlist_id}/cover", openapi_extra=COVER_FORM)
async def set_playlist_cover(
    owned: OwnPlaylist, request: Request, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> PlaylistDetail:
    """Set a playlist's artwork (jpg, png, webp or gif)."""
    async with received_image(request, runtime) as path:
        await service.set_cover(db, runtime, await owned.load(db), path)
    return await _detail(db, runtime, owned.id, user.did, mirror=False)


@router.delete("/playlists/{playlist_id}/cover")
async def remove_playlist_cover(
    owned: OwnPlaylist, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> PlaylistDetail:
    """Remove a playlist's artwork."""
    await service.set_cover(db, runtime, await owned.load(db), None)
    return await _detail(db, runtime, owned.id, user.did, mirror=False)


@router.delete("/playlists/{playlist_id}", status_code=204)
async def delete_playlist(
    playlist: EditablePlaylist, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Response:
    """Delete a playlist and its record on your PDS."""
    key = await service.delete(db, playlist)
    if key:
        await records.queue_delete(db, user.did, key)
    return Response(status_code=204)
