"""The `plyr` command, as an operator runs it: migrate, create a dev session, serve."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.servers import PLYR, free_port, plyr_env, run_plyr, wait_until_up


def test_db_upgrade_and_dev_session(tmp_path: Path) -> None:
    env = plyr_env(tmp_path / "data")
    upgraded = run_plyr("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "data" / "plyr.db").exists()
    session = run_plyr("dev", "session", "--handle", "carol.test", env=env)
    assert session.returncode == 0, session.stderr
    assert len(session.stdout.strip()) >= 40


def test_serve_starts_with_embedded_defaults(tmp_path: Path) -> None:
    env = plyr_env(tmp_path / "data")
    port = free_port()
    proc = subprocess.Popen(
        [*PLYR, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health")
        assert httpx.get(f"http://127.0.0.1:{port}/health").json() == {"status": "ok"}
        assert (tmp_path / "data" / "plyr.db").exists()  # migrated on start
        assert (tmp_path / "data" / "media").is_dir()
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=15)
    assert "Application shutdown complete" in output  # a graceful stop on SIGTERM
    assert "Traceback" not in output


def test_several_workers_need_redis(tmp_path: Path) -> None:
    result = run_plyr("serve", "--workers", "2", env=plyr_env(tmp_path / "data"))
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr + result.stdout


def test_worker_needs_redis(tmp_path: Path) -> None:
    result = run_plyr("worker", env=plyr_env(tmp_path / "data"))
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr + result.stdout
