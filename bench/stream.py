"""Streaming benchmark: plyr's GET /audio/{file_id} against nginx serving the same file.

Against each server (all on this 2-core machine, so the client competes for CPU):
  (a) full-file throughput (wrk): GET of the whole ~10 MB MP3 over 4 keep-alive connections;
  (b) random 64 KiB ranges (wrk): `Range: bytes=X-(X+65535)`, a random X per request, 50
      connections as fast as they can (closed loop): req/s, and the latency p50/p99 of those
      requests ("saturated": mostly queueing, p50 ~ 50 / req/s);
  (c) time to first byte under 50 concurrent listeners (an asyncio raw-socket client in
      this process): 50 keep-alive connections, each asking for a random 64 KiB range every
      100-300 ms, starts staggered (about 250 req/s offered, below every server's capacity);
      TTFB = request written -> first response byte read, p50/p99.
Servers: nginx alone; plyr (uvicorn); plyr behind nginx with X-Accel-Redirect; and public
audio the way the README's "Scaling out" serves it: plyr (PUBLIC_MEDIA_BASE_URL) answers
/audio with a 307 to nginx's static /media/audio/ location, whose URL is then measured like
the others (the 307s themselves are counted once more at the end).
Every range response is checked once per server (206, Content-Range, the right bytes).
Each run lasts --duration seconds; every measurement is repeated --runs times, in rounds
interleaved across servers, each round in a random order, so that machine noise spreads
evenly; medians are reported.
Redis on 127.0.0.1:6379 adds a 2-worker variant (database 14, flushed afterwards).

    uv run python bench/stream.py [--runs 3] [--duration 5] [--granian]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from _common import (
    HOST,
    fmt,
    free_port,
    generate_mp3,
    make_token,
    median,
    plyr_server,
    print_table,
    stop_process_group,
    temp_dir,
    upload_and_wait,
    wait_http,
)

REDIS_BENCH_URL = "redis://127.0.0.1:6379/14"
RANGE_BYTES = 64 * 1024
FULL_CONNECTIONS = 4
LISTENERS = 50
SETTLE_S = 1.0  # pause between workloads
PAUSE_S = 0.2  # (c): 50 listeners x 5 req/s = 250 req/s offered

# wrk script; args: file size, range length (0 = the whole file).
WRK_LUA = """
local size, len = 0, 0
function setup(thread)
  thread:set("seed", math.random(1, 2^30))
end
function init(args)
  size = tonumber(args[1]); len = tonumber(args[2])
  math.randomseed(seed or os.time())
end
function request()
  if len == 0 then return wrk.format("GET") end
  local start = math.random(0, size - len)
  return wrk.format("GET", nil, {Range = "bytes=" .. start .. "-" .. (start + len - 1)})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"bytes":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Target:
    name: str
    url: str
    baseline: str  # the nginx target it is compared with ("" for nginx itself)
    runs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, metric: str, value: float) -> None:
        self.runs.setdefault(metric, []).append(value)


@dataclass
class WrkResult:
    requests: int
    bytes: int
    duration_us: int
    errors: int
    p50_us: int
    p99_us: int

    @property
    def seconds(self) -> float:
        return self.duration_us / 1e6


@dataclass
class Wrk:
    """wrk against one file of `size` bytes, `seconds` per run."""

    workdir: Path
    size: int
    seconds: float

    def __post_init__(self) -> None:
        (self.workdir / "bench.lua").write_text(WRK_LUA)

    def run(self, url: str, *, connections: int, length: int, seconds: float = 0) -> WrkResult:
        script = self.workdir / "bench.lua"
        seconds = seconds or self.seconds
        cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s"]
        cmd += ["--timeout", "10s", "-s", str(script), url, "--"]
        cmd += [str(self.size), str(length)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
        for line in out.stdout.splitlines():
            if line.startswith("WRKJSON "):
                return WrkResult(**json.loads(line.removeprefix("WRKJSON ")))
        raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")


# --- (c): paced listeners, true time to first byte -------------------------------------


@dataclass
class Listeners:
    """LISTENERS keep-alive connections, each asking for a random 64 KiB range every
    PAUSE_S (jittered 0.5-1.5x, first request staggered so they never start in a burst);
    records the time from writing a request to reading the first byte of its answer."""

    url: str
    size: int
    seconds: float
    ttfb: list[float] = field(default_factory=list)
    bad: int = 0

    def run(self) -> Listeners:
        asyncio.run(self._main())
        return self

    async def _main(self) -> None:
        deadline = time.perf_counter() + self.seconds
        listeners = asyncio.gather(*(self._listener(deadline) for _ in range(LISTENERS)))
        await asyncio.wait_for(listeners, self.seconds + 30)  # a stuck server fails the run

    async def _listener(self, deadline: float) -> None:
        u = urlsplit(self.url)
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        try:
            await asyncio.sleep(random.uniform(0, PAUSE_S))
            while time.perf_counter() < deadline:
                await self._one(reader, writer, u.path, u.netloc)
                await asyncio.sleep(random.uniform(PAUSE_S / 2, PAUSE_S * 1.5))
        finally:
            writer.close()

    async def _one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, host: str
    ) -> None:
        start = random.randrange(0, self.size - RANGE_BYTES)
        rng = f"bytes={start}-{start + RANGE_BYTES - 1}"
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nRange: {rng}\r\n\r\n"
        t0 = time.perf_counter()
        writer.write(request.encode())
        first = await reader.read(1)
        self.ttfb.append(time.perf_counter() - t0)
        head = (first + await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        await reader.readexactly(length)
        self.bad += not head.startswith("http/1.1 206")

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.ttfb)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(target: Target, wrk: Wrk, size: int) -> None:
    """One run of each workload against `target`."""
    full = wrk.run(target.url, connections=FULL_CONNECTIONS, length=0)
    time.sleep(SETTLE_S)
    ranged = wrk.run(target.url, connections=LISTENERS, length=RANGE_BYTES)
    time.sleep(SETTLE_S)  # the server may still be answering the closed connections
    paced = Listeners(target.url, size, wrk.seconds).run()
    for name, r in (("full", full), ("ranges", ranged)):
        if r.errors:
            print(f"  ! {target.name} {name}: {r.errors} wrk errors (non-2xx, timeouts, resets)")
    if paced.bad:
        print(f"  ! {target.name} listeners: {paced.bad} answers were not 206")
    target.add("full file MB/s", full.bytes / full.seconds / 1e6)
    target.add("64KiB ranges req/s", ranged.requests / ranged.seconds)
    target.add("saturated latency p50 ms", ranged.p50_us / 1000)
    target.add("saturated latency p99 ms", ranged.p99_us / 1000)
    target.add("listeners TTFB p50 ms", paced.percentile_ms(0.50))
    target.add("listeners TTFB p99 ms", paced.percentile_ms(0.99))


def verify(target: Target, data: bytes) -> None:
    """A random range comes back 206 with the right bytes; the whole file 200, identical."""
    start = random.randrange(0, len(data) - RANGE_BYTES)
    end = start + RANGE_BYTES - 1
    with httpx.Client(timeout=30) as client:
        r = client.get(target.url, headers={"Range": f"bytes={start}-{end}"})
        if r.status_code != 206 or r.content != data[start : end + 1]:
            raise RuntimeError(f"{target.name}: bad range response {r.status_code}")
        if r.headers.get("content-range") != f"bytes {start}-{end}/{len(data)}":
            raise RuntimeError(f"{target.name}: bad Content-Range {r.headers}")
        full = client.get(target.url)
        if full.status_code != 200 or full.content != data:
            raise RuntimeError(f"{target.name}: full GET {full.status_code} differs from file")
    print(f"  ok {target.name}: 206 bytes {start}-{end} and full 200 match the file")


# --- nginx -----------------------------------------------------------------------------


# tcp_nopush stays off: with sendfile + TCP_CORK on loopback, every 64 KiB range response
# waits ~40 ms for a delayed ACK (p50 44 ms, 26 req/s on one connection instead of ~10,000).
AUDIO_TYPES = (
    "audio/mpeg mp3; audio/wav wav; audio/mp4 m4a; audio/aiff aiff; audio/flac flac; "
    "audio/ogg ogg opus; audio/webm webm;"
)

NGINX_CONF = """
{user}worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    types {{ audio/mpeg mp3; }}
    sendfile on;
    tcp_nopush off;
    keepalive_requests 1000000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream plyr {{
        server {upstream};
        keepalive 64;
    }}
    upstream plyr_published {{
        server {published};
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        # nginx alone: the file itself
        location = /audio/{file_id} {{
            alias {path};
            default_type audio/mpeg;
        }}
        # plyr behind nginx: /audio answers X-Accel-Redirect, nginx sends the bytes
        location /plyr/ {{
            proxy_pass http://plyr/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
        location /_media/ {{
            internal;
            alias {media_dir}/;
        }}
        # plyr with PUBLIC_MEDIA_BASE_URL=<this server>/media: /audio answers 307 for public
        # audio, and the static location below sends it (as in the README's "Scaling out")
        location /pub/ {{
            proxy_pass http://plyr_published/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
        location ~ "^/media/audio/([0-9a-f]{{16}}\\.(mp3|wav|m4a|aiff|flac|ogg|opus|webm))$" {{
            alias {media_dir}/audio/$1;
            types {{ {audio_types} }}
            default_type application/octet-stream;
            add_header Cache-Control "public, max-age=31536000, immutable" always;
            add_header X-Content-Type-Options nosniff always;
            add_header Content-Security-Policy "default-src 'none'; sandbox" always;
            add_header Referrer-Policy strict-origin-when-cross-origin always;
        }}
    }}
}}
"""


@contextmanager
def nginx_server(
    workdir: Path,
    media: Path,
    file_id: str,
    workers: int,
    upstream: str = "127.0.0.1:9",
    published: str = "127.0.0.1:9",
    port: int = 0,
) -> Iterator[str]:
    """nginx serving `media` at /audio/{file_id}, proxying /plyr/ to `upstream` (a plyr with
    PLYR_ACCEL_REDIRECT_PREFIX=/_media/) and /pub/ to `published` (a plyr with
    PUBLIC_MEDIA_BASE_URL=<nginx>/media), and serving the media folder's public audio at
    /media/audio/; yields its base URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    user = "user root root;\n" if os.geteuid() == 0 else ""  # the media dir is 0700
    conf = workdir / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user=user,
            workers=workers,
            dir=workdir,
            host=HOST,
            port=port,
            file_id=file_id,
            path=media.resolve(),
            media_dir=media.resolve().parent.parent,
            upstream=upstream,
            published=published,
            audio_types=AUDIO_TYPES,
        )
    )
    log = workdir / "error.log"
    cmd = ["nginx", "-p", str(workdir), "-c", str(conf), "-e", str(log)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://{HOST}:{port}"
    try:
        wait_http(f"{base}/audio/{file_id}", proc, log)
        yield base
    finally:
        stop_process_group(proc)


def redis_up() -> bool:
    try:
        with socket.create_connection((HOST, 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def flush_bench_redis() -> None:
    """Drop what the 2-worker plyr left in its dedicated Redis database (14)."""
    import redis

    redis.Redis.from_url(REDIS_BENCH_URL).flushdb()


# --- the run ---------------------------------------------------------------------------


def report(targets: list[Target]) -> None:
    by_name = {t.name: t for t in targets}
    rows = []
    for t in targets:
        for metric, values in t.runs.items():
            value = median(values)
            base = by_name.get(t.baseline)
            ratio = value / median(base.runs[metric]) if base else 1.0
            spread = f"{fmt(min(values))}-{fmt(max(values))}"
            rows.append((t.name, metric, value, spread, f"{ratio:.2f}"))
    print(f"\nmedian of {len(targets[0].runs['full file MB/s'])} runs; ratio = value / nginx value")
    print("(higher is better for MB/s and req/s, lower for latencies)\n")
    print_table(["server", "metric", "median", "min-max", "ratio vs nginx"], rows)


def setup_targets(
    stack: ExitStack, tmp: Path, data: Path, media: Path, file_id: str, args: argparse.Namespace
) -> list[Target]:
    """Start every server; each plyr target names the nginx it is compared with."""
    audio = f"/audio/{file_id}"
    one = stack.enter_context(plyr_server(data))
    accel = stack.enter_context(plyr_server(data, PLYR_ACCEL_REDIRECT_PREFIX="/_media/"))
    port = free_port()
    published = stack.enter_context(
        plyr_server(
            data,
            PLYR_ACCEL_REDIRECT_PREFIX="/_media/",
            PUBLIC_MEDIA_BASE_URL=f"http://{HOST}:{port}/media",
        )
    )
    n1 = stack.enter_context(
        nginx_server(
            tmp / "nginx1",
            media,
            file_id,
            1,
            host_port(accel.base_url),
            host_port(published.base_url),
            port,
        )
    )
    static = follow_redirect(f"{n1}/pub{audio}")
    targets = [
        Target("nginx 1 worker", n1 + audio, ""),
        Target("public audio: 307 to nginx 1w static", static, "nginx 1 worker"),
        Target("plyr uvicorn 1 worker", one.base_url + audio, "nginx 1 worker"),
        Target("plyr 1w behind nginx 1w (X-Accel)", f"{n1}/plyr{audio}", "nginx 1 worker"),
    ]
    if args.granian:
        gran = stack.enter_context(plyr_server(data, server="granian"))
        targets.append(Target("plyr granian 1 worker", gran.base_url + audio, "nginx 1 worker"))
    if args.no_redis or not redis_up():
        print("2-worker variant skipped (--no-redis, or no Redis on 127.0.0.1:6379)")
        return targets
    stack.callback(flush_bench_redis)
    two = stack.enter_context(plyr_server(data, workers=2, REDIS_URL=REDIS_BENCH_URL))
    n2 = stack.enter_context(nginx_server(tmp / "nginx2", media, file_id, workers=2))
    return [
        *targets,
        Target("nginx 2 workers", n2 + audio, ""),
        Target("plyr uvicorn 2 workers", two.base_url + audio, "nginx 2 workers"),
    ]


def host_port(url: str) -> str:
    return url.removeprefix("http://")


def follow_redirect(url: str) -> str:
    """Where plyr sends a listener of public audio: a 307 to nginx's static location."""
    response = httpx.get(url, headers={"Range": "bytes=0-1"}, timeout=30)
    if response.status_code != 307:
        raise RuntimeError(f"{url}: expected 307 to the media folder, got {response.status_code}")
    location = response.headers["location"]
    print(f"  ok {url} -> 307 {location}")
    return location


def redirect_rate(url: str, wrk: Wrk, runs: int) -> None:
    """The hop before the static file: how many 307s plyr answers per second (behind nginx;
    a player asks once per track, then reads ranges from the static URL)."""
    rates = []
    for _ in range(runs):
        result = wrk.run(url, connections=LISTENERS, length=RANGE_BYTES)
        rates.append(result.requests / result.seconds)
        time.sleep(SETTLE_S)
    print(f"\n307 answers of plyr 1w behind nginx: {median(rates):,.0f} req/s (median)")


def prepare_file(tmp: Path, data: Path, seconds: float) -> tuple[str, Path]:
    """Generate the MP3, upload it with a 1-worker plyr, return (file_id, stored path)."""
    t0 = time.monotonic()
    mp3 = generate_mp3(tmp / "bench.mp3", seconds)
    print(f"generated {mp3.stat().st_size / 1e6:.1f} MB MP3 in {time.monotonic() - t0:.1f}s")
    token = make_token(data)
    with plyr_server(data) as server:
        file_id, ext = upload_and_wait(server.base_url, token, mp3, "stream bench")
    media = data / "media" / "audio" / f"{file_id}.{ext}"
    print(f"uploaded: file_id={file_id}, stored {media.stat().st_size / 1e6:.1f} MB")
    return file_id, media


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--audio-seconds", type=float, default=250.0, help="320k: 250 s = 10 MB")
    parser.add_argument("--no-redis", action="store_true", help="skip the 2-worker variant")
    parser.add_argument("--granian", action="store_true", help="add plyr on granian (installed)")
    args = parser.parse_args()
    if args.granian and importlib.util.find_spec("granian") is None:
        raise SystemExit("--granian: `uv pip install granian` first (not a project dependency)")
    if shutil.which("wrk") is None or shutil.which("nginx") is None:
        raise SystemExit("needs wrk and nginx: apt-get install -y wrk nginx")

    with temp_dir() as tmp, ExitStack() as stack:
        data = tmp / "data"
        file_id, media = prepare_file(tmp, data, args.audio_seconds)
        content = media.read_bytes()
        targets = setup_targets(stack, tmp, data, media, file_id, args)
        for t in targets:
            verify(t, content)
        wrk = Wrk(tmp, len(content), args.duration)
        for t in targets:  # warm-up: caches, page cache, first DB lookup per process
            wrk.run(t.url, connections=4, length=RANGE_BYTES, seconds=1)
        for n in range(args.runs):
            print(f"round {n + 1}/{args.runs}")
            # a new order each round: whatever runs first or after a busy server (a
            # lingering load, a warmer cache) is a different server every time
            for t in random.sample(targets, len(targets)):
                measure(t, wrk, len(content))
        report(targets)
        redirect_rate(targets[0].url.replace("/audio/", "/pub/audio/"), wrk, args.runs)


if __name__ == "__main__":
    main()
