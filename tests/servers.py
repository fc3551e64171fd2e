"""Real `plyr` processes for tests that exercise the command line, HTTP and crashes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.helpers import poll_sync
from tests.services import TEST_RATE_LIMITS

PLYR = [sys.executable, "-m", "plyr.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plyr_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """This process's environment without plyr settings, plus a data dir and `overrides`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLYR_", "DATABASE_URL", "REDIS_URL"))
    }
    env["PLYR_DATA_DIR"] = str(data_dir)
    env["PLYR_ALLOW_PRIVATE_NETWORK"] = "true"  # every peer in the tests is on 127.0.0.1
    env["PLYR_RATE_LIMITS"] = TEST_RATE_LIMITS  # one address makes every request
    env.update(overrides)
    return env


def run_plyr(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLYR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def dev_token(env: dict[str, str]) -> str:
    result = run_plyr("dev", "session", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 120
) -> None:
    def up() -> bool:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return True
        except httpx.TransportError:
            pass
        assert proc is None or proc.poll() is None, f"server exited with {proc.returncode}"
        return False

    poll_sync(up, timeout=timeout, interval=0.2, what=f"{url} to come up")


def start_plyr(env: dict[str, str], port: int, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*PLYR, "serve", "--port", str(port), "--no-migrate", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(15)


@contextmanager
def running_plyr(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`plyr serve` on `port`, up and healthy for the block; the database must be migrated."""
    proc = start_plyr(env, port)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", proc)
        yield proc
    finally:
        stop(proc)
