"""The `plyr` command, as an operator runs it: migrate, create a dev session, serve."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plyr(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plyr.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLYR_", "DATABASE_URL", "REDIS_URL"))
    }
    env["PLYR_DATA_DIR"] = str(data_dir)
    return env


def test_db_upgrade_and_dev_session(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")
    upgraded = plyr("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "data" / "plyr.db").exists()
    session = plyr("dev", "session", "--handle", "carol.test", env=env)
    assert session.returncode == 0, session.stderr
    assert len(session.stdout.strip()) >= 40


def test_serve_starts_with_embedded_defaults(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plyr.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        assert (tmp_path / "data" / "plyr.db").exists()
        assert (tmp_path / "data" / "media").is_dir()
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=15)
    assert "Application shutdown complete" in output  # a graceful stop on SIGTERM
    assert "Traceback" not in output


def test_several_workers_need_redis(tmp_path: Path) -> None:
    result = plyr("serve", "--workers", "2", env=clean_env(tmp_path / "data"))
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr + result.stdout
