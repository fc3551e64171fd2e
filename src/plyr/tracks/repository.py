"""Track, tag, audio-file and play SQL."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload, undefer

from plyr.core.text import slugify
from plyr.models import (
    Album,
    Artist,
    AudioFile,
    Comment,
    Like,
    PlayEvent,
    Playlist,
    PlaylistItem,
    Tag,
    Track,
    TrackTag,
)

LISTED = ("public",)
# anyone with the link may play these: their audio may sit behind the public CDN
PLAYABLE_BY_LINK = ("public", "unlisted")


def _with_relations(query: Select[Track]) -> Select[Track]:
    return query.options(
        joinedload(Track.artist),
        joinedload(Track.album),
        joinedload(Track.audio),
        selectinload(Track.tags),
    )


def listed(*, sensitive: bool = False) -> list[ColumnElement[bool]]:
    """Conditions for a track that appears in feeds, tag pages, top, search and discovery:
    public, published, not taken down, and (unless the listener asked for it, `sensitive`)
    not sensitive audio."""
    shown = [Track.visibility.in_(LISTED), Track.status == "published", not_taken_down()]
    return shown if sensitive else [*shown, *not_sensitive()]


def not_taken_down() -> ColumnElement[bool]:
    return Track.takedown_reason.is_(None)


def not_sensitive() -> list[ColumnElement[bool]]:
    return [Track.sensitive_audio.is_(False), Track.self_sensitive_audio.is_(False)]


async def get(db: AsyncSession, track_id: int) -> Track | None:
    query = _with_relations(select(Track).where(Track.id == track_id))
    query = query.execution_options(populate_existing=True)
    return (await db.execute(query)).unique().scalars().first()


async def feed(
    db: AsyncSession,
    *,
    limit: int,
    after: tuple[datetime, int] | None = None,
    artist_did: str | None = None,
    include_unlisted_of: str | None = None,
    tags: Sequence[str] = (),
    hidden_tags: Sequence[str] = (),
    sensitive: bool = False,
) -> list[Track]:
    """Newest first, keyset-paginated on (created_at, id); sensitive audio only when the
    listener asked for it (`sensitive`)."""
    query = select(Track)
    if include_unlisted_of and include_unlisted_of == artist_did:
        query = query.where(Track.artist_did == artist_did, Track.status == "published")
    else:
        query = query.where(*listed(sensitive=sensitive))
        if artist_did:
            query = query.where(Track.artist_did == artist_did)
    for tag in tags:
        query = query.where(_has_tag(tag))
    if hidden_tags:
        query = query.where(~_has_any_tag(hidden_tags))
    if after is not None:
        at, track_id = after
        query = query.where(
            or_(Track.created_at < at, and_(Track.created_at == at, Track.id < track_id))
        )
    query = query.order_by(Track.created_at.desc(), Track.id.desc()).limit(limit)
    return list((await db.execute(_with_relations(query))).unique().scalars())


def _has_tag(name: str) -> Exists:
    return exists().where(
        TrackTag.track_id == Track.id, TrackTag.tag_id == Tag.id, Tag.name == name
    )


def _has_any_tag(names: Sequence[str]) -> Exists:
    return exists().where(
        TrackTag.track_id == Track.id, TrackTag.tag_id == Tag.id, Tag.name.in_(names)
    )


async def by_artist(db: AsyncSession, artist_did: str) -> list[Track]:
    query = select(Track).where(Track.artist_did == artist_did, Track.status == "published")
    query = query.order_by(Track.created_at.desc(), Track.id.desc())
    return list((await db.execute(_with_relations(query))).unique().scalars())


async def more_by_artist(
    db: AsyncSession, artist_did: str, *, besides: int, limit: int
) -> list[Track]:
    """The artist's newest public tracks other than `besides`: `limit` of them, not all."""
    query = select(Track).where(Track.artist_did == artist_did, Track.id != besides, *listed())
    query = query.order_by(Track.created_at.desc(), Track.id.desc()).limit(limit)
    return list((await db.execute(_with_relations(query))).unique().scalars())


async def top(db: AsyncSession, *, since: datetime | None, limit: int) -> list[Track]:
    """Most liked in the period (plays break ties)."""
    score: ColumnElement[int]
    if since is None:
        score = Track.like_count.expression
        query = select(Track).where(*listed())
    else:
        score = func.count(Like.id)
        query = (
            select(Track)
            .outerjoin(Like, and_(Like.track_id == Track.id, Like.created_at >= since))
            .where(*listed())
            .group_by(Track.id)
        )
    query = query.order_by(score.desc(), Track.play_count.desc(), Track.id.desc()).limit(limit)
    return await in_order(db, list((await db.execute(query.with_only_columns(Track.id))).scalars()))


async def by_ids(db: AsyncSession, ids: Sequence[int]) -> list[Track]:
    if not ids:
        return []
    query = _with_relations(select(Track).where(Track.id.in_(ids)))
    return list((await db.execute(query)).unique().scalars())


async def in_order(db: AsyncSession, ids: Sequence[int]) -> list[Track]:
    """The tracks of `ids` that exist, in that order."""
    by_id = {t.id: t for t in await by_ids(db, ids)}
    return [by_id[i] for i in ids if i in by_id]


async def liked_ids(db: AsyncSession, did: str, track_ids: Sequence[int]) -> set[int]:
    if not track_ids:
        return set()
    query = select(Like.track_id).where(Like.did == did, Like.track_id.in_(track_ids))
    return set((await db.execute(query)).scalars())


# the rows whose records name these tracks' records (`tracks.dependents`)
async def lists_holding(db: AsyncSession, track_ids: Sequence[int]) -> list[tuple[str, int, str]]:
    """(kind, id, owner did) of the playlists and albums with a record that hold any of the
    tracks: the records that name them."""
    playlists = (
        select(Playlist.id, Playlist.owner_did)
        .join(PlaylistItem, PlaylistItem.playlist_id == Playlist.id)
        .where(PlaylistItem.track_id.in_(track_ids), Playlist.atproto_record_uri.is_not(None))
        .distinct()
    )
    albums = (
        select(Album.id, Album.artist_did)
        .join(Track, and_(Track.album_id == Album.id, Track.artist_did == Album.artist_did))
        .where(Track.id.in_(track_ids), Album.atproto_record_uri.is_not(None))
        .distinct()
    )
    found = [("playlist", i, did) for i, did in (await db.execute(playlists)).all()]
    return found + [("album", i, did) for i, did in (await db.execute(albums)).all()]


async def likes_of(db: AsyncSession, track_ids: Sequence[int]) -> list[tuple[str, str | None]]:
    """(liker did, like record URI or None) of every like of the tracks."""
    query = select(Like.did, Like.atproto_record_uri).where(Like.track_id.in_(track_ids))
    return [(did, uri) for did, uri in (await db.execute(query)).all()]


async def comment_records_of(db: AsyncSession, track_ids: Sequence[int]) -> list[tuple[str, str]]:
    """(author did, record URI) of the comments on the tracks that have records."""
    query = select(Comment.did, Comment.atproto_record_uri).where(
        Comment.track_id.in_(track_ids), Comment.atproto_record_uri.is_not(None)
    )
    return [(did, str(uri)) for did, uri in (await db.execute(query)).all()]


# a track names its album by title: the album's row is made when first named
def album_slug(title: str) -> str:
    """The slug of an album title; a title with no Latin letters or digits (`東京`) gets a
    stable `album-<hash>` so two such titles never share one album."""
    slug = slugify(title)
    if slug:
        return slug
    digest = hashlib.sha256(" ".join(title.split()).lower().encode()).hexdigest()[:10]
    return f"album-{digest}"


async def get_album(db: AsyncSession, album_id: int) -> Album | None:
    return await db.get(Album, album_id)


async def get_or_create_album(db: AsyncSession, artist_did: str, title: str) -> Album:
    """The artist's album with this title's slug, created when missing (idempotent)."""
    album, _ = await get_or_create_album_reporting(db, artist_did, title)
    return album


async def get_or_create_album_reporting(
    db: AsyncSession, artist_did: str, title: str, description: str | None = None
) -> tuple[Album, bool]:
    """(the album, whether it was created now)."""
    slug = album_slug(title)
    query = select(Album).where(Album.artist_did == artist_did, Album.slug == slug)
    album = (await db.execute(query)).scalars().first()
    if album is not None:
        return album, False
    album = Album(artist_did=artist_did, slug=slug, title=title.strip(), description=description)
    try:
        async with db.begin_nested():
            db.add(album)
    except IntegrityError:  # created concurrently: take that one
        return (await db.execute(query)).scalars().one(), False
    return album, True


async def next_album_position(db: AsyncSession, album_id: int) -> int:
    query = select(func.coalesce(func.max(Track.album_position), -1)).where(
        Track.album_id == album_id
    )
    return int((await db.execute(query)).scalar_one() or 0) + 1


async def find_by_upload(db: AsyncSession, artist_did: str, upload_file_id: str) -> int | None:
    query = select(Track.id).where(
        Track.artist_did == artist_did, Track.upload_file_id == upload_file_id
    )
    return (await db.execute(query)).scalars().first()


async def tags_by_name(db: AsyncSession, names: Sequence[str]) -> list[Tag]:
    """The tags with these names, created when missing."""
    found = {
        t.name: t for t in (await db.execute(select(Tag).where(Tag.name.in_(names)))).scalars()
    }
    for name in names:
        if name in found:
            continue
        try:
            async with db.begin_nested():
                tag = Tag(name=name)
                db.add(tag)
        except IntegrityError:
            tag = (await db.execute(select(Tag).where(Tag.name == name))).scalars().one()
        found[name] = tag
    return [found[n] for n in names]


async def tag_counts(db: AsyncSession, prefix: str, limit: int) -> list[tuple[str, int]]:
    count = func.count(Track.id)
    query = (
        select(Tag.name, count)
        .join(TrackTag, TrackTag.tag_id == Tag.id)
        .join(Track, Track.id == TrackTag.track_id)
        .where(*listed())
        .group_by(Tag.name)
        .order_by(count.desc(), Tag.name)
        .limit(limit)
    )
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Tag.name.like(f"{escaped}%", escape="\\"))
    return [(name, int(n)) for name, n in (await db.execute(query)).all()]


async def get_audio_file(db: AsyncSession, file_id: str) -> AudioFile | None:
    return await db.get(AudioFile, file_id)


async def get_audio_file_with_peaks(db: AsyncSession, file_id: str) -> AudioFile | None:
    return await db.get(
        AudioFile, file_id, options=[undefer(AudioFile.peaks)], populate_existing=True
    )


async def tracks_using_file(db: AsyncSession, file_id: str) -> list[Track]:
    query = select(Track).where(or_(Track.file_id == file_id, Track.original_file_id == file_id))
    return list((await db.execute(query.options(joinedload(Track.artist)))).unique().scalars())


async def file_in_use(db: AsyncSession, file_id: str) -> bool:
    query = select(Track.id).where(or_(Track.file_id == file_id, Track.original_file_id == file_id))
    return (await db.execute(query.limit(1))).first() is not None


async def files_shared(db: AsyncSession, file_ids: Sequence[str], track_id: int) -> bool:
    """Whether a track other than `track_id` plays or keeps any of `file_ids`."""
    uses = or_(Track.file_id.in_(file_ids), Track.original_file_id.in_(file_ids))
    query = select(Track.id).where(uses, Track.id != track_id).limit(1)
    return bool(file_ids) and (await db.execute(query)).first() is not None


async def files_playable_by_link(db: AsyncSession, file_ids: Sequence[str]) -> set[str]:
    """Those of `file_ids` some public or unlisted track plays (or keeps as its original)."""
    if not file_ids:
        return set()
    linkable = and_(Track.visibility.in_(PLAYABLE_BY_LINK), not_taken_down())
    played = select(Track.file_id).where(Track.file_id.in_(file_ids), linkable)
    kept = select(Track.original_file_id).where(Track.original_file_id.in_(file_ids), linkable)
    return {row for row in (await db.scalars(played.union(kept))).all() if row}


async def count_play(db: AsyncSession, track_id: int, listener: str, ref: str | None) -> int:
    await db.execute(
        update(Track).where(Track.id == track_id).values(play_count=Track.play_count + 1)
    )
    db.add(PlayEvent(track_id=track_id, listener=listener, ref_code=ref))
    query = select(Track.play_count).where(Track.id == track_id)
    return int((await db.execute(query)).scalar_one())


async def platform_stats(db: AsyncSession) -> tuple[int, int, int, float]:
    query = select(
        func.coalesce(func.sum(Track.play_count), 0),
        func.count(Track.id),
        func.count(func.distinct(Track.artist_did)),
        func.coalesce(func.sum(Track.duration), 0),
    ).where(*listed())
    plays, tracks, artists, seconds = (await db.execute(query)).one()
    return int(plays or 0), int(tracks or 0), int(artists or 0), float(seconds or 0)


async def artist_of(db: AsyncSession, did: str) -> Artist | None:
    return await db.get(Artist, did)


async def delete_audio_file(db: AsyncSession, file_id: str) -> None:
    audio_file = await db.get(AudioFile, file_id)
    if audio_file is not None:
        await db.delete(audio_file)


async def pending_ids(db: AsyncSession, artist_did: str) -> list[int]:
    """The artist's stored tracks still waiting for their record."""
    query = select(Track.id).where(Track.artist_did == artist_did, Track.status == "pending")
    return list((await db.scalars(query)).all())


async def set_fields(db: AsyncSession, track_id: int, **values: Any) -> bool:
    """Update one track's columns; False when the track no longer exists."""
    result = await db.execute(update(Track).where(Track.id == track_id).values(**values))
    return bool(getattr(result, "rowcount", 0))


async def uploads_of(db: AsyncSession, artist_did: str) -> list[Track]:
    """Every track the artist uploaded here (any visibility or status), oldest first."""
    query = select(Track).where(Track.artist_did == artist_did, Track.origin == "upload")
    query = query.order_by(Track.created_at, Track.id)
    return list((await db.execute(_with_relations(query))).unique().scalars())


async def by_record(db: AsyncSession, did: str, uri: str) -> Track | None:
    """The track of this record URI: only ever one of `did`'s own (the repo's owner)."""
    query = select(Track).where(Track.atproto_record_uri == uri, Track.artist_did == did)
    return (await db.execute(query)).scalars().first()
