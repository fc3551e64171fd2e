"""Which real services the tests can reach. In CI (CI=true) a missing one is a failure."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("PLYR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def postgres_admin_url() -> str:
    return os.environ.get("PLYR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Fail in CI, skip with a message elsewhere."""
    message = f"{what} is not reachable"
    if in_ci():
        pytest.fail(f"{message} (required in CI)")
    pytest.skip(message)
