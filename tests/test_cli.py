"""The `plyr` command, as an operator runs it: migrate, create a dev session, serve."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.audio.media import make_audio
from tests.helpers import finished, poll_sync
from tests.servers import PLYR, dev_token, free_port, plyr_env, run_plyr, wait_until_up


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


def test_serve_on_granian(tmp_path: Path) -> None:
    """The faster server option: uploads are processed, ranges served, shutdown is clean."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = plyr_env(tmp_path / "data", PLYR_PUBLIC_URL=base)
    auth = {"Authorization": f"Bearer {dev_token(env)}"}
    data = make_audio(tmp_path / "s.mp3", "mp3", seconds=2).read_bytes()
    proc = subprocess.Popen(
        [*PLYR, "serve", "--port", str(port), "--server", "granian"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"{base}/health")
        upload = httpx.post(
            f"{base}/tracks/", headers=auth, data={"title": "g"}, files={"file": ("s.mp3", data)}
        )
        job_url = f"{base}/jobs/{upload.json()['upload_id']}"
        job = poll_sync(lambda: finished(httpx.get(job_url, headers=auth).json()), timeout=20)
        assert job["status"] == "completed", job
        file_id = httpx.get(f"{base}/tracks/{job['track_id']}").json()["file_id"]
        for _ in range(2):  # the second answer comes from the fast path
            ranged = httpx.get(f"{base}/audio/{file_id}", headers={"Range": "bytes=10-19"})
            assert ranged.status_code == 206 and ranged.content == data[10:20]
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "Traceback" not in output
