"""Comparing two fingerprints: the bit error rate (BER) of their 32-bit items at an
alignment, over at least `MIN_OVERLAP_S` of shared audio. Thresholds from the spec's
measurements on generated music (re-encodes, volume, noise, low-pass 0.000-0.01; trims
0.04-0.08; different pieces 0.39-0.44)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from plyr.moderation.fingerprint.fpcalc import ITEMS_PER_SECOND, Items

LIKELY_MAX_BER = 0.15  # a likely copy of the matched track
POSSIBLE_MAX_BER = 0.30  # a possible copy; above: clear
MIN_OVERLAP_S = 10.0
MIN_OVERLAP_ITEMS = int(MIN_OVERLAP_S * ITEMS_PER_SECOND)

Verdict = Literal["likely", "possible", "clear"]


@dataclass(frozen=True)
class Alignment:
    """`query[i]` lines up with `reference[i + offset]`; `ber` over `overlap` items."""

    offset: int
    ber: float
    overlap: int

    @property
    def offset_s(self) -> float:
        return round(self.offset / ITEMS_PER_SECOND, 2)

    @property
    def overlap_s(self) -> float:
        return round(self.overlap / ITEMS_PER_SECOND, 2)


def verdict(ber: float) -> Verdict:
    if ber <= LIKELY_MAX_BER:
        return "likely"
    if ber <= POSSIBLE_MAX_BER:
        return "possible"
    return "clear"


def ber_at(query: Items, reference: Items, offset: int) -> Alignment | None:
    """The BER at one alignment; None when they share less than the minimum overlap."""
    start = max(0, -offset)
    end = min(len(query), len(reference) - offset)
    overlap = end - start
    if overlap < MIN_OVERLAP_ITEMS:
        return None
    xor = query[start:end] ^ reference[start + offset : end + offset]
    errors = int(np.bitwise_count(xor).sum())
    return Alignment(offset, errors / (32 * overlap), overlap)


def best_alignment(
    query: Items, reference: Items, offsets: list[int], slack: int = 2
) -> Alignment | None:
    """The lowest BER at the candidate offsets, each tried `slack` items either way (a trim
    that is not a whole number of items shifts the best alignment by one)."""
    best: Alignment | None = None
    tried: set[int] = set()
    for candidate in offsets:
        for offset in range(candidate - slack, candidate + slack + 1):
            if offset in tried:
                continue
            tried.add(offset)
            found = ber_at(query, reference, offset)
            if found is not None and (best is None or found.ber < best.ber):
                best = found
    return best


def brute_force(query: Items, reference: Items) -> Alignment | None:
    """Every alignment (the baseline the index is measured against, and a test oracle)."""
    offsets = list(range(-len(query) + MIN_OVERLAP_ITEMS, len(reference) - MIN_OVERLAP_ITEMS + 1))
    return best_alignment(query, reference, offsets, slack=0)
