"""Page rendering with a 10,000-track catalog: server-side latency of each page, against the
floor of the same server answering `/health` (routing, middleware, one tiny query), measured
in the same run.

    uv run python bench/pages.py [--tracks 10000] [--requests 300]

Seeds the catalog straight into a fresh SQLite database (100 artists, 50 tags, one audio
file per track), starts `plyr serve`, warms each page up, then times sequential GETs of each
and prints the median and p95 in ms, and the median over the floor's.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _common import _plyr_cmd, plyr_env, plyr_server, temp_dir

HTML = {"Accept": "text/html"}


def seed(db: Path, tracks: int) -> None:
    """Artists, tags, audio files and public tracks, inserted in bulk."""
    now = datetime.now(UTC)
    rng = random.Random(7)
    con = sqlite3.connect(db)
    stamp = lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f")  # noqa: E731 (the ORM's format)
    con.executemany(
        "INSERT INTO artists (did, handle, display_name, preferences, created_at, updated_at)"
        " VALUES (?, ?, ?, '{}', ?, ?)",
        [
            (f"did:plc:bench{a:04}", f"artist{a}.test", f"Artist {a}", stamp(now), stamp(now))
            for a in range(100)
        ],
    )
    con.executemany(
        "INSERT INTO tags (id, name) VALUES (?, ?)", [(t + 1, f"tag{t}") for t in range(50)]
    )
    audio, rows, track_tags = [], [], []
    for i in range(tracks):
        file_id = f"{i:016x}"
        created = stamp(now - timedelta(minutes=i))
        audio.append((file_id, "mp3", "audio/mpeg", 4_000_000, 180.0, -14.0, created))
        rows.append(
            (
                i + 1,
                f"did:plc:bench{i % 100:04}",
                f"Track number {i}",
                file_id,
                file_id,
                "mp3",
                180,
                "public",
                "published",
                "upload",
                rng.randint(0, 500),
                rng.randint(0, 50),
                created,
                created,
            )
        )
        track_tags.extend((i + 1, t + 1) for t in rng.sample(range(50), 2))
    con.executemany(
        "INSERT INTO audio_files (file_id, ext, content_type, size, duration, loudness_lufs,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        audio,
    )
    con.executemany(
        "INSERT INTO tracks (id, artist_did, title, upload_file_id, file_id, file_type,"
        " duration, visibility, status, origin, play_count, like_count, comment_count,"
        " features, audio_on_pds, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '[]', 0, ?, ?)",
        rows,
    )
    con.executemany("INSERT INTO track_tags (track_id, tag_id) VALUES (?, ?)", track_tags)
    con.commit()
    con.close()


def timed(client: httpx.Client, path: str, requests: int) -> list[float]:
    for _ in range(10):  # warm up: caches, the first query plans, template compilation
        client.get(path, headers=HTML).raise_for_status()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path, headers=HTML)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with temp_dir() as data_dir:
        env = plyr_env(data_dir, 0)
        subprocess.run(_plyr_cmd("db", "upgrade"), env=env, check=True, capture_output=True)
        seed(data_dir / "plyr.db", args.tracks)
        pages = {
            "floor: /health": "/health",
            "home /": "/",
            "track page": f"/track/{args.tracks // 2}",
            "artist page": "/u/artist42.test",
            "tag page": "/tag/tag7",
            "feed, next rows": "/fragments/feed?cursor=" + _cursor(data_dir, args.tracks // 3),
        }
        with plyr_server(data_dir) as server, httpx.Client(base_url=server.base_url) as client:
            results = {name: timed(client, path, args.requests) for name, path in pages.items()}
    floor = statistics.median(results["floor: /health"])
    print(f"\n{args.tracks:,} tracks, {args.requests} sequential requests per page (ms)\n")
    print("| page | p50 | p95 | p50 / floor |\n|---|---|---|---|")
    for name, samples in results.items():
        p50 = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20)[-1]
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / floor:.1f} |")


def _cursor(data_dir: Path, track_id: int) -> str:
    """The feed cursor of a track in the middle of the catalog (as the page would link)."""
    import base64

    con = sqlite3.connect(data_dir / "plyr.db")
    (created,) = con.execute("SELECT created_at FROM tracks WHERE id = ?", (track_id,)).fetchone()
    con.close()
    moment = datetime.fromisoformat(created).replace(tzinfo=UTC)
    raw = f"{moment.isoformat()}|{track_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


if __name__ == "__main__":
    main()
