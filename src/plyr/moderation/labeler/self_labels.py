"""Creators' self-labels (the track record's `labels`, the upload field `self_labels`) as
Label rows (origin "self", src = the artist), on the track's record URI: after each change of
the track's record, the labels follow its current `self_labels` (new values added, dropped
ones negated) and take effect. Only content warnings count: a creator cannot take their own
work down or mark it a copyright violation through a self-label."""

from __future__ import annotations

from plyr.core.runtime import Runtime, current_runtime
from plyr.models import Label
from plyr.moderation.labeler import repository, service, wire
from plyr.tracks import repository as tracks

# the name `plyr.tracks` enqueues it by (tracks may not import moderation)
SYNC_SELF_LABELS = "sync_self_labels"
SELF = "self"
CREATOR_VALUES = frozenset({"sexual", "porn", "nudity", "graphic-media"})


async def sync_self_labels(track_id: int) -> None:
    """Make the track's self-labels match what its artist says now."""
    await sync(current_runtime(), track_id)


async def sync(runtime: Runtime, track_id: int) -> list[Label]:
    """The labels and negations added."""
    async with runtime.writer() as db:
        track = await tracks.get(db, track_id)
        if track is None or not track.atproto_record_uri:
            return []
        uri, src = track.atproto_record_uri, track.artist_did
        wanted = {str(v) for v in track.self_labels or []} & CREATOR_VALUES
        active = await repository.active_values(db, uri=uri, src=src, origin=SELF)
        changes = [(val, False) for val in sorted(wanted - active)]
        changes += [(val, True) for val in sorted(active - wanted)]
        added = []
        for val, neg in changes:
            label = Label(origin=SELF, src=src, uri=uri, val=val, neg=neg, cts=wire.now_cts())
            repository.add(db, label)
            await db.flush()
            await service.apply_effect(db, uri=uri, val=val, neg=neg, src=src)
            added.append(label)
        await db.commit()
    return added
