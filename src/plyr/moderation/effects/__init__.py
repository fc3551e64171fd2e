"""What labels do to what plyr shows (the spec's "Effects").

`!takedown` and `copyright-violation` hide the item they name from everyone but its owner
and admins, who see the reason (`takedown_reason`; a taken-down track's `/audio` answers
451). `sexual`, `porn` and `nudity` mark a track's audio sensitive: listings leave it out
for signed-out visitors and listeners without `show_sensitive_audio`. A negation withdraws
the effect. The predicates that apply this live with the tables they filter
(`tracks.repository.listed`, `albums.repository.shown_to`, ...); this module only sets the
columns.

Whose labels count: the callers (the labeler's `issue`, the `PLYR_LABELERS` subscriber)
pass only labels from sources this instance honours, after verifying them. The one source
told apart here is the item's creator: their labels are self-labels, honoured for
sensitive values only. A creator cannot take their own things down with a label (nor
restore what a moderator took down with a negation); they can delete or hide them instead.
Between honoured labelers the newest label wins.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.models import SENSITIVE_AUDIO_VALUES, Album, Playlist, Track
from plyr.moderation.effects import repository
from plyr.moderation.effects.repository import Moderated

TAKEDOWN_VALUES = frozenset({"!takedown", "copyright-violation"})
# what the owner and admins read ("taken down: <reason>") when the label gave no reason
LABEL_REASONS = {
    "!takedown": "removed by a moderator",
    "copyright-violation": "copyright violation",
}


class UnknownTarget(LookupError):
    """A takedown or restore of something that is not here."""


async def apply_label(
    db: AsyncSession, *, uri: str, val: str, neg: bool, src: str, reason: str | None = None
) -> None:
    """Update the effect columns of what `uri` names (an at:// URI of a track, album,
    playlist or comment record, or an artist's DID). Labels about things this instance does
    not hold, and values with no effect here, are ignored. The caller commits."""
    row = await _resolve(db, uri)
    if row is None:
        return
    if src == owner_of(row):
        await _apply_self_label(db, row, val, neg)
    elif val in TAKEDOWN_VALUES:
        if neg:
            await _restore(db, row)
        else:
            await _take_down(db, row, reason or row.takedown_reason or LABEL_REASONS[val])
    elif val in SENSITIVE_AUDIO_VALUES and isinstance(row, Track):
        row.sensitive_audio = not neg
        await _listing_changed(db, row)


async def takedown(db: AsyncSession, *, target_type: str, target_id: str, reason: str) -> None:
    """Hide an item that may have no record URI (a private track, an unpublished playlist)
    the way a `!takedown` label would. The caller commits."""
    await _take_down(db, await _row(db, target_type, target_id), reason)


async def restore(db: AsyncSession, *, target_type: str, target_id: str) -> None:
    """Undo `takedown` (or a takedown label): the item shows again. The caller commits."""
    await _restore(db, await _row(db, target_type, target_id))


def owner_of(row: Moderated) -> str:
    if isinstance(row, Track | Album):
        return row.artist_did
    if isinstance(row, Playlist):
        return row.owner_did
    return row.did  # a comment's author, or the artist themselves


async def _resolve(db: AsyncSession, uri: str) -> Moderated | None:
    did = uri.removeprefix("at://")
    if did.startswith("did:") and "/" not in did:  # an account: the artist
        return await repository.by_id(db, "artist", did)
    return await repository.by_record_uri(db, uri)


async def _row(db: AsyncSession, target_type: str, target_id: str) -> Moderated:
    row = await repository.by_id(db, target_type, target_id)
    if row is None:
        raise UnknownTarget(f"no {target_type} {target_id!r} here")
    return row


async def _apply_self_label(db: AsyncSession, row: Moderated, val: str, neg: bool) -> None:
    if val in SENSITIVE_AUDIO_VALUES and isinstance(row, Track):
        row.self_sensitive_audio = not neg
        await _listing_changed(db, row)


async def _take_down(db: AsyncSession, row: Moderated, reason: str) -> None:
    row.takedown_reason = reason[:256]
    if isinstance(row, Track):
        await _listing_changed(db, row, audio=True)


async def _restore(db: AsyncSession, row: Moderated) -> None:
    row.takedown_reason = None
    if isinstance(row, Track):
        await _listing_changed(db, row, audio=True)


async def _listing_changed(db: AsyncSession, track: Track, *, audio: bool = False) -> None:
    """Once committed: aggregates are recounted, and (a takedown or restore) the audio
    stops or starts being served from caches and moves to the store that fits it now."""
    await db.flush()
    await outbox.add(db, Kind.CATALOG_CHANGED, {})
    if audio:
        file_ids = [f for f in (track.file_id, track.original_file_id) if f]
        await outbox.add(db, Kind.AUDIO_CHANGED, {"file_ids": file_ids})
        await outbox.add(db, Kind.STORAGE_PLACE, {"file_ids": file_ids}, did=track.artist_did)
