"""Mirroring playlists and albums to their owner's repo as `fm.plyr.list` records.

One record per playlist or album, its key kept on the row (`atproto_record_uri`), rewritten
with `putRecord` after every change, so a retry never duplicates. Private playlists are
never on the PDS: making one private deletes its record. Writes happen after the rows are
committed, never inside a transaction: the change records them as outbox entries
(`queue_*`, `plyr.core.outbox`), retried until the PDS takes them. The shared rules:
`plyr.atproto.mirror`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import regex
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto import mirror
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.mirror import pds_of, put_for_row, serialized
from plyr.atproto.pds import RecordRef
from plyr.atproto.records import RecordBuilder, tid_for
from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.lists import repository
from plyr.models import Playlist

log = logging.getLogger(__name__)

ListKind = Literal["playlist", "album"]
NAME_GRAPHEMES = 64  # the lexicon's limit on `name`
NAME_BYTES = 256


def collection(runtime: Runtime) -> str:
    return Lexicons(runtime.settings.atproto_namespace).nsid("list")


def record_key(uri: str | None, changed_at: datetime) -> str:
    """The key of the list's record: the one in its URI, else a new TID from when the list
    last changed (a playlist made public again gets a key its deleted record never had, so
    a late echo of that delete cannot remove it)."""
    return uri.rsplit("/", 1)[-1] if uri else tid_for(changed_at)


def key_in(uri: str | None) -> str | None:
    """The record key of a stored record URI."""
    return uri.rsplit("/", 1)[-1] if uri else None


def record_name(name: str) -> str:
    """A name the lexicon takes: whole graphemes, at most 64 of them in 256 UTF-8 bytes."""
    kept: list[str] = []
    size = 0
    for grapheme in regex.findall(r"\X", name.strip())[:NAME_GRAPHEMES]:
        size += len(grapheme.encode())
        if size > NAME_BYTES:
            break
        kept.append(grapheme)
    return "".join(kept) or "untitled"


@dataclass(frozen=True)
class Snapshot:
    did: str
    uri: str | None
    created_at: datetime
    updated_at: datetime
    name: str
    items: list[tuple[str, str]]
    public: bool


async def _snapshot(runtime: Runtime, kind: ListKind, row_id: int) -> Snapshot | None:
    async with runtime.sessionmaker() as db:
        row = await repository.list_row(db, kind, row_id)
        if row is None:
            return None
        if isinstance(row, Playlist):
            did, name, public = row.owner_did, row.name, not row.is_private
            items = await repository.playlist_record_refs(db, row.id) if public else []
        else:
            did, name, public = row.artist_did, row.title, True
            items = await repository.album_record_refs(db, row.id)
    return Snapshot(
        did=did,
        uri=row.atproto_record_uri,
        created_at=row.created_at,
        updated_at=row.updated_at,
        name=name,
        items=items[: repository.MAX_ITEMS],
        public=public,
    )


async def sync(runtime: Runtime, kind: ListKind, row_id: int) -> None:
    """Write the list's record as the rows say now (nothing for a private playlist or a
    list that is gone). Raises `PdsUnavailable` when the PDS cannot take it now,
    `NeedsSignIn` when its owner must sign in again first."""
    async with serialized(f"list:{kind}:{row_id}"):  # the last write says the last state
        await _sync(runtime, kind, row_id)


async def _sync(runtime: Runtime, kind: ListKind, row_id: int) -> None:
    snapshot = await _snapshot(runtime, kind, row_id)
    if snapshot is None or not snapshot.public:
        return
    pds = await pds_of(runtime, snapshot.did)
    if pds is None:
        return  # a local session without a PDS: nothing to mirror to
    rkey = record_key(snapshot.uri, snapshot.updated_at)
    uri = f"at://{snapshot.did}/{collection(runtime)}/{rkey}"
    if snapshot.uri is None:
        async with runtime.writer() as db:
            await repository.claim_record_uri(db, kind, row_id, uri)
            await db.commit()
    record = RecordBuilder(Lexicons(runtime.settings.atproto_namespace)).list(
        name=record_name(snapshot.name),
        list_type=kind,
        items=snapshot.items,
        created_at=snapshot.created_at,
        updated_at=snapshot.updated_at,
    )

    async def keep(ref: RecordRef) -> bool:
        async with runtime.writer() as db:
            kept = await repository.store_record_ref(db, kind, row_id, ref.uri, ref.cid)
            await db.commit()
        return kept  # False: deleted or made private meanwhile, and the record goes again

    await put_for_row(
        runtime, pds, snapshot.did, "list", rkey, record, keep=keep, delete_kind=Kind.LIST_DELETE
    )


async def delete_now(runtime: Runtime, did: str, rkey: str) -> None:
    """Remove a list record; raises like `sync`."""
    await mirror.delete_now(runtime, did, "list", rkey)


async def queue_sync(db: AsyncSession, kind: ListKind, row_id: int, did: str) -> None:
    """In the change's transaction: the list's record follows once it commits (none for a
    private playlist)."""
    await outbox.add(db, Kind.LIST_SYNC, {"list": kind, "id": row_id}, did=did)


async def queue_delete(db: AsyncSession, did: str, rkey: str) -> None:
    await outbox.add(db, Kind.LIST_DELETE, {"did": did, "rkey": rkey}, did=did)
