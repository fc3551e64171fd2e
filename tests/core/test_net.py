"""The outbound policy (`plyr.core.net`) against real servers on 127.0.0.1: no internet."""

from __future__ import annotations

import asyncio
import gzip
import logging
import time
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from plyr.core.config import Settings
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.net import (
    DeadlineExceeded,
    GuardedClient,
    NetworkInWriter,
    Policy,
    RefusedUrl,
    ResponseTooLarge,
    bounds,
    is_public_address,
    network_in_writer_allowed,
    origin_of,
    pds_origin,
    strict_writer_check,
)
from plyr.models import Artist
from tests.upstream import Seen, Upstream, head, respond, respond_json, running_upstream

PUBLIC_ONLY = Policy(allow_private=False)
DEVNET = Policy(allow_private=True)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with running_upstream() as server:
        server.routes["/ok"] = respond_json(200, {"ok": True})
        yield server


async def _get(policy: Policy, url: str, **kwargs: object) -> int:
    async with GuardedClient(policy) as http:
        return (await http.get(url, **kwargs)).status_code  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://10.0.0.5/",
        "https://192.168.1.1/",
        "https://[::1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://100.64.0.1/",
        "https://224.0.0.1/",
        "https://0.0.0.0/",
    ],
)
async def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(RefusedUrl, match="not a public address"):
        await _get(PUBLIC_ONLY, url)


async def test_private_upstream_is_refused_before_any_byte_is_sent(upstream: Upstream) -> None:
    with pytest.raises(RefusedUrl):
        await _get(PUBLIC_ONLY, upstream.url.replace("http://", "https://") + "/ok")
    assert upstream.connections == 0


def test_public_address_rule() -> None:
    assert is_public_address("93.184.216.34")
    assert is_public_address("2606:2800:220:1:248:1893:25c8:1946")
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "::1", "fc00::1", "ff02::1", "::"):
        assert not is_public_address(address), address
    assert not is_public_address("2002:7f00:1::1")  # 6to4 of 127.0.0.1


@pytest.mark.parametrize("url", ["http://example.com/", "ftp://example.com/", "file:///etc/x"])
async def test_only_https_without_the_switch(url: str) -> None:
    with pytest.raises(RefusedUrl):
        await _get(PUBLIC_ONLY, url)


async def test_a_name_that_resolves_to_a_private_address_is_refused(upstream: Upstream) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async with GuardedClient(PUBLIC_ONLY, resolve=resolve) as http:
        with pytest.raises(RefusedUrl, match=r"evil\.example is not a public address"):
            await http.get(f"https://evil.example:{upstream.port}/ok")
    assert upstream.connections == 0


async def test_the_connection_goes_to_the_address_that_was_checked(upstream: Upstream) -> None:
    """DNS rebinding: the name is resolved once, by the guard, and the socket connects to that
    answer; a second lookup (which would answer another address) never happens."""
    answers = [["127.0.0.1"]]

    async def resolve(host: str, port: int) -> list[str]:
        assert host == "rebind.test"
        return answers.pop(0) if answers else ["10.255.255.1"]

    async with GuardedClient(DEVNET, resolve=resolve) as http:
        response = await http.get(f"http://rebind.test:{upstream.port}/ok")
    assert response.json() == {"ok": True}
    assert not answers  # resolved exactly once
    assert upstream.requests[0].headers["host"] == f"rebind.test:{upstream.port}"


async def test_trusted_origins_may_be_private(upstream: Upstream) -> None:
    policy = Policy(allow_private=False, trusted_origins=frozenset({origin_of(upstream.url)}))
    assert await _get(policy, f"{upstream.url}/ok") == 200
    with pytest.raises(RefusedUrl):  # another port of the same host is not trusted
        await _get(policy, f"http://127.0.0.1:{upstream.port + 1}/ok")


def test_operator_urls_are_trusted(settings: Settings) -> None:
    policy = Policy.of(settings)
    assert "https://plc.directory:443" in policy.trusted_origins
    assert "https://bsky.network:443" in policy.trusted_origins  # the firehose (wss)
    assert "https://bsky.social:443" in policy.trusted_origins  # handle resolver


async def test_responses_have_a_byte_cap(upstream: Upstream) -> None:
    upstream.routes["/big"] = respond(200, b"x" * 5000)
    async with GuardedClient(DEVNET) as http:
        assert len((await http.get(f"{upstream.url}/big")).content) == 5000
        with pytest.raises(ResponseTooLarge):
            await http.get(f"{upstream.url}/big", extensions=bounds(limit=1000))
        request = http.build_request("GET", f"{upstream.url}/big", extensions=bounds(limit=1000))
        response = await http.send(request, stream=True)
        with pytest.raises(ResponseTooLarge):
            async for _ in response.aiter_raw():
                pass
        await response.aclose()


async def test_a_compressed_answer_is_capped_once_decoded(upstream: Upstream) -> None:
    bomb = gzip.compress(b"0" * 200_000)
    upstream.routes["/bomb"] = respond(200, bomb, {"content-encoding": "gzip"})
    async with GuardedClient(DEVNET) as http:
        with pytest.raises(ResponseTooLarge):
            await http.get(f"{upstream.url}/bomb", extensions=bounds(limit=10_000))


async def _trickle(_seen: Seen, writer: asyncio.StreamWriter) -> None:
    writer.write(head(200, {"content-length": "40"}))
    for _ in range(40):  # one byte every 0.5 s: each read is quick, the whole is 20 s
        await writer.drain()
        writer.write(b".")
        await asyncio.sleep(0.5)


async def test_a_trickling_server_meets_the_total_deadline(upstream: Upstream) -> None:
    upstream.routes["/trickle"] = _trickle
    started = time.monotonic()
    async with GuardedClient(DEVNET) as http:
        with pytest.raises(DeadlineExceeded):
            await http.get(f"{upstream.url}/trickle", extensions=bounds(deadline_s=1.5))
    assert time.monotonic() - started < 3


async def test_redirects_are_not_followed(upstream: Upstream) -> None:
    upstream.routes["/redirect"] = respond(302, headers={"location": "/ok"})
    async with GuardedClient(DEVNET) as http:
        response = await http.get(f"{upstream.url}/redirect", follow_redirects=True)
    assert response.status_code == 302
    assert [r.path for r in upstream.requests] == ["/redirect"]


async def test_relayed_bytes_ask_for_no_encoding(upstream: Upstream) -> None:
    async with GuardedClient(DEVNET) as http:
        await http.get(f"{upstream.url}/ok")
    assert upstream.requests[0].headers["accept-encoding"] == "identity"


@pytest.mark.parametrize(
    "url",
    [
        "https://pds.example/xrpc",
        "https://pds.example/latest/meta-data#",
        "https://pds.example?x=1",
        "https://pds.example/#frag",
        "https://user:pw@pds.example",
        "https://user@pds.example/",
        "ftp://pds.example",
        "https:///nohost",
    ],
)
def test_a_pds_endpoint_is_an_origin(url: str) -> None:
    with pytest.raises(RefusedUrl):
        pds_origin(url)


def test_pds_origin_keeps_host_and_port() -> None:
    assert pds_origin("https://PDS.example:8443/") == "https://pds.example:8443"
    assert pds_origin("http://localhost:2583") == "http://localhost:2583"


async def test_a_request_inside_a_writer_transaction_raises(
    app: FastAPI, upstream: Upstream
) -> None:
    runtime = app.state.runtime
    url = f"{upstream.url}/ok"
    async with runtime.writer() as db:
        assert (await runtime.http.get(url)).status_code == 200  # no transaction yet
        await db.execute(select(Artist).limit(1))  # BEGIN (IMMEDIATE on SQLite)
        with pytest.raises(NetworkInWriter):
            await runtime.http.get(url)
        with network_in_writer_allowed("a known offender, marked"):
            assert (await runtime.http.get(url)).status_code == 200
        await db.commit()
        assert (await runtime.http.get(url)).status_code == 200  # lock released
    async with runtime.sessionmaker() as db:  # readers never hold the write lock
        await db.execute(select(Artist).limit(1))
        assert (await runtime.http.get(url)).status_code == 200
    assert len(upstream.requests) == 4


async def test_production_logs_a_request_inside_a_writer(
    app: FastAPI, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = app.state.runtime
    strict_writer_check(False)
    try:
        async with runtime.writer() as db:
            await db.execute(select(Artist).limit(1))
            with caplog.at_level(logging.WARNING, logger="plyr.core.net"):
                await runtime.http.get(f"{upstream.url}/ok")
    finally:
        strict_writer_check(True)
    assert "inside a writer transaction" in caplog.text


async def test_the_check_sees_a_routes_writer_session(app: FastAPI, upstream: Upstream) -> None:
    """The request's unit of work (`DbSession`, a writer for a POST) is seen by the check
    from inside the handler, though FastAPI opened it in a dependency."""
    probe = FastAPI()
    probe.state.runtime = app.state.runtime

    @probe.post("/probe")
    async def network_inside_the_lock(db: DbSession, runtime: RuntimeDep) -> int:
        await db.execute(select(Artist).limit(1))
        return (await runtime.http.get(f"{upstream.url}/ok")).status_code

    @probe.get("/probe")
    async def network_in_a_reader(db: DbSession, runtime: RuntimeDep) -> int:
        await db.execute(select(Artist).limit(1))
        return (await runtime.http.get(f"{upstream.url}/ok")).status_code

    async with AsyncClient(transport=ASGITransport(app=probe), base_url="http://t") as client:
        assert (await client.get("/probe")).json() == 200
        with pytest.raises(NetworkInWriter):
            await client.post("/probe")
