"""Benchmark: jam fan-out, command -> delivery to every socket of the jam.

    uv run python bench/jams.py [--runs 3] [--commands 200] [--duration 5] [--no-redis]

Two set-ups, each started fresh in a temp dir:
  in-process   one `plyr serve`, SQLite, no Redis (the README's one command): one jam, 50
               sockets (the most a jam takes);
  2 processes  two `plyr serve` sharing PostgreSQL and Redis (127.0.0.1; a fresh database,
               Redis database 14 under a queue name of its own): 200 sockets, 4 jams of 50,
               each jam's sockets half on each process.
A command is a `seek` sent on one socket of a jam (the commanding socket and its process
rotate); its latency is the time from sending it to each socket of the jam receiving the
new state, one command at a time (p50/p99 over every delivery). The baseline, measured on
the same sockets in the same run, is a ping -> pong round trip: what the transport and the
servers' event loops cost before any fan-out. Then, in-process only, the messages per
second one process sustains: 16 commands kept in flight for --duration seconds, counting
the state messages delivered to the 50 sockets. Every socket checks that revisions only
rise (a revision out of order is counted, and fails the run). Medians over --runs rounds.
The client runs on the same 2-core machine as the servers, Redis and PostgreSQL.
Target: p99 < 50 ms across processes at 200 sockets.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from _common import median, plyr_server, print_table, temp_dir
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from plyr.auth.service import create_session
from plyr.core.db import create_engine, create_sessionmaker
from plyr.core.migrate import upgrade

REDIS_BENCH_URL = "redis://127.0.0.1:6379/14"
POSTGRES_ADMIN = os.environ.get(
    "PLYR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PER_JAM = 50
IN_FLIGHT = 16


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Tab:
    """One socket: reads everything it is sent, checks the order of revisions."""

    conn: ClientConnection
    jam: int
    out_of_order: int = 0
    last_revision: int = -1
    delivered: int = 0
    pongs: asyncio.Queue[float] = field(default_factory=asyncio.Queue)
    waiters: dict[int, asyncio.Future[float]] = field(default_factory=dict)  # position -> t

    async def read(self) -> None:
        async for raw in self.conn:
            now = time.perf_counter()
            message = json.loads(raw)
            if message["type"] == "pong":
                self.pongs.put_nowait(now)
                continue
            revision = message.get("revision")
            if isinstance(revision, int):
                self.out_of_order += revision <= self.last_revision
                self.last_revision = max(self.last_revision, revision)
            if message["type"] == "state":
                self.delivered += 1
                waiter = self.waiters.pop(message["state"]["progress_ms"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)

    async def send(self, message: dict[str, object]) -> None:
        await self.conn.send(json.dumps(message))


@dataclass
class Setup:
    name: str
    tabs: list[Tab]
    jams: int
    positions: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def of_jam(self, jam: int) -> list[Tab]:
        return [t for t in self.tabs if t.jam == jam]

    async def command(self, commander: Tab) -> list[float]:
        """One seek; the latency (ms) of its delivery to each socket of the jam."""
        position = next(self.positions)
        loop = asyncio.get_running_loop()
        arrivals = []
        for tab in self.of_jam(commander.jam):
            tab.waiters[position] = loop.create_future()
            arrivals.append(tab.waiters[position])
        sent = time.perf_counter()
        await commander.send(
            {"type": "command", "payload": {"type": "seek", "position_ms": position}}
        )
        times = await asyncio.wait_for(asyncio.gather(*arrivals), 30)
        return [(t - sent) * 1000 for t in times]

    async def ping(self, tab: Tab) -> float:
        sent = time.perf_counter()
        await tab.send({"type": "ping"})
        return (await asyncio.wait_for(tab.pongs.get(), 30) - sent) * 1000


async def latencies(setup: Setup, commands: int) -> tuple[list[float], list[float]]:
    """(command -> delivery, ping -> pong), in ms. Commanders rotate over every socket,
    so none comes near the 20 messages a second a socket may send."""
    deliveries: list[float] = []
    pings: list[float] = []
    for i in range(commands):
        jam = i % setup.jams
        tabs = setup.of_jam(jam)
        commander = tabs[(i // setup.jams) % len(tabs)]
        deliveries += await setup.command(commander)
        pings.append(await setup.ping(tabs[(i // setup.jams + 1) % len(tabs)]))
        await asyncio.sleep(0.01)  # one command at a time, as people send them
    return deliveries, pings


async def sustained(setup: Setup, duration: float) -> tuple[float, float]:
    """(commands/s, messages delivered/s) with IN_FLIGHT commands kept outstanding."""
    before = sum(t.delivered for t in setup.tabs)
    commanders = itertools.cycle(setup.tabs)
    done = 0
    end = time.perf_counter() + duration
    start = time.perf_counter()

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < end:
            await setup.command(next(commanders))
            done += 1

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    elapsed = time.perf_counter() - start
    return done / elapsed, (sum(t.delivered for t in setup.tabs) - before) / elapsed


# --- set-ups ---------------------------------------------------------------------------


async def make_user(database_url: str, handle: str) -> str:
    did = "did:plc:" + base64.b32encode(uuid.uuid4().bytes).decode().lower()[:24]
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as db:
        token = await create_session(db, did=did, handle=handle)
        await db.commit()
    await engine.dispose()
    return token


@asynccontextmanager
async def open_tabs(
    name: str, bases: list[str], database_url: str, jams: int
) -> AsyncIterator[Setup]:
    """`jams` jams of PER_JAM sockets, each jam's sockets spread over `bases` in turn."""
    tabs: list[Tab] = []
    async with AsyncExitStack() as stack, httpx.AsyncClient(timeout=30) as http:
        for jam in range(jams):
            token = await make_user(database_url, f"host{jam}.test")
            headers = {"Authorization": f"Bearer {token}"}
            body = {"track_ids": [], "current_index": 0, "is_playing": False, "progress_ms": 0}
            created = await http.post(f"{bases[0]}/jams/", json=body, headers=headers)
            created.raise_for_status()
            code = created.json()["code"]
            for i in range(PER_JAM):
                ws = bases[i % len(bases)].replace("http://", "ws://")
                conn = await stack.enter_async_context(
                    connect(f"{ws}/jams/{code}/ws", additional_headers=headers, max_queue=None)
                )
                tab = Tab(conn, jam)
                tabs.append(tab)
                await tab.send({"type": "sync", "client_id": f"tab-{jam}-{i}"})
        readers = [asyncio.create_task(t.read()) for t in tabs]
        await asyncio.sleep(1.0)  # the snapshots and the output device's first change settle
        try:
            yield Setup(name, tabs, jams)
        finally:
            for reader in readers:
                reader.cancel()


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"plyr_bench_jams_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        url = POSTGRES_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
        yield f"{url}/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def forget_redis(queue: str) -> None:
    redis = Redis.from_url(REDIS_BENCH_URL)
    keys = [k async for k in redis.scan_iter(f"{queue}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@contextmanager
def in_process(root: Path) -> Iterator[tuple[list[str], str]]:
    url = f"sqlite+aiosqlite:///{root / 'solo' / 'plyr.db'}"
    with plyr_server(root / "solo", DATABASE_URL=url, PLYR_RATE_LIMITS="") as server:
        yield [server.base_url], url


@contextmanager
def two_processes(root: Path) -> Iterator[tuple[list[str], str]]:
    queue = f"bench-jams-{uuid.uuid4().hex[:8]}"
    with postgres_database() as url, ExitStack() as stack:
        upgrade(url)
        env = {"DATABASE_URL": url, "REDIS_URL": REDIS_BENCH_URL, "PLYR_QUEUE_NAME": queue}
        stack.callback(lambda: asyncio.run(forget_redis(queue)))
        servers = [stack.enter_context(plyr_server(root / f"p{i}", **env)) for i in range(2)]
        yield [s.base_url for s in servers], url


# --- the run ---------------------------------------------------------------------------


@dataclass
class Result:
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    ping50: list[float] = field(default_factory=list)
    ping99: list[float] = field(default_factory=list)
    out_of_order: int = 0
    per_s: list[tuple[float, float]] = field(default_factory=list)


async def measure(
    name: str, bases: list[str], url: str, jams: int, args: argparse.Namespace, result: Result
) -> None:
    async with open_tabs(name, bases, url, jams) as setup:
        deliveries, pings = await latencies(setup, args.commands)
        result.p50.append(percentile(deliveries, 0.5))
        result.p99.append(percentile(deliveries, 0.99))
        result.ping50.append(percentile(pings, 0.5))
        result.ping99.append(percentile(pings, 0.99))
        if len(bases) == 1:
            result.per_s.append(await sustained(setup, args.duration))
        result.out_of_order += sum(t.out_of_order for t in setup.tabs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--no-redis", action="store_true", help="only the in-process set-up")
    args = parser.parse_args()
    results: dict[str, Result] = {}
    with temp_dir() as root:
        setups = [("in-process, 1 jam x 50 sockets", in_process, 1)]
        if not args.no_redis:
            setups.append(("2 processes + Redis, 4 jams x 50 sockets", two_processes, 4))
        for name, start, jams in setups:
            with start(root) as (bases, url):
                for _ in range(args.runs):
                    asyncio.run(
                        measure(name, bases, url, jams, args, results.setdefault(name, Result()))
                    )
            print(f"{name}: measured", flush=True)
    rows = []
    for name, r in results.items():
        rate = (
            f"{median([c for c, _ in r.per_s]):,.0f} / {median([m for _, m in r.per_s]):,.0f}"
            if r.per_s
            else "-"
        )
        rows.append(
            [
                name,
                median(r.ping50),
                median(r.ping99),
                median(r.p50),
                median(r.p99),
                rate,
                r.out_of_order,
            ]
        )
    print_table(
        [
            "set-up",
            "ping p50 ms",
            "ping p99 ms",
            "delivery p50 ms",
            "delivery p99 ms",
            "commands / messages per s",
            "out of order",
        ],
        rows,
    )
    if any(r.out_of_order for r in results.values()):
        raise SystemExit("a socket saw a revision out of order")


if __name__ == "__main__":
    main()
