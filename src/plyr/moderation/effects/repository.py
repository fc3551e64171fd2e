"""SQL for what labels do: finding the row a label's subject names."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Album, Artist, Comment, Playlist, Track

Moderated = Track | Album | Playlist | Comment | Artist
# each moderated kind, by the target type the review queue names it with
MODELS: dict[str, type[Track] | type[Album] | type[Playlist] | type[Comment] | type[Artist]] = {
    "track": Track,
    "album": Album,
    "playlist": Playlist,
    "comment": Comment,
    "artist": Artist,
}
RECORD_KINDS = ("track", "album", "playlist", "comment")


async def by_record_uri(db: AsyncSession, uri: str) -> Moderated | None:
    """The track, album, playlist or comment whose record `uri` names (a record URI is
    unique across the instance: one row per record)."""
    for kind in RECORD_KINDS:
        model = MODELS[kind]
        found = await db.scalar(select(model).where(model.atproto_record_uri == uri))
        if found is not None:
            return cast(Moderated, found)
    return None


async def by_id(db: AsyncSession, target_type: str, target_id: str) -> Moderated | None:
    """A row by the queue's (target_type, target_id): a DID for an artist, an integer id
    otherwise; None for an unknown type or a malformed id."""
    if target_type == "artist":
        return await db.get(Artist, target_id)
    model = MODELS.get(target_type)
    if model is None or not target_id.isdigit():
        return None
    return await db.get(model, int(target_id))
