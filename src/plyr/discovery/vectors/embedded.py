"""The embedded vector store: each process holds the vectors of `track_features` in a float32
matrix per space and searches it exactly (one matrix product, then argpartition).

Keeping up with other processes (a worker analyses, the web process searches):
- vectors: rows analysed after the newest `analyzed_at` held, less `OVERLAP` (so a
  transaction that committed late with an earlier timestamp is not missed); of those, only
  the ones whose analysis differs from the one held are read (so thousands of rows written
  with one timestamp are looked at again for two minutes). At most every
  `refresh_interval` seconds, before a search;
- standing (visibility, status, gate, deletion): reloaded for every analysed track every
  `standing_interval` seconds (~0.4 s at 100k tracks on SQLite);
- and what a search returns is checked against the database in the same call, so a track
  made private or deleted a moment ago is never returned: it is masked and the search runs
  again.
The audience's filter is a mask over the matrix applied before ranking, so `k` results come
back whenever that many tracks qualify.

Memory: 100k tracks x 400 float32 = 160 MB; a query ~15 ms on one core
(../shared/reviews/offline-ml.md §3). Exact search is the default; an HNSW index (usearch)
above some size is future work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.discovery.models.threads import blas_threads
from plyr.discovery.vectors import repository
from plyr.discovery.vectors.base import (
    DIMENSIONS,
    EVERYONE,
    Audience,
    Features,
    Neighbour,
    Space,
    Vector,
    checked,
    unit,
    validated,
)

OVERLAP = timedelta(minutes=2)
NO_ARTIST = -1
MAX_RECHECKS = 5  # searches again after masking what the database no longer allows
IN_THREAD_ABOVE = 20_000  # rows x queries: ~1 ms of product and more


class _Matrix:
    """One space's vectors, rows in arrival order; a removed track's row stays (masked) until
    the process restarts."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.size = 0
        self.rows: dict[int, int] = {}  # track id -> row
        self.ids = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, dimensions), dtype=np.float32)
        self.present = np.zeros(0, dtype=bool)  # has a vector in this space, still analysed
        self.listed = np.zeros(0, dtype=bool)
        self.published = np.zeros(0, dtype=bool)
        self.artist = np.zeros(0, dtype=np.int32)

    def row_of(self, track_id: int) -> int:
        row = self.rows.get(track_id)
        if row is None:
            row = self.size
            self._grow(row + 1)
            self.rows[track_id] = row
            self.ids[row] = track_id
            self.size += 1
        return row

    def _grow(self, needed: int) -> None:
        capacity = len(self.ids)
        if needed <= capacity:
            return
        capacity = max(needed, capacity * 2, 1024)
        extra = capacity - len(self.ids)
        self.ids = np.concatenate([self.ids, np.zeros(extra, dtype=np.int64)])
        self.vectors = np.concatenate(
            [self.vectors, np.zeros((extra, self.dimensions), dtype=np.float32)]
        )
        self.present = np.concatenate([self.present, np.zeros(extra, dtype=bool)])
        self.listed = np.concatenate([self.listed, np.zeros(extra, dtype=bool)])
        self.published = np.concatenate([self.published, np.zeros(extra, dtype=bool)])
        self.artist = np.concatenate([self.artist, np.full(extra, NO_ARTIST, dtype=np.int32)])

    def hide(self, track_id: int) -> None:
        row = self.rows.get(track_id)
        if row is not None:
            self.listed[row] = self.published[row] = False

    def allowed(self, viewer: int, exclude_ids: Collection[int]) -> npt.NDArray[np.bool_]:
        n = self.size
        mask = self.present[:n] & (
            self.listed[:n] | (self.published[:n] & (self.artist[:n] == viewer))
        )
        for track_id in exclude_ids:
            row = self.rows.get(track_id)
            if row is not None:
                mask[row] = False
        return mask


class EmbeddedStore:
    name = "embedded"

    def __init__(self, *, refresh_interval: float = 1.0, standing_interval: float = 30.0) -> None:
        self.refresh_interval = refresh_interval
        self.standing_interval = standing_interval
        self._matrices: dict[Space, _Matrix] = {s: _Matrix(d) for s, d in DIMENSIONS.items()}
        self._watermark: datetime | None = None  # the newest analysis held
        self._analyzed_at: dict[int, datetime] = {}  # track id -> the analysis held
        self._artists: dict[str, int] = {}
        self._refreshed_at = -float("inf")
        self._standing_at = -float("inf")
        self._lock = asyncio.Lock()

    # --- writes (the caller commits; this process's copy catches up on its next refresh) --

    async def upsert(self, db: AsyncSession, features: Features) -> None:
        await repository.save_features(db, validated(features))

    async def remove(self, db: AsyncSession, track_id: int) -> None:
        await repository.delete_features(db, track_id)
        for matrix in self._matrices.values():
            matrix.hide(track_id)  # at once: a rollback is undone by the next standing reload

    # --- keeping up with the database -------------------------------------------------------

    async def refresh(self, db: AsyncSession) -> None:
        async with self._lock:
            await self._refresh(db)

    async def _refresh_if_due(self, db: AsyncSession) -> None:
        if not self._due():
            return
        async with self._lock:
            if self._due():  # not done meanwhile by a search that waited on the lock first
                await self._refresh(db)

    def _due(self) -> bool:
        return time.monotonic() - self._refreshed_at >= self.refresh_interval

    async def _refresh(self, db: AsyncSession) -> None:
        self._refreshed_at = time.monotonic()
        if self._watermark is None:
            changed = await repository.stored_features(db)
        else:
            recent = await repository.analysed_since(db, self._watermark - OVERLAP)
            ids = [t for t, at in recent if self._analyzed_at.get(t) != at]
            changed = await repository.stored_features(db, ids) if ids else []
        for stored in changed:
            self._load(stored)
        if self._refreshed_at - self._standing_at >= self.standing_interval:
            await self._reload_standings(db)

    def _load(self, stored: repository.StoredFeatures) -> None:
        track_id = stored.standing.track_id
        self._analyzed_at[track_id] = stored.analyzed_at
        if self._watermark is None or stored.analyzed_at > self._watermark:
            self._watermark = stored.analyzed_at
        spaces: tuple[tuple[Space, Vector | None], ...] = (
            ("embedding", stored.embedding),
            ("clap", stored.clap),
        )
        for space, vector in spaces:
            matrix = self._matrices[space]
            if vector is None and track_id not in matrix.rows:
                continue
            row = matrix.row_of(track_id)
            matrix.present[row] = vector is not None
            if vector is not None:
                matrix.vectors[row] = unit(vector)
            self._set_standing(matrix, row, stored.standing)

    def _set_standing(self, matrix: _Matrix, row: int, standing: repository.Standing) -> None:
        matrix.listed[row] = standing.listed
        matrix.published[row] = standing.published
        matrix.artist[row] = self._artists.setdefault(standing.artist_did, len(self._artists))

    async def _reload_standings(self, db: AsyncSession) -> None:
        self._standing_at = time.monotonic()
        current = {s.track_id: s for s in await repository.standings(db)}
        for matrix in self._matrices.values():
            for track_id, row in matrix.rows.items():
                standing = current.get(track_id)
                if standing is None:  # no longer analysed (or deleted)
                    matrix.present[row] = False
                else:
                    self._set_standing(matrix, row, standing)

    async def _reload_standings_of(self, db: AsyncSession, track_ids: Collection[int]) -> None:
        current = {s.track_id: s for s in await repository.standings(db, track_ids)}
        for matrix in self._matrices.values():
            for track_id in track_ids:
                row = matrix.rows.get(track_id)
                if row is None:
                    continue
                standing = current.get(track_id)
                if standing is None:  # no longer analysed (or deleted)
                    matrix.present[row] = False
                else:
                    self._set_standing(matrix, row, standing)

    # --- search -----------------------------------------------------------------------------

    async def nearest(
        self,
        db: AsyncSession,
        space: Space,
        query: Vector,
        k: int,
        *,
        exclude_ids: Collection[int] = (),
        audience: Audience = EVERYONE,
    ) -> list[Neighbour]:
        found = await self.nearest_many(
            db, space, [query], k, exclude_ids=exclude_ids, audience=audience
        )
        return found[0]

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
        if not queries:
            return []
        await self._refresh_if_due(db)
        matrix = self._matrices[space]
        targets = np.stack(
            [unit(checked(q, matrix.dimensions, f"{space} query")) for q in queries], axis=1
        )
        viewer = NO_ARTIST
        if audience.viewer_did is not None:
            viewer = self._artists.get(audience.viewer_did, NO_ARTIST - 1)
        answers: list[list[Neighbour]] = []
        still: set[int] = set()
        for _ in range(MAX_RECHECKS):
            answers = await _rank(matrix, targets, matrix.allowed(viewer, exclude_ids), k)
            returned = {n.track_id for answer in answers for n in answer}
            still = await repository.qualifying(db, returned, audience)
            if still == returned:
                break
            # changed since the last standing reload (made private, deleted): take up their
            # current standing (not a mask for everyone: the artist may still see a private
            # track of theirs) and search again
            await self._reload_standings_of(db, returned - still)
        return [[n for n in answer if n.track_id in still] for answer in answers]


async def _rank(
    matrix: _Matrix, targets: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_], k: int
) -> list[list[Neighbour]]:
    """The `k` most similar allowed rows for each column of `targets`. A large product runs
    in a thread: ~20 ms at 100k x 400 would otherwise stall every other request."""
    if matrix.size * targets.shape[1] >= IN_THREAD_ABOVE:
        return await asyncio.to_thread(_rank_now, matrix, targets, allowed, k)
    return _rank_now(matrix, targets, allowed, k)


def _rank_now(
    matrix: _Matrix, targets: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_], k: int
) -> list[list[Neighbour]]:
    # the rows the mask covers: a refresh in the meantime may have added some
    n = len(allowed)
    count = min(k, int(allowed.sum()))
    if count <= 0:
        return [[] for _ in range(targets.shape[1])]
    vectors, ids = matrix.vectors[:n], matrix.ids[:n]
    # cosine (rows and targets are unit); one query: a matrix-vector product, cheaper
    single = targets.shape[1] == 1
    with blas_threads(1):  # memory-bound: more BLAS threads only spin (bridge.TagCatalogue)
        scores = (vectors @ targets[:, 0])[:, None] if single else vectors @ targets
    scores[~allowed] = -np.inf
    top = np.argpartition(-scores, count - 1, axis=0)[:count]
    answers = []
    for column in range(targets.shape[1]):
        rows = top[:, column]
        rows = rows[np.argsort(-scores[rows, column], kind="stable")]
        answers.append([Neighbour(int(ids[r]), float(scores[r, column])) for r in rows])
    return answers
