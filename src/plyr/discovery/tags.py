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

# musicnn's labels, in its order (that of `track_features.tags`: MagnaTagATune's 50, then the
# Million Song Dataset's 50) -> the plyr tag each suggests, or None (decades, "sexy"...)
MTT_TAGS: dict[str, str | None] = {  # MagnaTagATune
    "guitar": "guitar",
    "classical": "classical",
    "slow": "slow",
    "techno": "techno",
    "strings": "strings",
    "drums": "drums",
    "electronic": "electronic",
    "rock": "rock",
    "fast": "fast",
    "piano": "piano",
    "ambient": "ambient",
    "beat": "beat",
    "violin": "violin",
    "vocal": "vocals",
    "synth": "synth",
    "female": "female vocals",
    "indian": "indian",
    "opera": "opera",
    "male": "male vocals",
    "singing": "vocals",
    "vocals": "vocals",
    "no vocals": "instrumental",
    "harpsichord": "harpsichord",
    "loud": "loud",
    "quiet": "quiet",
    "flute": "flute",
    "woman": "female vocals",
    "male vocal": "male vocals",
    "no vocal": "instrumental",
    "pop": "pop",
    "soft": "soft",
    "sitar": "sitar",
    "solo": None,
    "man": "male vocals",
    "classic": "classical",
    "choir": "choir",
    "voice": "vocals",
    "new age": "new age",
    "dance": "dance",
    "male voice": "male vocals",
    "female vocal": "female vocals",
    "beats": "beat",
    "harp": "harp",
    "cello": "cello",
    "no voice": "instrumental",
    "weird": "experimental",
    "country": "country",
    "metal": "metal",
    "female voice": "female vocals",
    "choral": "choir",
}
MSD_TAGS: dict[str, str | None] = {  # Million Song Dataset
    "rock": "rock",
    "pop": "pop",
    "alternative": "alternative",
    "indie": "indie",
    "electronic": "electronic",
    "female vocalists": "female vocals",
    "dance": "dance",
    "00s": None,
    "alternative rock": "alternative rock",
    "jazz": "jazz",
    "beautiful": "beautiful",
    "metal": "metal",
    "chillout": "chillout",
    "male vocalists": "male vocals",
    "classic rock": "classic rock",
    "soul": "soul",
    "indie rock": "indie rock",
    "Mellow": "mellow",
    "electronica": "electronic",
    "80s": None,
    "folk": "folk",
    "90s": None,
    "chill": "chillout",
    "instrumental": "instrumental",
    "punk": "punk",
    "oldies": None,
    "blues": "blues",
    "hard rock": "hard rock",
    "ambient": "ambient",
    "acoustic": "acoustic",
    "experimental": "experimental",
    "female vocalist": "female vocals",
    "guitar": "guitar",
    "Hip-Hop": "hip-hop",
    "70s": None,
    "party": "party",
    "country": "country",
    "easy listening": "easy listening",
    "sexy": None,
    "catchy": None,
    "funk": "funk",
    "electro": "electro",
    "heavy metal": "heavy metal",
    "Progressive rock": "progressive rock",
    "60s": None,
    "rnb": "rnb",
    "indie pop": "indie pop",
    "sad": "sad",
    "House": "house",
    "happy": "happy",
}
TAG_NAMES: tuple[str | None, ...] = (*MTT_TAGS.values(), *MSD_TAGS.values())

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
