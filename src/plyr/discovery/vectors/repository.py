"""Vector SQL: `track_features` (the source of truth, every database) and pgvector's side
table `vectors_track` (PostgreSQL with the `vector` extension).

The side table is not a model: it exists only where the extension does, so it is made here,
idempotently, at start-up (`ensure_pgvector`), and filled from `track_features` (rows it
lacks or holds older versions of). An instance that gains pgvector later gets it on its next
start. Its rows go with their `track_features` row (a foreign key, ON DELETE CASCADE), which
goes with its track.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    column,
    delete,
    false,
    literal,
    or_,
    select,
    text,
    values,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.types import UserDefinedType

from plyr.core.orm import UTCDateTime, utcnow
from plyr.discovery.vectors.base import (
    DIMENSIONS,
    Audience,
    Features,
    Neighbour,
    Space,
    Vector,
    from_bytes,
    to_bytes,
)
from plyr.models import Track, TrackFeatures
from plyr.tracks.repository import listed

# HNSW candidates per search (pgvector's default is 40): measured recall@10 0.98-0.9995 at
# 100k x 512 for ~1-4 ms (../shared/reviews/offline-ml.md §3)
EF_SEARCH = 100
BACKFILL_BATCH = 500
ID_BATCH = 500  # ids in one IN (...)


def qualifies(audience: Audience) -> ColumnElement[bool]:
    """A track the audience may be shown by discovery: listed (public, published) and not
    for supporters only; or, for a viewer, one of their own published tracks."""
    shown = and_(*listed(), Track.support_gate.is_(None))
    if audience.viewer_did is None:
        return shown
    return or_(shown, and_(Track.artist_did == audience.viewer_did, Track.status == "published"))


# --- track_features -----------------------------------------------------------------------


async def save_features(db: AsyncSession, features: Features) -> datetime:
    """Insert or replace a track's analysis in one statement (an upload's analysis and a
    backfill may write the same track at once); returns its `analyzed_at`."""
    analyzed_at = utcnow()
    values = {
        "track_id": features.track_id,
        "model_version": features.model_version,
        "tags": to_bytes(features.tags),
        "embedding": to_bytes(features.embedding),
        "clap": to_bytes(features.clap) if features.clap is not None else None,
        "bpm": features.bpm,
        "analyzed_at": analyzed_at,
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(TrackFeatures).values(**values)
    replaced = {name: statement.excluded[name] for name in values if name != "track_id"}
    await db.execute(statement.on_conflict_do_update(index_elements=["track_id"], set_=replaced))
    return analyzed_at


async def delete_features(db: AsyncSession, track_id: int) -> None:
    await db.execute(delete(TrackFeatures).where(TrackFeatures.track_id == track_id))


@dataclass(frozen=True)
class Standing:
    """Whether a track with features may be shown: to everyone (`listed`), or to its artist
    (`published`)."""

    track_id: int
    artist_did: str
    listed: bool
    published: bool


def _standing_columns() -> tuple[Any, ...]:
    return (
        Track.artist_did,
        and_(*listed(), Track.support_gate.is_(None)).label("listed"),
        (Track.status == "published").label("published"),
    )


@dataclass(frozen=True)
class StoredFeatures:
    standing: Standing
    embedding: Vector
    clap: Vector | None
    analyzed_at: datetime


async def analysed_since(db: AsyncSession, since: datetime) -> list[tuple[int, datetime]]:
    """(track id, analysed at) of the tracks analysed after `since`: no vectors, so cheap to
    ask again and again."""
    query = select(TrackFeatures.track_id, TrackFeatures.analyzed_at).where(
        TrackFeatures.analyzed_at > since
    )
    return [(track_id, at) for track_id, at in (await db.execute(query)).all()]


async def stored_features(
    db: AsyncSession, track_ids: Collection[int] | None = None
) -> list[StoredFeatures]:
    """The vectors and standing of these tracks (of every analysed track without ids)."""
    query = select(
        TrackFeatures.track_id,
        TrackFeatures.embedding,
        TrackFeatures.clap,
        TrackFeatures.analyzed_at,
        *_standing_columns(),
    ).join(Track, Track.id == TrackFeatures.track_id)
    if track_ids is None:
        return _stored(await db.execute(query))
    ids = list(track_ids)
    found: list[StoredFeatures] = []
    for start in range(0, len(ids), ID_BATCH):
        batch = ids[start : start + ID_BATCH]
        found += _stored(await db.execute(query.where(TrackFeatures.track_id.in_(batch))))
    return found


def _stored(result: Result[Any]) -> list[StoredFeatures]:
    rows: list[Any] = list(result)
    return [
        StoredFeatures(
            Standing(track_id, artist_did, bool(shown), bool(published)),
            from_bytes(embedding),
            from_bytes(clap) if clap is not None else None,
            analyzed_at,
        )
        for track_id, embedding, clap, analyzed_at, artist_did, shown, published in rows
    ]


async def standings(db: AsyncSession, track_ids: Collection[int] | None = None) -> list[Standing]:
    """The current standing (visibility changes, deletions) of these analysed tracks (of
    every analysed track without ids)."""
    query = select(TrackFeatures.track_id, *_standing_columns()).join(
        Track, Track.id == TrackFeatures.track_id
    )
    if track_ids is not None:
        query = query.where(TrackFeatures.track_id.in_(list(track_ids)))
    return [
        Standing(track_id, artist_did, bool(shown), bool(published))
        for track_id, artist_did, shown, published in (await db.execute(query)).all()
    ]


async def qualifying(db: AsyncSession, track_ids: Collection[int], audience: Audience) -> set[int]:
    """Those of `track_ids` that still have features and that the audience may be shown."""
    if not track_ids:
        return set()
    wanted = ids_table(track_ids)
    query = (
        select(TrackFeatures.track_id)
        .select_from(wanted)
        .join(TrackFeatures, TrackFeatures.track_id == wanted.c.id)
        .join(Track, Track.id == TrackFeatures.track_id)
        .where(qualifies(audience))
    )
    return set((await db.execute(query)).scalars().all())


def ids_table(track_ids: Collection[int]) -> CTE:
    """Ids as a VALUES list to join from. With `id IN (...)` beside the visibility
    conditions, SQLite (no statistics) walks the feed index over every listed track
    (25-55 ms at 100k tracks) instead of looking up each id (well under a millisecond)."""
    return values(column("id", Integer), name="wanted").data([(i,) for i in track_ids]).cte()


# --- pgvector -----------------------------------------------------------------------------


class PgVector(UserDefinedType[Any]):
    """pgvector's `vector(n)`. Values are sent as text ('[1,2,3]') and cast by the server,
    so no driver codec is needed."""

    cache_ok = True

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions

    def get_col_spec(self, **_kw: Any) -> str:
        return f"vector({self.dimensions})"


VECTORS = Table(
    "vectors_track",
    MetaData(),  # not the models' metadata: the table exists only with the extension
    Column("track_id", Integer, primary_key=True),
    Column("embedding", PgVector(DIMENSIONS["embedding"])),
    Column("clap", PgVector(DIMENSIONS["clap"])),
    Column("analyzed_at", UTCDateTime()),
)

PGVECTOR_DDL = (
    "CREATE EXTENSION IF NOT EXISTS vector",
    f"""CREATE TABLE IF NOT EXISTS vectors_track (
        track_id integer PRIMARY KEY
            REFERENCES track_features (track_id) ON DELETE CASCADE,
        embedding vector({DIMENSIONS["embedding"]}) NOT NULL,
        clap vector({DIMENSIONS["clap"]}),
        analyzed_at timestamptz NOT NULL
    )""",
)
PGVECTOR_INDEXES = tuple(
    f"CREATE INDEX IF NOT EXISTS ix_vectors_track_{space} ON vectors_track "
    f"USING hnsw ({space} vector_cosine_ops)"
    for space in DIMENSIONS
)


def _vector_text(vector: Vector) -> str:
    # 9 significant digits: a float32 survives the text round trip exactly
    return "[" + ",".join(f"{float(x):.9g}" for x in vector) + "]"


def _as_vector(value: ColumnElement[Any], space: Space) -> ColumnElement[Any]:
    return cast(value, PgVector(DIMENSIONS[space]))


async def ensure_pgvector(conn: AsyncConnection) -> tuple[int, ...]:
    """Create the extension, the side table and its HNSW indexes if missing, and fill the
    table from `track_features`. Serialised across processes starting together. Raises
    (a DBAPIError) when the extension cannot be created: not installed, or no privilege.
    Returns the extension's version."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('plyr.discovery.vectors'))"))
    for statement in PGVECTOR_DDL:
        await conn.execute(text(statement))
    await _backfill(conn)
    # after the fill: building an HNSW index over loaded rows is faster than row by row
    for statement in PGVECTOR_INDEXES:
        await conn.execute(text(statement))
    version = await conn.scalar(
        text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    )
    return tuple(int(part) for part in str(version).split(".") if part.isdigit())


async def _backfill(conn: AsyncConnection) -> None:
    """Copy into the side table the rows it lacks or holds an older analysis of (written by
    processes that ran without pgvector)."""
    stale = (
        select(
            TrackFeatures.track_id,
            TrackFeatures.embedding,
            TrackFeatures.clap,
            TrackFeatures.analyzed_at,
        )
        .outerjoin(VECTORS, VECTORS.c.track_id == TrackFeatures.track_id)
        .where(or_(VECTORS.c.track_id.is_(None), VECTORS.c.analyzed_at < TrackFeatures.analyzed_at))
        .order_by(TrackFeatures.track_id)
    )
    rows = (await conn.execute(stale)).all()
    if not rows:
        return
    for start in range(0, len(rows), BACKFILL_BATCH):
        batch = rows[start : start + BACKFILL_BATCH]
        await conn.execute(
            UPSERT_VECTORS,
            [
                _vector_row(
                    track_id,
                    from_bytes(embedding),
                    from_bytes(clap) if clap is not None else None,
                    analyzed_at,
                )
                for track_id, embedding, clap, analyzed_at in batch
            ],
        )
    # the planner's statistics: without them it may not choose the HNSW index
    await conn.execute(text("ANALYZE vectors_track"))


def _upsert_vectors() -> Any:
    values = {
        "embedding": _as_vector(bindparam("embedding", type_=String), "embedding"),
        "clap": _as_vector(bindparam("clap", type_=String), "clap"),
        "analyzed_at": bindparam("analyzed_at", type_=UTCDateTime()),
    }
    statement = pg_insert(VECTORS).values(track_id=bindparam("track_id"), **values)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[VECTORS.c.track_id],
        set_={name: excluded[name] for name in values},
    )


UPSERT_VECTORS = _upsert_vectors()


def _vector_row(
    track_id: int, embedding: Vector, clap: Vector | None, analyzed_at: datetime
) -> dict[str, Any]:
    return {
        "track_id": track_id,
        "embedding": _vector_text(embedding),
        "clap": _vector_text(clap) if clap is not None else None,
        "analyzed_at": analyzed_at,
    }


async def save_pg_vectors(db: AsyncSession, features: Features, analyzed_at: datetime) -> None:
    await db.execute(
        UPSERT_VECTORS,
        _vector_row(features.track_id, features.embedding, features.clap, analyzed_at),
    )


# for this transaction only (the caller's): one round trip
PLAIN_SEARCH = text("SELECT set_config('hnsw.ef_search', :ef, true)")
ITERATIVE_SEARCH = text(
    "SELECT set_config('hnsw.ef_search', :ef, true), "
    "set_config('hnsw.iterative_scan', 'relaxed_order', true)"
)


def nearest_statement(
    space: Space, query: Vector, k: int, exclude_ids: Collection[int], audience: Audience
) -> Select[int, float]:
    column = VECTORS.c[space]
    target = _as_vector(literal(_vector_text(query), String), space)
    distance = column.op("<=>", return_type=Float())(target).label("distance")
    excluded = VECTORS.c.track_id.in_(list(exclude_ids)) if exclude_ids else false()
    nearest = (
        select(VECTORS.c.track_id, distance)
        .join(Track, Track.id == VECTORS.c.track_id)
        .where(column.is_not(None), qualifies(audience), ~excluded)
        .order_by(distance)
        .limit(k)
        .cte("nearest")
        .prefix_with("MATERIALIZED")
    )
    return select(nearest.c.track_id, nearest.c.distance).order_by(nearest.c.distance)


async def pg_nearest(
    db: AsyncSession,
    space: Space,
    query: Vector,
    k: int,
    *,
    exclude_ids: Collection[int],
    audience: Audience,
    iterative: bool,
) -> list[Neighbour]:
    """The HNSW index's nearest, filtered in the same statement. pgvector 0.8's iterative
    scan (`iterative`) keeps walking the graph until `k` rows pass the filter (its relaxed
    order is put right by the outer ORDER BY); before 0.8, fewer than `k` may come back when
    many of the `ef_search` candidates are filtered out."""
    await db.execute(ITERATIVE_SEARCH if iterative else PLAIN_SEARCH, {"ef": str(EF_SEARCH)})
    rows = await db.execute(nearest_statement(space, query, k, exclude_ids, audience))
    return [Neighbour(track_id, 1.0 - float(d)) for track_id, d in rows.all()]


async def pg_nearest_many(
    db: AsyncSession,
    space: Space,
    queries: Sequence[Vector],
    k: int,
    *,
    exclude_ids: Collection[int],
    audience: Audience,
    iterative: bool,
) -> list[list[Neighbour]]:
    return [
        await pg_nearest(
            db, space, query, k, exclude_ids=exclude_ids, audience=audience, iterative=iterative
        )
        for query in queries
    ]
