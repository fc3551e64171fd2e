"""Albums: who may see and change what, and how an album is shown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.albums import repository
from plyr.albums.download import Member, member_name
from plyr.albums.schemas import AlbumDetail, AlbumIn, AlbumOut, AlbumPatch
from plyr.artists import service as artists
from plyr.artists.schemas import ArtistOut
from plyr.core.errors import BadRequest, Conflict, Forbidden, NotFound
from plyr.core.runtime import Runtime
from plyr.lists import records as list_records
from plyr.media.artwork import replace_artwork
from plyr.media.release import release_image
from plyr.media.urls import image_urls
from plyr.models import Album, Artist, Track, utcnow
from plyr.tracks import edits, publishing
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks


def _out(runtime: Runtime, album: Album, artist: ArtistOut, count: int) -> AlbumOut:
    image_url, thumbnail_url = image_urls(runtime.storage, album.image_id, album.image_type)
    return AlbumOut(
        id=album.id,
        slug=album.slug,
        title=album.title,
        description=album.description,
        image_url=image_url,
        thumbnail_url=thumbnail_url,
        artist=artist,
        track_count=count,
        atproto_record_uri=album.atproto_record_uri,
        created_at=album.created_at,
    )


async def present(
    db: AsyncSession, runtime: Runtime, albums: Sequence[Album], viewer_did: str | None
) -> list[AlbumOut]:
    """Albums as the viewer sees them (their track counts count only what they can see)."""
    counts = await repository.visible_counts(db, [a.id for a in albums], viewer_did)
    shown: dict[str, ArtistOut] = {}
    out = []
    for album in albums:
        if album.artist_did not in shown:
            shown[album.artist_did] = await artists.artist_out(db, album.artist)
        out.append(_out(runtime, album, shown[album.artist_did], counts.get(album.id, 0)))
    return out


async def visible_tracks(db: AsyncSession, album: Album, viewer_did: str | None) -> list[Track]:
    """The album's tracks the viewer may see, in album order: public ones, and every one
    of the artist's own to the artist."""
    return await tracks_repo.in_order(
        db, await repository.visible_track_ids(db, album.id, viewer_did)
    )


async def detail(
    db: AsyncSession, runtime: Runtime, album: Album, viewer_did: str | None
) -> AlbumDetail:
    rows = await visible_tracks(db, album, viewer_did)
    out = _out(runtime, album, await artists.artist_out(db, album.artist), len(rows))
    shown = await tracks.present(db, runtime, rows, viewer_did)
    return AlbumDetail(**out.model_dump(), tracks=shown)


async def of_artist(
    db: AsyncSession, runtime: Runtime, artist: Artist, viewer_did: str | None
) -> list[AlbumOut]:
    """The artist's albums: all of them to the artist, those with something to hear to others."""
    rows = await repository.by_artist(db, artist.did)
    if viewer_did != artist.did:
        rows = [a for a in rows if a.takedown_reason is None]
    out = await present(db, runtime, rows, viewer_did)
    return out if viewer_did == artist.did else [a for a in out if a.track_count > 0]


async def by_slug(db: AsyncSession, handle: str, slug: str, viewer_did: str | None) -> Album:
    """The album, for its artist; for anyone else only while it holds a track they may see
    (its title, notes and cover would otherwise tell of private or unlisted tracks)."""
    artist = await artists.by_handle(db, handle)
    album = await repository.by_slug(db, artist.did, slug)
    if album is None or (
        viewer_did != album.artist_did
        and (
            album.takedown_reason is not None
            or not await repository.visible_counts(db, [album.id], viewer_did)
        )
    ):
        raise NotFound("no album with that name here")
    return album


async def get(db: AsyncSession, album_id: int) -> Album:
    album = await repository.get_with_artist(db, album_id)
    if album is None:
        raise NotFound("album not found")
    return album


async def get_owned(db: AsyncSession, album_id: int, did: str) -> Album:
    """The album, when `did` made it: 404 when there is none, 403 when it is not theirs."""
    album = await get(db, album_id)
    if album.artist_did != did:
        raise Forbidden("only the album's artist can change it")
    return album


async def create(db: AsyncSession, did: str, body: AlbumIn) -> tuple[Album, bool]:
    """The artist's album with this title's slug: the existing one, or a new one."""
    album, created = await tracks_repo.get_or_create_album_reporting(
        db, did, body.title, body.description or None
    )
    await db.flush()
    return await get(db, album.id), created


async def update(db: AsyncSession, album: Album, patch: AlbumPatch, did: str) -> None:
    """Apply the changes; a new title is rewritten, once committed, into the records of
    its published tracks (they name it) and then its own."""
    renamed = patch.title is not None and patch.title != album.title
    if patch.title is not None and renamed:
        slug = tracks_repo.album_slug(patch.title)
        if await repository.slug_taken(db, album.artist_did, slug, album.id):
            raise Conflict(f"you already have an album at /{slug}: choose another title")
        album.title, album.slug = patch.title, slug
    if patch.description is not None:
        album.description = patch.description or None
    await db.flush()
    if renamed:
        await _queue_records(db, album, await _published(db, album), did)


async def _published(db: AsyncSession, album: Album) -> list[int]:
    ids = await repository.track_ids(db, album.id)
    return [t.id for t in await tracks_repo.by_ids(db, ids) if t.status == "published"]


async def _queue_records(db: AsyncSession, album: Album, track_ids: list[int], did: str) -> None:
    """Once committed: these tracks' records (first: the album's refers to them), then the
    album's own record, when it has one."""
    for track_id in track_ids:
        await publishing.queue_sync(db, track_id, did)
    if album.atproto_record_uri is not None:
        await list_records.queue_sync(db, "album", album.id, did)


async def set_cover(db: AsyncSession, runtime: Runtime, album: Album, path: Path) -> None:
    """Store new artwork; the old one goes once committed, when nothing else uses it."""
    await replace_artwork(db, runtime, album, path)


async def set_tracks(db: AsyncSession, album: Album, track_ids: Sequence[int], did: str) -> None:
    """The album holds exactly these tracks of the artist's, in this order; once committed,
    the records of the published tracks that joined or left it (they name the album) and
    the album's are rewritten."""
    if len(set(track_ids)) != len(track_ids):
        raise BadRequest("track_ids: each track may appear once")
    owners = await repository.owned_track_artists(db, track_ids)
    for track_id in track_ids:
        if track_id not in owners:
            raise BadRequest(f"track_ids: there is no track {track_id}")
        if owners[track_id] != did:
            raise Forbidden(f"track {track_id} is not yours: an album holds its artist's tracks")
    before = set(await repository.track_ids(db, album.id))
    await repository.set_membership(db, album.id, track_ids)
    touch(album)
    await db.flush()
    changed = before.symmetric_difference(track_ids)
    published = await tracks_repo.by_ids(db, sorted(changed))
    ids = [t.id for t in published if t.status == "published"]
    for track_id in ids:
        await publishing.queue_sync(db, track_id, did)
    await list_records.queue_sync(db, "album", album.id, did)


def touch(album: Album) -> None:
    """The album changed (its tracks are another table): `updated_at` says when."""
    album.updated_at = utcnow()


async def delete(db: AsyncSession, album: Album, *, with_tracks: bool) -> None:
    """Delete the album, and its tracks (as deleting each does) or else keep them,
    album-less. Once committed, its record goes, and its released tracks' records, which
    named it, are rewritten."""
    rkey = list_records.key_in(album.atproto_record_uri)
    if with_tracks:
        for track_id in await repository.track_ids(db, album.id):
            track = await tracks_repo.get(db, track_id)
            if track is not None:
                await edits.delete_track(db, track)
    released = await repository.release_tracks(db, album.id)
    image_id, image_type = album.image_id, album.image_type
    await repository.delete(db, album)
    for track in await tracks_repo.by_ids(db, released):
        if track.status == "published":
            await publishing.queue_sync(db, track.id, album.artist_did)
    if rkey:
        await list_records.queue_delete(db, album.artist_did, rkey)
    await release_image(db, image_id, image_type)


def downloads_allowed(album: Album, viewer_did: str | None) -> bool:
    """The artist's download policy (`plyr.stream.service.download_source`)."""
    policy = (album.artist.preferences or {}).get("download_policy", "open")
    return policy == "open" or album.artist_did == viewer_did


async def download_members(db: AsyncSession, album: Album, viewer_did: str | None) -> list[Member]:
    """The files of the album's tracks the viewer may download, in album order: each
    track's original (lossless when there is one), else its playable file."""
    if not downloads_allowed(album, viewer_did):
        raise Forbidden("the artist does not allow downloads of this album")
    rows = [t for t in await visible_tracks(db, album, viewer_did) if t.origin == "upload"]
    wanted = {t.original_file_id or t.file_id for t in rows}
    files = await repository.audio_files(db, sorted(wanted))
    members: list[Member] = []
    for track in rows:
        audio = files.get(track.original_file_id or track.file_id)
        if audio is None or audio.is_remote:
            continue
        name = member_name(len(members) + 1, track.title, audio.ext)
        members.append(Member(name, audio.key, audio.size, track.created_at))
    if not members:
        raise NotFound("this album has nothing to download")
    return members
