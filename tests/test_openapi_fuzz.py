"""Fuzz every operation in /openapi.json against a running server: no input may cause a 500,
and every response must match the documented status codes and schemas."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_cli import clean_env, free_port

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def plyr_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(data)
    env.update(PLYR_PUBLIC_URL=base, PLYR_MAX_UPLOAD_MB="4")
    cli = [sys.executable, "-m", "plyr.cli"]
    token = subprocess.run(
        [*cli, "dev", "session"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(base)
        yield base, token
    finally:
        server.terminate()
        server.wait(15)


def _wait_until_up(base: str) -> None:
    import time

    for _ in range(150):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


def test_api_never_errors_and_matches_its_schema(plyr_server: tuple[str, str]) -> None:
    base, token = plyr_server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as e:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {e}")
    assert not failures, "\n\n".join(failures)


def test_openapi_lists_every_route(plyr_server: tuple[str, str]) -> None:
    base, _ = plyr_server
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    for path in (
        "/tracks/",
        "/tracks/{track_id}",
        "/audio/{file_id}",
        "/jobs/{job_id}",
        "/tracks/uploads/{upload_id}/progress",
        "/health",
        "/config",
        "/stats",
    ):
        assert path in paths
    upload = paths["/tracks/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert set(upload["schema"]["required"]) == {"file", "title"}
