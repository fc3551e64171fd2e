"""An inverted index over fingerprints, held in memory: a sampled subset of each track's
items, keyed by their top 20 bits, each posting saying (track, position). A query looks its
own sampled keys up, every hit votes for an alignment (reference position - query position)
of that track, and the tracks with the most votes at one alignment are the candidates the
caller verifies by bit error rate (`matching.py`). Work per query grows with the postings
of its keys, not with the catalog: far slower than linearly.

- Sampling is by content (a hash of the key), not by position, so a copy that was trimmed
  samples the same items as its original; 1 item in `SAMPLE` is kept (~1 a second).
- Postings live in sorted segments (numpy arrays): new fingerprints go to a small segment,
  and segments are merged when the newest grows to half the size of the one before it, so
  each posting is re-sorted O(log n) times over the index's life.
- A track fingerprinted again gets a new slot; the old one is marked dead. Dead slots stay
  until the process restarts (the caller verifies against the database anyway).
- Keys that are very common (silence, a hum) are skipped at query time: they vote for
  everything and nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from plyr.moderation.fingerprint.fpcalc import Items

KEY_SHIFT = 12  # key = the item's top 20 bits: robust to the low bits a re-encode flips
SAMPLE = 8
COMMON_KEY_POSTINGS = 2000  # a key with more postings than this votes for nothing
MIN_VOTES = 2

I32 = npt.NDArray[np.int32]
U32 = npt.NDArray[np.uint32]


def sampled(items: Items) -> tuple[U32, I32]:
    """The keys kept from `items` and their positions."""
    keys = items >> np.uint32(KEY_SHIFT)
    mixed = (keys.astype(np.uint64) * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    keep = np.flatnonzero(mixed % np.uint64(SAMPLE) == 0)
    return keys[keep].astype(np.uint32), keep.astype(np.int32)


@dataclass
class _Segment:
    keys: U32
    slots: I32
    positions: I32

    @property
    def size(self) -> int:
        return len(self.keys)

    @staticmethod
    def sorted_from(keys: U32, slots: I32, positions: I32) -> _Segment:
        order = np.argsort(keys, kind="stable")
        return _Segment(keys[order], slots[order], positions[order])


@dataclass(frozen=True)
class Candidate:
    track_id: int
    votes: int
    offsets: list[int]  # the alignments with the most votes, best first


@dataclass
class FingerprintIndex:
    _segments: list[_Segment] = field(default_factory=list)
    _pending: list[_Segment] = field(default_factory=list)
    _slot_track: list[int] = field(default_factory=list)
    # per slot, as arrays (grown by doubling): a query masks its votes with them
    _slot_artist: I32 = field(default_factory=lambda: np.zeros(0, np.int32))
    _slot_alive: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    _slot_of_track: dict[int, int] = field(default_factory=dict)
    _artists: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._slot_of_track)

    def holds(self, track_id: int) -> bool:
        return track_id in self._slot_of_track

    def _artist(self, did: str) -> int:
        return self._artists.setdefault(did, len(self._artists))

    def add(self, track_id: int, artist_did: str, items: Items) -> None:
        self.remove(track_id)
        slot = len(self._slot_track)
        self._slot_track.append(track_id)
        if slot == len(self._slot_alive):
            capacity = max(1024, 2 * slot)
            self._slot_artist = np.resize(self._slot_artist, capacity)
            self._slot_alive = np.resize(self._slot_alive, capacity)
        self._slot_artist[slot] = self._artist(artist_did)
        self._slot_alive[slot] = True
        self._slot_of_track[track_id] = slot
        keys, positions = sampled(items)
        slots = np.full(len(keys), slot, dtype=np.int32)
        self._pending.append(_Segment(keys, slots, positions))

    def remove(self, track_id: int) -> None:
        slot = self._slot_of_track.pop(track_id, None)
        if slot is not None:
            self._slot_alive[slot] = False

    def _seal(self) -> None:
        """Pending postings become a sorted segment; merge while the newest is large."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._segments.append(_merged(pending))
        while len(self._segments) > 1 and (self._segments[-1].size * 2 >= self._segments[-2].size):
            newest = self._segments.pop()
            self._segments[-1] = _merged([self._segments[-1], newest])

    def candidates(self, items: Items, *, exclude_artist: str, limit: int = 5) -> list[Candidate]:
        """The tracks (not by `exclude_artist`) whose postings agree most on one alignment
        with `items`, best first."""
        self._seal()
        keys, positions = sampled(items)
        votes = [_votes(segment, keys, positions) for segment in self._segments]
        slots = np.concatenate([v[0] for v in votes]) if votes else np.zeros(0, np.int32)
        offsets = np.concatenate([v[1] for v in votes]) if votes else np.zeros(0, np.int32)
        if slots.size == 0:
            return []
        excluded = self._artists.get(exclude_artist, -1)
        keep = self._slot_alive[slots] & (self._slot_artist[slots] != excluded)
        return self._ranked(slots[keep], offsets[keep], limit)

    def _ranked(self, slots: I32, offsets: I32, limit: int) -> list[Candidate]:
        pairs = (slots.astype(np.int64) << 32) | (offsets.astype(np.int64) + (1 << 31))
        unique, counts = np.unique(pairs, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        best: dict[int, Candidate] = {}
        for index in order:
            count = int(counts[index])
            if count < MIN_VOTES:
                break
            slot = int(unique[index] >> 32)
            offset = int((unique[index] & 0xFFFFFFFF) - (1 << 31))
            found = best.get(slot)
            if found is None:
                if len(best) == limit:
                    continue
                best[slot] = Candidate(self._slot_track[slot], count, [offset])
            elif len(found.offsets) < 3:
                found.offsets.append(offset)
        return list(best.values())


def _merged(segments: list[_Segment]) -> _Segment:
    return _Segment.sorted_from(
        np.concatenate([s.keys for s in segments]),
        np.concatenate([s.slots for s in segments]),
        np.concatenate([s.positions for s in segments]),
    )


def _votes(segment: _Segment, keys: U32, positions: I32) -> tuple[I32, I32]:
    """(slot, alignment) for every posting of the query's keys in `segment`."""
    left = np.searchsorted(segment.keys, keys, side="left")
    right = np.searchsorted(segment.keys, keys, side="right")
    sizes = right - left
    usable = (sizes > 0) & (sizes <= COMMON_KEY_POSTINGS)
    left, sizes, query_positions = left[usable], sizes[usable], positions[usable]
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    starts = np.repeat(left - np.cumsum(sizes) + sizes, sizes)
    postings = starts + np.arange(total)
    alignment = segment.positions[postings] - np.repeat(query_positions, sizes)
    return segment.slots[postings], alignment.astype(np.int32)
