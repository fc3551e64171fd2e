"""Playlists: who may see and change what, and how a playlist is shown. A private playlist
is its owner's alone (404 to anyone else); in anyone's playlist a third person sees only
public tracks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists.schemas import ArtistOut
from plyr.artists.service import artist_out
from plyr.core.errors import BadRequest, Conflict, Forbidden, NotFound
from plyr.core.runtime import Runtime
from plyr.lists import repository
from plyr.lists.schemas import PlaylistDetail, PlaylistIn, PlaylistOut, PlaylistPatch
from plyr.media.artwork import replace_artwork
from plyr.media.release import release_image
from plyr.media.urls import image_urls
from plyr.models import Playlist, Track
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks


def _out(runtime: Runtime, playlist: Playlist, owner: ArtistOut, count: int) -> PlaylistOut:
    image_url, thumbnail_url = image_urls(runtime.storage, playlist.image_id, playlist.image_type)
    return PlaylistOut(
        id=playlist.id,
        name=playlist.name,
        owner=owner,
        is_private=playlist.is_private,
        track_count=count,
        image_url=image_url,
        thumbnail_url=thumbnail_url,
        atproto_record_uri=playlist.atproto_record_uri,
        created_at=playlist.created_at,
        updated_at=playlist.updated_at,
    )


async def present(
    db: AsyncSession, runtime: Runtime, playlists: Sequence[Playlist], viewer_did: str | None
) -> list[PlaylistOut]:
    """Playlists (of one owner) as the viewer sees them."""
    if not playlists:
        return []
    owner_did = playlists[0].owner_did
    counts = await repository.shown_counts(db, [p.id for p in playlists], viewer_did, owner_did)
    owner = await artist_out(db, playlists[0].owner)
    return [_out(runtime, p, owner, counts.get(p.id, 0)) for p in playlists]


async def shown_tracks(db: AsyncSession, playlist: Playlist, viewer_did: str | None) -> list[Track]:
    """The playlist's tracks the viewer may see, in order."""
    shown = repository.shown_in_playlist(viewer_did, playlist.owner_did)
    return await tracks_repo.in_order(
        db, await repository.item_track_ids(db, playlist.id, shown=shown)
    )


async def detail(
    db: AsyncSession, runtime: Runtime, playlist: Playlist, viewer_did: str | None
) -> PlaylistDetail:
    rows = await shown_tracks(db, playlist, viewer_did)
    out = _out(runtime, playlist, await artist_out(db, playlist.owner), len(rows))
    shown = await tracks.present(db, runtime, rows, viewer_did)
    return PlaylistDetail(**out.model_dump(), tracks=shown)


async def get_visible(db: AsyncSession, playlist_id: int, viewer_did: str | None) -> Playlist:
    """The playlist, unless it is private or taken down and not the viewer's (404, as if it
    did not exist)."""
    playlist = await repository.get_playlist(db, playlist_id)
    hidden = playlist is not None and (playlist.is_private or playlist.takedown_reason is not None)
    if playlist is None or (hidden and playlist.owner_did != viewer_did):
        raise NotFound("playlist not found")
    return playlist


async def get_owned(db: AsyncSession, playlist_id: int, did: str) -> Playlist:
    """The playlist, when `did` owns it: 404 when it is hidden from them, 403 when not theirs."""
    playlist = await get_visible(db, playlist_id, did)
    if playlist.owner_did != did:
        raise Forbidden("only the playlist's owner can change it")
    return playlist


async def mine(db: AsyncSession, runtime: Runtime, did: str) -> list[PlaylistOut]:
    return await present(
        db, runtime, await repository.playlists_of(db, did, with_private=True), did
    )


async def public_of(
    db: AsyncSession, runtime: Runtime, owner_did: str, viewer_did: str | None
) -> list[PlaylistOut]:
    """Someone's public playlists (an artist page)."""
    rows = await repository.playlists_of(db, owner_did, with_private=False)
    return await present(db, runtime, rows, viewer_did)


async def create(db: AsyncSession, did: str, body: PlaylistIn) -> Playlist:
    playlist = await repository.add_playlist(db, did, body.name, is_private=body.is_private)
    return await get_owned(db, playlist.id, did)


async def update(db: AsyncSession, playlist: Playlist, patch: PlaylistPatch) -> str | None:
    """Apply the changes; returns the key of the record to delete when it went private."""
    stale_key = None
    if patch.name is not None:
        playlist.name = patch.name
    if patch.is_private is not None and patch.is_private != playlist.is_private:
        playlist.is_private = patch.is_private
        if patch.is_private:  # private playlists are never on the PDS
            stale_key = _record_key(playlist)
            playlist.atproto_record_uri, playlist.atproto_record_cid = None, None
    await repository.touch(db, playlist)
    return stale_key


def _record_key(playlist: Playlist) -> str | None:
    uri = playlist.atproto_record_uri
    return uri.rsplit("/", 1)[-1] if uri else None


async def add_track(db: AsyncSession, playlist: Playlist, track_id: int, did: str) -> None:
    """Append a track the owner may see; 409 when it is in the playlist already."""
    await tracks.get_visible(db, track_id, did)
    if await repository.has_item(db, playlist.id, track_id):
        raise Conflict("that track is in this playlist already")
    if await repository.item_count(db, playlist.id) >= repository.MAX_ITEMS:
        raise BadRequest(f"a playlist holds at most {repository.MAX_ITEMS} tracks")
    await repository.append_item(db, playlist.id, track_id)
    await repository.touch(db, playlist)


async def remove_track(db: AsyncSession, playlist: Playlist, track_id: int) -> None:
    if not await repository.remove_item(db, playlist.id, track_id):
        raise NotFound("that track is not in this playlist")
    await repository.touch(db, playlist)


async def reorder(db: AsyncSession, playlist: Playlist, track_ids: Sequence[int], did: str) -> None:
    """Put the tracks the owner sees in this order (a permutation of them, else 400); items
    hidden from them (tracks others made private) follow, in their old order."""
    shown = repository.shown_in_playlist(did, playlist.owner_did)
    current = await repository.item_track_ids(db, playlist.id, shown=shown)
    if len(track_ids) != len(current) or set(track_ids) != set(current):
        raise BadRequest(
            "track_ids must be the playlist's tracks, each once, in the new order "
            f"(it has {len(current)})"
        )
    hidden = [t for t in await repository.item_track_ids(db, playlist.id) if t not in set(current)]
    await repository.reorder_items(db, playlist.id, [*track_ids, *hidden])
    await repository.touch(db, playlist)


async def set_cover(
    db: AsyncSession, runtime: Runtime, playlist: Playlist, path: Path | None
) -> None:
    """New artwork (or none with `path=None`); the old one goes once committed, when nothing
    else uses it."""
    await replace_artwork(db, runtime, playlist, path)
    await repository.touch(db, playlist)


async def delete(db: AsyncSession, playlist: Playlist) -> str | None:
    """Delete the playlist (its artwork goes once committed, when nothing else uses it);
    returns its record's key."""
    key = _record_key(playlist)
    image_id, image_type = playlist.image_id, playlist.image_type
    await repository.delete_playlist(db, playlist)
    await release_image(db, image_id, image_type)
    return key
