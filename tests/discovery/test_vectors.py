"""The vector stores: embedded (every database) and pgvector (PLYR_TEST_DB=postgres) give
the same answers as exact search, filter in the search, and keep up with writes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from plyr.core.db import create_engine, create_sessionmaker
from plyr.discovery.vectors import (
    Audience,
    EmbeddedStore,
    Features,
    PgVectorStore,
    Vector,
    VectorShapeError,
    VectorStore,
    open_vector_store,
    repository,
)
from plyr.discovery.vectors.base import to_bytes, unit
from plyr.models import Artist, AudioFile, Base, Track, TrackFeatures, utcnow
from tests.services import missing, using_postgres

BACKENDS = ["embedded", "pgvector"]
ALICE, BOB = "did:plc:alice", "did:plc:bob"


@dataclass
class Db:
    engine: AsyncEngine
    writer: async_sessionmaker[AsyncSession]
    reader: async_sessionmaker[AsyncSession]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Db]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            insert(Artist), [{"did": ALICE, "handle": "alice"}, {"did": BOB, "handle": "bob"}]
        )
    yield Db(engine, create_sessionmaker(engine, writer=True), create_sessionmaker(engine))
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(delete(table))
    await engine.dispose()


async def open_store(db: Db, backend: str) -> VectorStore:
    if backend == "embedded":
        # refresh before every search (the default waits a second between refreshes)
        return EmbeddedStore(refresh_interval=0, standing_interval=3600)
    if not using_postgres():
        pytest.skip("pgvector needs PLYR_TEST_DB=postgres")
    async with db.engine.connect() as conn:
        available = await conn.scalar(
            text("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
        )
    if not available:
        missing("pgvector (scripts/bootstrap.sh install_pgvector)")
    store = await open_vector_store(db.engine, backend="pgvector")
    assert isinstance(store, PgVectorStore)
    return store


async def add_tracks(
    db: Db, count: int, *, artist: str = ALICE, start: int = 1, **columns: object
) -> list[int]:
    """`count` tracks written straight to the database (ids from `start`)."""
    ids = list(range(start, start + count))
    async with db.writer() as session:
        await session.execute(
            insert(AudioFile),
            [
                {"file_id": f"{i:016x}", "ext": "mp3", "content_type": "audio/mpeg", "size": 1}
                for i in ids
            ],
        )
        await session.execute(
            insert(Track),
            [
                {
                    "id": i,
                    "artist_did": artist,
                    "title": f"track {i}",
                    "upload_file_id": f"{i:016x}",
                    "file_id": f"{i:016x}",
                    "file_type": "mp3",
                    **columns,
                }
                for i in ids
            ],
        )
        await session.commit()
    return ids


def features(track_id: int, embedding: Vector, clap: Vector | None = None) -> Features:
    return Features(
        track_id=track_id,
        model_version="test-1",
        tags=np.full(100, 0.5, dtype=np.float32),
        embedding=embedding,
        clap=clap,
    )


async def upsert(db: Db, store: VectorStore, items: Sequence[Features]) -> None:
    async with db.writer() as session:
        for item in items:
            await store.upsert(session, item)
        await session.commit()


async def nearest_ids(
    db: Db, store: VectorStore, query: Vector, k: int, **options: object
) -> list[int]:
    async with db.reader() as session:
        found = await store.nearest(session, "embedding", query, k, **options)  # type: ignore[arg-type]
    return [n.track_id for n in found]


def direction(seed: int, dimensions: int = 400) -> Vector:
    return unit(np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32))


def near(base: Vector, closeness: float, seed: int) -> Vector:
    """A vector at cosine ~`closeness` from `base` (closer for larger values)."""
    noise = direction(seed, len(base))
    return unit(closeness * base + (1 - closeness) * noise)


def clustered(count: int, dimensions: int, seed: int) -> np.ndarray:
    """Unit vectors around 60 random centres (audio embeddings cluster by style)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((60, dimensions)).astype(np.float32)
    points = centres[rng.integers(0, 60, count)] + 0.35 * rng.standard_normal(
        (count, dimensions)
    ).astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


# --- same answers as exact search ----------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_nearest_agrees_with_exact_search(db: Db, backend: str) -> None:
    """recall@10 >= 0.95 against brute force over 3,000 clustered 400-d vectors (vectors
    written before the store opened: pgvector fills its side table from track_features)."""
    points = clustered(3050, 400, seed=1)
    vectors, queries = points[:3000], points[3000:]  # queries from the same clusters
    ids = await add_tracks(db, len(vectors))
    async with db.writer() as session:
        now = utcnow()
        await session.execute(
            insert(TrackFeatures),
            [
                {
                    "track_id": i,
                    "model_version": "test-1",
                    "tags": to_bytes(np.zeros(100, dtype=np.float32)),
                    "embedding": to_bytes(v),
                    "analyzed_at": now,
                }
                for i, v in zip(ids, vectors, strict=True)
            ],
        )
        await session.commit()
    store = await open_store(db, backend)
    if backend == "pgvector":
        async with db.engine.begin() as conn:  # what autovacuum does to a table this size
            await conn.execute(text("ANALYZE tracks"))
        assert "ix_vectors_track_embedding" in await plan(db, queries[0])
    exact = np.argsort(-(vectors @ queries.T), axis=0)[:10].T  # rows of `vectors`
    hits = 0
    for query, truth in zip(queries, exact, strict=True):
        found = await nearest_ids(db, store, query, 10)
        assert len(found) == 10
        hits += len(set(found) & {ids[r] for r in truth})
    recall = hits / (10 * len(queries))
    assert recall >= 0.95, f"{backend}: recall@10 {recall:.3f}"
    if backend == "embedded":
        assert recall == 1.0  # exact


async def plan(db: Db, query: Vector) -> str:
    """PostgreSQL's plan for a search: whether it walks the HNSW index (not an exact scan,
    which would make the recall test trivial)."""
    statement = repository.nearest_statement("embedding", query, 10, (), Audience())
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    async with db.engine.connect() as conn:
        rows = await conn.execute(text(f"EXPLAIN {compiled}"))
        return "\n".join(row[0] for row in rows)


async def test_both_backends_give_the_same_answers(db: Db) -> None:
    if not using_postgres():
        pytest.skip("pgvector needs PLYR_TEST_DB=postgres")
    points = clustered(1530, 400, seed=3)
    vectors, queries = points[:1500], points[1500:]
    ids = await add_tracks(db, len(vectors))
    pgvector = await open_store(db, "pgvector")
    await upsert(db, pgvector, [features(i, v) for i, v in zip(ids, vectors, strict=True)])
    embedded = await open_store(db, "embedded")
    overlap = 0
    for query in queries:
        async with db.reader() as session:
            a = await embedded.nearest(session, "embedding", query, 10)
            b = await pgvector.nearest(session, "embedding", query, 10)
        overlap += len({n.track_id for n in a} & {n.track_id for n in b})
        common = {n.track_id: n.similarity for n in a}
        for n in b:  # the same cosine, whichever store computed it
            if n.track_id in common:
                assert n.similarity == pytest.approx(common[n.track_id], abs=1e-4)
    assert overlap / 300 >= 0.95


# --- filtering -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_hidden_tracks_are_never_returned_and_k_still_come_back(db: Db, backend: str) -> None:
    """The nearest neighbours are private, for supporters, unlisted, unpublished or
    excluded: the k public ones further away come back instead."""
    store = await open_store(db, backend)
    query = direction(0)
    public = await add_tracks(db, 5, start=1)
    private = await add_tracks(db, 20, start=100, visibility="private")
    gated = await add_tracks(db, 5, start=200, visibility="supporters", support_gate="any")
    gated += await add_tracks(db, 2, start=250, support_gate="any")  # gated, though public
    unlisted = await add_tracks(db, 5, start=300, visibility="unlisted")
    pending = await add_tracks(db, 5, start=400, status="pending")
    excluded = await add_tracks(db, 5, start=500)
    hidden = private + gated + unlisted + pending + excluded
    await upsert(
        db,
        store,
        [features(t, near(query, 0.9, t)) for t in hidden]
        + [features(t, near(query, 0.3, t)) for t in public],
    )
    found = await nearest_ids(db, store, query, 5, exclude_ids=excluded)
    assert sorted(found) == public
    assert set(await nearest_ids(db, store, query, 50, exclude_ids=excluded)) == set(public)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_viewer_also_finds_their_own_unlisted_and_private_tracks(
    db: Db, backend: str
) -> None:
    store = await open_store(db, backend)
    query = direction(0)
    own = await add_tracks(db, 2, start=1, artist=BOB, visibility="private")
    own_pending = await add_tracks(db, 1, start=10, artist=BOB, status="pending")
    others = await add_tracks(db, 2, start=20, visibility="private")
    public = await add_tracks(db, 3, start=30)
    await upsert(
        db,
        store,
        [features(t, near(query, 0.9, t)) for t in own + own_pending + others]
        + [features(t, near(query, 0.3, t)) for t in public],
    )
    assert set(await nearest_ids(db, store, query, 10, audience=Audience(BOB))) == set(own + public)
    assert set(await nearest_ids(db, store, query, 10)) == set(public)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_track_made_private_disappears_at_once(db: Db, backend: str) -> None:
    """Even for an embedded store that last read visibilities long ago."""
    store = await open_store(db, backend)
    query = direction(0)
    tracks = await add_tracks(db, 6)
    await upsert(db, store, [features(t, near(query, 0.9 - t / 20, t)) for t in tracks])
    assert await nearest_ids(db, store, query, 3) == tracks[:3]
    async with db.writer() as session:
        await session.execute(
            update(Track).where(Track.id == tracks[0]).values(visibility="private")
        )
        await session.commit()
    assert await nearest_ids(db, store, query, 3) == tracks[1:4]


# --- writes --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upsert_replaces_remove_forgets_and_deleting_the_track_cascades(
    db: Db, backend: str
) -> None:
    store = await open_store(db, backend)
    query = direction(0)
    first, second, third = await add_tracks(db, 3)
    await upsert(
        db,
        store,
        [features(first, query), features(second, direction(1)), features(third, direction(2))],
    )
    assert (await nearest_ids(db, store, query, 1)) == [first]
    # re-analysed: now `second` sounds like the query, `first` does not
    await upsert(db, store, [features(first, direction(3)), features(second, query)])
    assert (await nearest_ids(db, store, query, 1)) == [second]
    async with db.writer() as session:
        await store.remove(session, second)
        await session.commit()
    assert second not in await nearest_ids(db, store, query, 3)
    async with db.writer() as session:
        await session.execute(delete(Track).where(Track.id == first))
        await session.commit()
        assert await session.get(TrackFeatures, first) is None
    assert await nearest_ids(db, store, query, 3) == [third]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_another_process_sees_writes_after_refresh(db: Db, backend: str) -> None:
    writer, reader = await open_store(db, backend), await open_store(db, backend)
    if isinstance(reader, EmbeddedStore):
        reader.refresh_interval = 3600  # only an explicit refresh
    query = direction(0)
    tracks = await add_tracks(db, 3)
    await upsert(db, writer, [features(tracks[0], query)])
    assert await nearest_ids(db, reader, query, 3) == [tracks[0]]
    await upsert(db, writer, [features(t, near(query, 0.8, t)) for t in tracks[1:]])
    async with db.reader() as session:
        await reader.refresh(session)
    assert sorted(await nearest_ids(db, reader, query, 3)) == tracks


@pytest.mark.parametrize("backend", BACKENDS)
async def test_spaces_are_separate_and_clap_is_optional(db: Db, backend: str) -> None:
    store = await open_store(db, backend)
    tracks = await add_tracks(db, 3)
    clap = direction(7, 512)
    await upsert(
        db,
        store,
        [
            features(tracks[0], direction(0), clap),
            features(tracks[1], direction(1)),
            features(tracks[2], direction(2), near(clap, 0.5, 9)),
        ],
    )
    async with db.reader() as session:
        found = await store.nearest(session, "clap", clap, 5)
    assert [n.track_id for n in found] == [tracks[0], tracks[2]]
    assert found[0].similarity == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_nearest_many_answers_each_query_in_order(db: Db, backend: str) -> None:
    store = await open_store(db, backend)
    vectors = clustered(200, 400, seed=5)
    ids = await add_tracks(db, len(vectors))
    await upsert(db, store, [features(i, v) for i, v in zip(ids, vectors, strict=True)])
    queries = [vectors[3], vectors[50], vectors[120]]
    async with db.reader() as session:
        many = await store.nearest_many(session, "embedding", queries, 5, exclude_ids=[ids[3]])
        one = [
            await store.nearest(session, "embedding", q, 5, exclude_ids=[ids[3]]) for q in queries
        ]
    assert [[n.track_id for n in a] for a in many] == [[n.track_id for n in a] for a in one]
    assert many[1][0].track_id == ids[50]
    assert ids[3] not in {n.track_id for n in many[0]}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_vectors_of_the_wrong_length_are_refused(db: Db, backend: str) -> None:
    store = await open_store(db, backend)
    [track] = await add_tracks(db, 1)
    async with db.writer() as session:
        with pytest.raises(VectorShapeError):
            await store.upsert(session, features(track, np.ones(200, dtype=np.float32)))
        with pytest.raises(VectorShapeError):
            await store.nearest(session, "embedding", np.ones(512, dtype=np.float32), 3)


# --- choosing a backend --------------------------------------------------------------------


async def test_open_vector_store_picks_pgvector_on_postgresql_else_embedded(db: Db) -> None:
    store = await open_vector_store(db.engine)
    expected = PgVectorStore if using_postgres() else EmbeddedStore
    if using_postgres() and not isinstance(store, expected):
        missing("pgvector (scripts/bootstrap.sh install_pgvector)")
    assert isinstance(store, expected)


async def test_without_the_extension_it_falls_back_with_a_log_line(
    db: Db, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if not using_postgres():
        pytest.skip("the fallback is PostgreSQL's")

    async def unavailable(_conn: object) -> None:
        raise DBAPIError("CREATE EXTENSION vector", None, Exception("extension not available"))

    monkeypatch.setattr(repository, "ensure_pgvector", unavailable)
    with caplog.at_level(logging.WARNING, logger="plyr.discovery.vectors"):
        store = await open_vector_store(db.engine)
    assert isinstance(store, EmbeddedStore)
    assert "pgvector is not available" in caplog.text
    with pytest.raises(DBAPIError):
        await open_vector_store(db.engine, backend="pgvector")


async def test_pgvector_catches_up_on_analyses_written_without_it(db: Db) -> None:
    """A process that ran without pgvector wrote only track_features: the next start fills
    the side table with the new and the re-analysed tracks."""
    pgvector = await open_store(db, "pgvector")
    query = direction(0)
    first, second = await add_tracks(db, 2)
    await upsert(db, pgvector, [features(first, query), features(second, direction(1))])
    without = EmbeddedStore(refresh_interval=0)
    [third] = await add_tracks(db, 1, start=3)
    await upsert(db, without, [features(second, query), features(third, near(query, 0.9, 3))])
    async with db.reader() as session:
        before = await pgvector.nearest(session, "embedding", query, 3)
    assert [n.track_id for n in before] == [first, second]  # third unknown, second as it was
    assert before[1].similarity < 0.5
    restarted = await open_store(db, "pgvector")
    async with db.reader() as session:
        after = await restarted.nearest(session, "embedding", query, 3)
    assert {n.track_id for n in after[:2]} == {first, second}
    assert after[1].similarity == pytest.approx(1.0, abs=1e-5)
    assert after[2].track_id == third
