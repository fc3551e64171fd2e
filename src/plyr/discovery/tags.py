"""Suggested tags for a track: musicnn's tags in plyr's tag namespace, plus the tags of the
tracks that sound most like it (offline-ml.md §4.1 items 4 and 5), minus its own tags.

musicnn names 100 things, some the same thing twice ("female vocal", "woman") and some no
one tags a track with ("00s", "man"): `TAG_NAMES` maps each to a plyr-style tag or to
nothing. Its probabilities are coarse (50 MagnaTagATune + 50 Million Song Dataset labels,
nowhere near Discogs' 400 styles); the neighbours' votes use the instance's own vocabulary,
so they can name what musicnn cannot.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.discovery import repository
from plyr.discovery.store import vector_store
from plyr.discovery.vectors import EVERYONE
from plyr.discovery.vectors.base import from_bytes
from plyr.models import Track, TrackFeatures
from plyr.tracks import publishing
from plyr.tracks import repository as tracks
from plyr.tracks.forms import MAX_TAGS

# musicnn's labels (MTT's 50, then MSD's 50, the order of `track_features.tags`) -> plyr tag
MTT_TAGS: tuple[str | None, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocals", "synth", "female vocals", "indian", "opera",
    "male vocals", "vocals", "vocals", "instrumental", "harpsichord", "loud", "quiet", "flute",
    "female vocals", "male vocals", "instrumental", "pop", "soft", None, "sitar", None,
    "male vocals", "classical", "choir", "vocals", "new age", "dance", "male vocals",
    "female vocals", "beat", "harp", "cello", "instrumental", "experimental", "country",
    "metal", "female vocals", "choir",
)  # fmt: skip
MSD_TAGS: tuple[str | None, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocals", "dance", None,
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocals", "classic rock",
    "soul", "indie rock", "mellow", "electronic", None, "folk", None, "chillout",
    "instrumental", "punk", None, "blues", "hard rock", "ambient", "acoustic", "experimental",
    "female vocals", "guitar", "hip-hop", None, "party", "country", "easy listening", None,
    None, "funk", "electro", "heavy metal", "progressive rock", None, "rnb", "indie pop", "sad",
    "house", "happy",
)  # fmt: skip
TAG_NAMES: tuple[str | None, ...] = MTT_TAGS[:31] + MTT_TAGS[32:] + MSD_TAGS

# a musicnn tag suggests its plyr tag from this probability on: the taggers' probabilities
# are low on the whole (a clear ambient pad scores ~0.6, its runner-up tags 0.1-0.4)
MIN_PROBABILITY = 0.15
NEIGHBOURS = 20  # tagged tracks that vote (offline-ml.md §4.1 item 5)
CANDIDATES = 60  # nearest tracks looked at to find that many tagged ones
# auto_tag: plyr.fm's rule
AUTO_TAG_SHARE = 0.5
AUTO_TAG_MAX = 5


@dataclass(frozen=True)
class Suggestion:
    name: str
    score: float


def musicnn_scores(tags: np.ndarray) -> dict[str, float]:
    """plyr tag -> the highest probability among the musicnn tags that map to it."""
    scores: dict[str, float] = {}
    for name, probability in zip(TAG_NAMES, tags.tolist(), strict=True):
        if name is not None and probability >= MIN_PROBABILITY:
            scores[name] = max(scores.get(name, 0.0), float(probability))
    return scores


async def neighbour_votes(
    runtime: Runtime, db: AsyncSession, track_id: int, embedding: np.ndarray
) -> dict[str, float]:
    """Tag -> the similarity-weighted share of the nearest tagged tracks carrying it."""
    store = await vector_store(runtime)
    nearest = await store.nearest(
        db, "embedding", embedding, CANDIDATES, exclude_ids={track_id}, audience=EVERYONE
    )
    tags_of = await repository.tags_of(db, [n.track_id for n in nearest])
    voters = [n for n in nearest if tags_of.get(n.track_id) and n.similarity > 0][:NEIGHBOURS]
    total = sum(n.similarity for n in voters)
    votes: dict[str, float] = defaultdict(float)
    for voter in voters:
        for name in tags_of[voter.track_id]:
            votes[name] += voter.similarity / total
    return dict(votes)


async def suggestions(
    runtime: Runtime, db: AsyncSession, track: Track, limit: int
) -> list[Suggestion] | None:
    """The track's suggested tags, best first (None when it has no analysis): musicnn's
    score plus the neighbours' vote, each 0..1, so tags both agree on come first."""
    row = await db.get(TrackFeatures, track.id)
    if row is None:
        return None
    scores: dict[str, float] = defaultdict(float)
    for name, score in musicnn_scores(from_bytes(row.tags)).items():
        scores[name] += score
    votes = await neighbour_votes(runtime, db, track.id, from_bytes(row.embedding))
    for name, vote in votes.items():
        scores[name] += vote
    own = {tag.name for tag in track.tags}
    ranked = sorted(
        (Suggestion(name, round(score, 4)) for name, score in scores.items() if name not in own),
        key=lambda s: (-s.score, s.name),
    )
    return ranked[:limit]


def auto_tags(ranked: list[Suggestion]) -> list[str]:
    """plyr.fm's rule: the suggestions scoring at least half the top one's, at most five."""
    if not ranked:
        return []
    floor = ranked[0].score * AUTO_TAG_SHARE
    return [s.name for s in ranked if s.score >= floor][:AUTO_TAG_MAX]


async def apply_auto_tags(runtime: Runtime, db: AsyncSession, track_id: int) -> list[str]:
    """In the caller's transaction: add the auto tags beside the artist's own (within the
    tag limit), and have the track's record follow. Returns the tags added."""
    track = await tracks.get(db, track_id)
    if track is None:
        return []
    ranked = await suggestions(runtime, db, track, limit=AUTO_TAG_MAX * 4)
    room = MAX_TAGS - len(track.tags)
    added = auto_tags(ranked or [])[: max(room, 0)]
    if not added:
        return []
    track.tags = list(track.tags) + await tracks.tags_by_name(db, added)
    await db.flush()
    await publishing.queue_sync(db, track.id, track.artist_did)
    await outbox.add(db, Kind.CATALOG_CHANGED)
    return added
