"""The process's fingerprint index, kept up with the table: at most every
`REFRESH_INTERVAL_S` (and before each match) the rows stored since the newest one held, less
`OVERLAP` (a transaction that committed late with an earlier timestamp is not missed), are
added; a fingerprint already held is skipped. The first use loads the whole table."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime
from plyr.moderation.fingerprint import repository
from plyr.moderation.fingerprint.fpcalc import Fingerprint
from plyr.moderation.fingerprint.index import FingerprintIndex

KEY = "moderation.fingerprint_index"
OVERLAP = timedelta(minutes=2)


@dataclass
class IndexedCatalog:
    index: FingerprintIndex = field(default_factory=FingerprintIndex)
    # track id -> the stored time of the fingerprint held (not the row id: SQLite reuses the
    # id of a replaced row)
    held: dict[int, datetime] = field(default_factory=dict)
    watermark: datetime | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self, db: AsyncSession) -> int:
        """Add what was stored since the last refresh; returns how many rows were added."""
        async with self.lock:
            after = None if self.watermark is None else self.watermark - OVERLAP
            added = 0
            for row in await repository.since(db, after):
                if self.watermark is None or row.created_at > self.watermark:
                    self.watermark = row.created_at
                if self.held.get(row.track_id) == row.created_at:
                    continue
                self.index.add(row.track_id, row.artist_did, Fingerprint.items_from(row.items))
                self.held[row.track_id] = row.created_at
                added += 1
            return added


def indexed_catalog(runtime: Runtime) -> IndexedCatalog:
    catalog = runtime.process_state.get(KEY)
    if catalog is None:
        catalog = runtime.process_state[KEY] = IndexedCatalog()
    assert isinstance(catalog, IndexedCatalog)
    return catalog
