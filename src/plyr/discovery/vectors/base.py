"""What every vector store shares: the spaces, a track's features, a neighbour, the store's
interface, and how vectors are kept in the database (little-endian float32 bytes)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

Vector = npt.NDArray[np.float32]

Space = Literal["embedding", "clap"]
# the audio-similarity vector (musicnn MSD ⊕ MTT penultimate layers), an operator's CLAP
DIMENSIONS: dict[Space, int] = {"embedding": 400, "clap": 512}
TAG_COUNT = 100  # musicnn MagnaTagATune 50 + Million Song Dataset 50


class VectorShapeError(ValueError):
    """A vector of the wrong length for its space."""


@dataclass(frozen=True)
class Features:
    """A track's analysis, as the analysis task hands it to a store."""

    track_id: int
    model_version: str
    tags: Vector
    embedding: Vector
    clap: Vector | None = None
    bpm: float | None = None


@dataclass(frozen=True)
class Neighbour:
    track_id: int
    similarity: float  # cosine, 1.0 is the same direction


@dataclass(frozen=True)
class Audience:
    """Which tracks a query may return: listed ones (public, published, not gated), and when
    `viewer_did` is set, also that viewer's own published tracks, whatever their visibility."""

    viewer_did: str | None = None


EVERYONE = Audience()


class VectorStore(Protocol):
    """Nearest tracks by cosine similarity in one space. `track_features` is the source of
    truth; writes go through `upsert`/`remove` inside the caller's transaction (the caller
    commits). Filtering (audience, excluded ids) is part of the search, so `k` results come
    back whenever that many tracks qualify."""

    name: str

    async def upsert(self, db: AsyncSession, features: Features) -> None: ...

    async def remove(self, db: AsyncSession, track_id: int) -> None: ...

    async def nearest(
        self,
        db: AsyncSession,
        space: Space,
        query: Vector,
        k: int,
        *,
        exclude_ids: Collection[int] = (),
        audience: Audience = EVERYONE,
    ) -> list[Neighbour]: ...

    async def nearest_many(
        self,
        db: AsyncSession,
        space: Space,
        queries: Sequence[Vector],
        k: int,
        *,
        exclude_ids: Collection[int] = (),
        audience: Audience = EVERYONE,
    ) -> list[list[Neighbour]]:
        """One answer per query (playlist seeds), in the queries' order."""
        ...

    async def refresh(self, db: AsyncSession) -> None:
        """Catch up with what other processes wrote (a no-op where the database searches)."""
        ...


def checked(vector: npt.ArrayLike, length: int, what: str) -> Vector:
    array = np.asarray(vector, dtype=np.float32).reshape(-1)
    if array.shape != (length,):
        raise VectorShapeError(f"{what}: {array.shape[0]} values, not {length}")
    if not np.all(np.isfinite(array)):
        raise VectorShapeError(f"{what}: not finite")
    return array


def unit(vector: Vector) -> Vector:
    """L2-normalised (cosine similarity is then a dot product); zero stays zero."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def to_bytes(vector: Vector) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> Vector:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def validated(features: Features) -> Features:
    """The features, once their vectors have the lengths of their spaces (or a
    VectorShapeError)."""
    checked(features.tags, TAG_COUNT, "tags")
    checked(features.embedding, DIMENSIONS["embedding"], "embedding")
    if features.clap is not None:
        checked(features.clap, DIMENSIONS["clap"], "clap")
    return features
