"""Shared helpers for the benchmarks: ports, a plyr server in a temp data dir, tokens,
uploads, and generated audio (nothing is downloaded)."""

from __future__ import annotations

import math
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def plyr_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a plyr process: its own data dir and public URL, no inherited
    REDIS_URL / DATABASE_URL (a benchmark never touches the developer's databases)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(PLYR_DATA_DIR=str(data_dir), PLYR_PUBLIC_URL=f"http://{HOST}:{port}")
    env.update(extra)
    return env


def _plyr_cmd(*args: str) -> list[str]:
    # The venv's own interpreter: no `uv run` wrapper process between us and the server,
    # so the pid we hold is the server's (its RSS is what we measure).
    return [sys.executable, "-m", "plyr.cli", *args]


@dataclass
class PlyrServer:
    """A running `plyr serve`, in its own process group so stopping it stops its workers."""

    data_dir: Path
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        stop_process_group(self.proc)


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group we created with start_new_session, SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)
    except ProcessLookupError:
        pass


def wait_http(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll `url` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{tail(log_path)}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {STARTUP_TIMEOUT_S}s:\n{tail(log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_plyr(
    data_dir: Path, *, workers: int = 1, server: str = "uvicorn", **env_extra: str
) -> PlyrServer:
    """`plyr serve` on a free port with `data_dir`; returns once /health answers."""
    port = free_port()
    env = plyr_env(data_dir, port, **env_extra)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"serve-{port}.log"
    cmd = _plyr_cmd(
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--server",
        server,
        "--no-access-log",
    )  # nginx's side runs with access_log off too
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server_ = PlyrServer(data_dir, port, proc, log_path, env)
    try:
        wait_http(f"{server_.base_url}/health", proc, log_path)
    except BaseException:
        server_.stop()
        raise
    return server_


@contextmanager
def plyr_server(data_dir: Path, **kwargs: object) -> Iterator[PlyrServer]:
    server = start_plyr(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def temp_dir(prefix: str = "plyr-bench-") -> Iterator[Path]:
    """A temp dir removed afterwards (ignore_cleanup_errors: a server may still be writing)."""
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as d:
        yield Path(d)


def make_token(data_dir: Path, handle: str = "bench.test") -> str:
    """A bearer token for a fresh user, via `plyr dev session`."""
    env = plyr_env(data_dir, 0)
    out = subprocess.run(
        _plyr_cmd("dev", "session", "--handle", handle),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip().splitlines()[-1]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload_file(base_url: str, token: str, path: Path, title: str, timeout: float = 600) -> str:
    """POST /tracks/ (multipart, file streamed from disk); returns the upload (job) id."""
    with path.open("rb") as f:
        r = httpx.post(
            f"{base_url}/tracks/",
            headers=auth(token),
            files={"file": (path.name, f)},
            data={"title": title},
            timeout=timeout,
        )
    if r.status_code != 202:
        raise RuntimeError(f"upload failed: {r.status_code} {r.text[:500]}")
    return str(r.json()["upload_id"])


def wait_job(base_url: str, token: str, job_id: str, timeout: float = 600) -> dict[str, object]:
    """Poll GET /jobs/{id} until completed (returns the job) or failed (raises)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{base_url}/jobs/{job_id}", headers=auth(token), timeout=10).json()
        if job.get("status") == "completed":
            return dict(job)
        if job.get("status") == "failed":
            raise RuntimeError(f"job {job_id} failed: {job.get('error')}")
        time.sleep(0.25)
    raise TimeoutError(f"job {job_id} not finished after {timeout}s")


def track_file(base_url: str, token: str, track_id: int) -> tuple[str, str]:
    """(file_id, file_type) of a track."""
    t = httpx.get(f"{base_url}/tracks/{track_id}", headers=auth(token), timeout=10).json()
    return str(t["file_id"]), str(t["file_type"])


def upload_and_wait(base_url: str, token: str, path: Path, title: str) -> tuple[str, str]:
    """Upload, wait for processing, return the stored (file_id, file_type)."""
    job = wait_job(base_url, token, upload_file(base_url, token, path, title))
    return track_file(base_url, token, int(job["track_id"]))  # type: ignore[call-overload]


# --- generated audio -------------------------------------------------------------------


def _tone_frames(seconds: float, rate: int) -> Iterator[object]:
    """Stereo float frames of a chord with a little noise (so the encoder has work to do)."""
    import av
    import numpy as np

    rng = np.random.default_rng(1)
    block = 1152 * 16
    t0 = 0
    total = int(seconds * rate)
    while t0 < total:
        n = min(block, total - t0)
        t = (np.arange(t0, t0 + n) / rate).astype(np.float32)
        mono = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 331 * t)
        noise = rng.standard_normal((2, n)).astype(np.float32) * 0.05
        data = np.ascontiguousarray((mono + noise).astype(np.float32))
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="stereo")
        frame.sample_rate = rate
        frame.pts = t0
        yield frame
        t0 += n


def generate_mp3(path: Path, seconds: float, bitrate: int = 320_000, rate: int = 44100) -> Path:
    """An MP3 (CBR `bitrate`) of `seconds` of audio: 320k x 250 s is about 10 MB."""
    import av

    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=rate)
        stream.bit_rate = bitrate
        stream.layout = "stereo"  # type: ignore[union-attr]
        for frame in _tone_frames(seconds, rate):
            for packet in stream.encode(frame):  # type: ignore[arg-type]
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def write_wav(path: Path, size_bytes: int, rate: int = 44100, channels: int = 2) -> Path:
    """A 16-bit PCM WAV of about `size_bytes`, written in constant memory (one chunk
    of noisy tone repeated)."""
    import numpy as np

    frame_bytes = 2 * channels
    chunk_frames = rate  # one second per chunk
    n_chunks = max(1, (size_bytes - 44) // (chunk_frames * frame_bytes))
    data_bytes = n_chunks * chunk_frames * frame_bytes
    t = np.arange(chunk_frames) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)  # 440 Hz: whole periods per second, no click
    noise = np.random.default_rng(2).standard_normal((chunk_frames, channels)) * 0.02
    pcm = ((tone[:, None] + noise) * 32767).clip(-32768, 32767).astype("<i2").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, channels, rate, rate * frame_bytes, frame_bytes, 16
    )
    header += b"data" + struct.pack("<I", data_bytes)
    with path.open("wb") as f:
        f.write(header)
        for _ in range(n_chunks):
            f.write(pcm)
    return path


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned text table (markdown-compatible)."""
    cells = [[str(h) for h in headers], *[[fmt(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def fmt(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)
