"""Benchmark: nearest-track search (the embedded store vs pgvector) and mood search.

    uv run python bench/discovery.py [--sizes 10000,100000] [--queries 200] [--no-postgres]

For each size, generates clustered unit vectors in the 400-d audio-similarity space (1,000
centres; real embeddings must be re-measured), writes them as tracks with `track_features`
rows to a fresh SQLite database and, when PostgreSQL on 127.0.0.1:5432 has the `vector`
extension (scripts/bootstrap.sh `install_pgvector`), to a fresh PostgreSQL database (the
pgvector store fills its side table and builds the HNSW index when it opens: "load s").
Then asks `--queries` single queries (k = 10, a session per query, as a request would) and
prints p50/p99 latency and recall@10 against exact brute force in numpy. Every 10th track is
private, so the audience filter is part of the work. The embedded store's first query loads
the matrix; that load is reported apart and not counted in the latencies.

Mood search (`/search/semantic` rows): the same catalogue, with generated tag probabilities,
asked through the app's route in process (httpx over ASGI, no network) with mood phrases in
turn: each request embeds its text with MiniLM, weighs the tags, scores every listed track,
runs keyword search over the titles and fuses them. The first request loads MiniLM and the
catalogue's tag matrix ("load s", not counted); the matrix is reloaded once a minute, which
shows in p99 on a long run. "cpu p50 ms" is the CPU time the process spent per request (all
its threads; not the database server's): on a busy box it says what the request costs where
wall time says how long it waited for a core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
from _common import fmt, median, print_table
from sqlalchemy import insert, text

from plyr.app import create_app
from plyr.core.config import Settings
from plyr.core.db import create_engine, create_sessionmaker
from plyr.core.migrate import upgrade
from plyr.discovery.vectors import EmbeddedStore, VectorStore, open_vector_store
from plyr.discovery.vectors.base import to_bytes
from plyr.models import Artist, AudioFile, Track, TrackFeatures, utcnow

DIMENSIONS = 400
K = 10
BATCH = 5000
MOODS = (
    "ambient calm",
    "electronic dance beat",
    "solo piano",
    "loud distorted rock guitar",
    "relaxing music for sleep",
    "classical strings",
    "dark ambient techno",
    "flute melody",
)
POSTGRES_ADMIN = os.environ.get(
    "PLYR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def clustered(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1000, DIMENSIONS)).astype(np.float32)
    points = centres[rng.integers(0, 1000, count)]
    points = points + 0.35 * rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def tag_probabilities(count: int, seed: int) -> np.ndarray:
    """musicnn-like tag probabilities: mostly low, a few high per track."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(-3.0, 1.5, (count, 100)) + rng.normal(0.0, 1.0, (1, 100))
    return (1 / (1 + np.exp(-logits))).astype(np.float32)


async def fill(url: str, vectors: np.ndarray) -> None:
    """Tracks 1..n (every 10th private) with their features, in bulk."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    # an existing catalogue, analysed a second apart, long ago (the embedded store's refresh
    # looks again at the last two minutes of analyses: a catalogue loaded at once would be
    # all of it, every second)
    analysed = utcnow() - timedelta(days=2)
    tags = tag_probabilities(len(vectors), seed=len(vectors))
    async with engine.begin() as conn:
        await conn.execute(insert(Artist), [{"did": "did:plc:bench", "handle": "bench"}])
        for start in range(0, len(vectors), BATCH):
            ids = range(start + 1, min(start + BATCH, len(vectors)) + 1)
            files = [f"{i:016x}" for i in ids]
            await conn.execute(
                insert(AudioFile),
                [
                    {"file_id": f, "ext": "mp3", "content_type": "audio/mpeg", "size": 1}
                    for f in files
                ],
            )
            await conn.execute(
                insert(Track),
                [
                    {
                        "id": i,
                        "artist_did": "did:plc:bench",
                        "title": f"track {i}",
                        "upload_file_id": f,
                        "file_id": f,
                        "file_type": "mp3",
                        "visibility": "private" if i % 10 == 0 else "public",
                    }
                    for i, f in zip(ids, files, strict=True)
                ],
            )
            await conn.execute(
                insert(TrackFeatures),
                [
                    {
                        "track_id": i,
                        "model_version": "bench",
                        "tags": to_bytes(tags[i - 1]),
                        "embedding": to_bytes(vectors[i - 1]),
                        "analyzed_at": analysed + timedelta(seconds=i),
                    }
                    for i in ids
                ],
            )
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    await engine.dispose()


def exact_top(vectors: np.ndarray, queries: np.ndarray) -> list[set[int]]:
    scores = vectors @ queries.T
    scores[9::10] = -np.inf  # private: track ids 10, 20, ... are rows 9, 19, ...
    top = np.argpartition(-scores, K - 1, axis=0)[:K].T
    return [{int(r) + 1 for r in rows} for rows in top]


async def measure(
    url: str, backend: str, queries: np.ndarray, truth: Sequence[set[int]]
) -> list[object]:
    engine = create_engine(url)
    started = time.perf_counter()
    store: VectorStore = (
        EmbeddedStore()
        if backend == "embedded"
        else await open_vector_store(engine, backend="pgvector")
    )
    sessions = create_sessionmaker(engine)
    async with sessions() as db:
        await store.refresh(db)
    load = time.perf_counter() - started
    latencies, hits = [], 0
    for query, expected in zip(queries, truth, strict=True):
        began = time.perf_counter()
        async with sessions() as db:
            found = await store.nearest(db, "embedding", query, K)
        latencies.append((time.perf_counter() - began) * 1000)
        hits += len({n.track_id for n in found} & expected)
    await engine.dispose()
    return [
        backend,
        f"{load:.1f}",
        f"{median(latencies):.2f}",
        f"{float(np.percentile(latencies, 99)):.2f}",
        f"{hits / (K * len(queries)):.3f}",
        "-",
    ]


async def measure_semantic(url: str, data_dir: Path, count: int) -> list[object]:
    """`count` mood searches through the app's route (limit 10)."""
    settings = Settings(
        PLYR_DATA_DIR=data_dir,
        DATABASE_URL=url,
        PLYR_PUBLIC_URL="http://bench.test",
        PLYR_SECRET_KEY="bench",
    )
    app = create_app(settings, with_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client,
    ):

        async def ask(q: str) -> None:
            response = await client.get("/search/semantic", params={"q": q, "limit": 10})
            response.raise_for_status()
            if not response.json()["results"]:
                raise RuntimeError(f"mood search found nothing for {q!r}")

        started = time.perf_counter()
        await ask(MOODS[0])
        load = time.perf_counter() - started
        latencies, cpu = [], []
        for n in range(count):
            began, began_cpu = time.perf_counter(), time.process_time()
            await ask(MOODS[n % len(MOODS)])
            latencies.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    return [
        f"/search/semantic ({dialect})",
        f"{load:.1f}",
        f"{median(latencies):.2f}",
        f"{float(np.percentile(latencies, 99)):.2f}",
        "-",
        f"{median(cpu):.2f}",
    ]


async def postgres_url() -> str | None:
    import asyncpg

    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        if not await admin.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
        ):
            return None
        name = f"plyr_bench_{uuid.uuid4().hex[:8]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    return f"{base}/{name}"


async def drop_postgres(url: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


async def run(sizes: Sequence[int], count: int, postgres: bool) -> None:
    rows: list[list[object]] = []
    for size in sizes:
        points = clustered(size + count, seed=size)
        vectors, queries = points[:size], points[size:]
        truth = exact_top(vectors, queries)
        with tempfile.TemporaryDirectory(prefix="plyr-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'plyr.db'}"
            await fill(url, vectors)
            rows.append([fmt(size), *await measure(url, "embedded", queries, truth)])
            rows.append([fmt(size), *await measure_semantic(url, Path(tmp) / "data", count)])
        pg = await postgres_url() if postgres else None
        if postgres and pg is None:
            print("PostgreSQL with the vector extension is not reachable: pgvector skipped")
        if pg is not None:
            try:
                await fill(pg, vectors)
                rows.append([fmt(size), *await measure(pg, "pgvector", queries, truth)])
                with tempfile.TemporaryDirectory(prefix="plyr-bench-") as tmp:
                    rows.append([fmt(size), *await measure_semantic(pg, Path(tmp), count)])
            finally:
                await drop_postgres(pg)
        print(f"{size} tracks measured", flush=True)
    print_table(
        ["tracks", "store", "load s", "p50 ms", "p99 ms", "recall@10", "cpu p50 ms"], rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    asyncio.run(run(sizes, args.queries, not args.no_postgres))


if __name__ == "__main__":
    main()
