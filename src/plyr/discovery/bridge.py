"""The text→audio tag bridge ("Bridge A", ../shared/reviews/offline-ml.md §2.3).

No joint audio-text model ships offline, so a query reaches audio through musicnn's tag
vocabulary: the query and each tag name are embedded with MiniLM, the query's weights over
the tags are a softmax of their cosines (temperature `TAU`), and a track scores the dot
product of those weights with its catalogue-standardised tag probabilities (z-scores, which
remove priors such as "electronic" being high on anything synthetic).

A query outside the vocabulary ("xylophone zebra quantum", "dark", "shoegaze") is never
close to any tag name; the softmax would still hand out weights, so the bridge refuses it
when no tag name reaches `COSINE_FLOOR` rather than pretend.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from plyr.discovery.models import encode_texts
from plyr.discovery.models.threads import blas_threads

Matrix = npt.NDArray[np.float32]

TAU = 0.05
# Measured with MiniLM-L6 on "{name} music": queries in the vocabulary reach 0.47-0.78
# ("loud distorted rock guitar" 0.47, "ambient calm" 0.68, "solo piano" 0.78); outside it,
# 0.11-0.39 ("tax return spreadsheet" 0.11, "xylophone zebra quantum" 0.32, "lo-fi" 0.39).
COSINE_FLOOR = 0.42
MATCHED_WEIGHT = 0.05  # a tag carries the query when its softmax weight reaches this
MATCHED_TAGS = 3
MIN_STD = 1e-3  # a tag constant over the catalogue says nothing: its z-scores stay 0


@cache
def musicnn_vocabulary() -> tuple[str, ...]:
    """musicnn's 100 tag names in `track_features.tags` order: MagnaTagATune's 50, then the
    Million Song Dataset's 50 (plain lists in the wheel: no weights are loaded)."""
    configuration = importlib.import_module("musicnn.configuration")
    return tuple(configuration.MTT_LABELS) + tuple(configuration.MSD_LABELS)


def _phrase(name: str) -> str:
    return f"{name} music"


@cache
def musicnn_tag_embeddings() -> Matrix:
    """MiniLM embeddings of the vocabulary, once per process (on the first mood search)."""
    return encode_texts([_phrase(name) for name in musicnn_vocabulary()])


class NameEmbeddings:
    """MiniLM embeddings of user tag names, computed once per name per process."""

    def __init__(self) -> None:
        self._known: dict[str, npt.NDArray[np.float32]] = {}

    def matrix(self, names: Sequence[str]) -> Matrix:
        missing = [name for name in dict.fromkeys(names) if name not in self._known]
        if missing:
            for name, vector in zip(
                missing, encode_texts([_phrase(n) for n in missing]), strict=True
            ):
                self._known[name] = vector
        if not names:
            return np.zeros((0, musicnn_tag_embeddings().shape[1]), np.float32)
        return np.stack([self._known[name] for name in names])


@dataclass(frozen=True)
class TagWeights:
    """A query's softmax weights over some tag names, and whether any of them is close
    enough to the query to mean something."""

    names: tuple[str, ...]
    weights: npt.NDArray[np.float64]
    best_cosine: float

    @property
    def meaningful(self) -> bool:
        return self.best_cosine >= COSINE_FLOOR

    def matched(self, limit: int = MATCHED_TAGS) -> list[str]:
        """The names that carried the query, heaviest first, each once (MTT and MSD share
        some names)."""
        if not self.meaningful:
            return []
        order = np.argsort(-self.weights, kind="stable")
        names = [self.names[i] for i in order if self.weights[i] >= MATCHED_WEIGHT]
        return list(dict.fromkeys(names))[:limit]


def tag_weights(
    query: npt.NDArray[np.float32], names: Sequence[str], embeddings: Matrix
) -> TagWeights:
    """softmax(cos(query, tagᵢ) / TAU) over the names (unit vectors: cosine is a dot)."""
    if not len(names):
        return TagWeights((), np.zeros(0), -1.0)
    cosines = embeddings.astype(np.float64) @ query.astype(np.float64)
    scaled = (cosines - cosines.max()) / TAU
    weights = np.exp(scaled)
    return TagWeights(tuple(names), weights / weights.sum(), float(cosines.max()))


@dataclass(frozen=True)
class TagCatalogue:
    """The analysed, listed tracks' tag probabilities, standardised per tag."""

    track_ids: npt.NDArray[np.int64]
    z: Matrix  # (tracks, 100)

    @classmethod
    def of(cls, track_ids: Sequence[int], probabilities: Matrix) -> TagCatalogue:
        if not len(track_ids):
            return cls(np.zeros(0, np.int64), np.zeros((0, len(musicnn_vocabulary())), np.float32))
        mean = probabilities.mean(axis=0)
        std = probabilities.std(axis=0)
        z = np.where(std >= MIN_STD, (probabilities - mean) / np.maximum(std, MIN_STD), 0.0)
        return cls(np.asarray(track_ids, np.int64), z.astype(np.float32))

    def __len__(self) -> int:
        return len(self.track_ids)

    def ranked(self, weights: TagWeights, limit: int) -> list[tuple[int, float]]:
        """The `limit` best (track id, score = z · weights), best first."""
        if not len(self) or not weights.meaningful:
            return []
        # one BLAS thread: a matrix-vector product is memory-bound, and BLAS's idle threads
        # spin (100k tracks on a busy 2-core box: 37 ms on its default threads, 2.7 on one)
        with blas_threads(1):
            scores = self.z @ weights.weights.astype(np.float32)
        top = min(limit, len(scores))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.track_ids[i]), float(scores[i])) for i in best]


RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], k: int = RRF_K
) -> list[tuple[int, float]]:
    """Ids by Σ 1/(k + rank) over the rankings they appear in (rank from 1), best first; ties
    keep the order in which ids were first seen."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
