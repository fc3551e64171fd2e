"""A real AT Protocol network for tests: the reference PDS and a PLC directory, on loopback.
A pytest plugin (the root conftest loads it), so the network is one per test session, shared
by tests/atnet and tests/browser.

`atproto_net` (session) runs `node devnet/start.mjs` on free ports; `create_account(net,
handle)` signs up an account on its PDS; `pds_alice` (module) is a fresh account per module.
`list_records`, `get_record` and `record_at` read a repo on the PDS as any client would.
Without node or devnet/node_modules (./scripts/devnet or ./scripts/test install them) the
tests skip, or fail in CI.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.atnet.tls import CLIENT_HOST, ServerCert, make_cert
from tests.services import missing

ROOT = Path(__file__).resolve().parents[2]
DEVNET = ROOT / "devnet"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class AtprotoNet:
    pds_url: str  # http://localhost:PORT
    plc_url: str  # http://localhost:PORT
    admin_password: str

    @property
    def pds_xrpc(self) -> str:
        """Base URL for XRPC calls, e.g. `atproto.Client(base_url=net.pds_xrpc)`."""
        return f"{self.pds_url}/xrpc"

    @property
    def pds_ws(self) -> str:
        """Base URI for subscriptions (`com.atproto.sync.subscribeRepos`)."""
        return self.pds_url.replace("http://", "ws://", 1) + "/xrpc"


@dataclass(frozen=True)
class Account:
    did: str
    handle: str
    password: str
    access_jwt: str
    refresh_jwt: str


def free_ports(count: int) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1 (all held open while choosing)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def unique_handle(name: str = "user") -> str:
    """A fresh valid handle on the devnet's `.test` domain, e.g. `alice-3f9a1c2e.test`."""
    return f"{name}-{secrets.token_hex(4)}.test"


def create_account(net: AtprotoNet, handle: str, password: str | None = None) -> Account:
    """Sign up `handle` (`<name>.test`) on the devnet PDS: a did:plc registered in its PLC."""
    password = password or secrets.token_urlsafe(12)
    email = f"{handle.split('.', 1)[0]}@example.test"
    with httpx.Client(trust_env=False, timeout=15) as http:
        res = http.post(
            f"{net.pds_xrpc}/com.atproto.server.createAccount",
            json={"handle": handle, "email": email, "password": password},
        )
    if res.status_code != 200:
        raise RuntimeError(f"createAccount {handle}: {res.status_code} {res.text}")
    body = res.json()
    return Account(
        did=body["did"],
        handle=body["handle"],
        password=password,
        access_jwt=body["accessJwt"],
        refresh_jwt=body["refreshJwt"],
    )


def list_records(net: AtprotoNet, did: str, collection: str) -> list[dict[str, Any]]:
    """The records of `collection` in `did`'s repo on the PDS (up to 100; uri, cid, value)."""
    response = httpx.get(
        f"{net.pds_xrpc}/com.atproto.repo.listRecords",
        params={"repo": did, "collection": collection, "limit": 100},
    )
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()["records"]
    return records


def get_record(net: AtprotoNet, did: str, collection: str, rkey: str) -> dict[str, Any] | None:
    """One record of `did`'s repo on the PDS (uri, cid, value), or None if it has none."""
    response = httpx.get(
        f"{net.pds_xrpc}/com.atproto.repo.getRecord",
        params={"repo": did, "collection": collection, "rkey": rkey},
    )
    return response.json() if response.status_code == 200 else None


def record_at(net: AtprotoNet, uri: str) -> dict[str, Any] | None:
    """The record an at:// URI names (uri, cid, value), or None if there is none."""
    did, collection, rkey = uri.removeprefix("at://").split("/")
    return get_record(net, did, collection, rkey)


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Forward the devnet's stdout lines; keeps draining after READY so it never blocks."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def client_cert(tmp_path_factory: pytest.TempPathFactory) -> ServerCert:
    """The certificate of `plyr.devnet.internal` (a confidential OAuth client), which the
    devnet trusts."""
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def atproto_net(
    tmp_path_factory: pytest.TempPathFactory, client_cert: ServerCert
) -> Iterator[AtprotoNet]:
    """A fresh PLC directory + PDS for the test session (fresh data, free ports)."""
    what = "the local AT Protocol network (devnet/)"
    node = shutil.which("node")
    if node is None or not (DEVNET / "node_modules").is_dir():
        missing(f"{what}, needing node and devnet/node_modules (./scripts/devnet installs them),")
    assert node is not None
    plc_port, pds_port = free_ports(2)
    args = [node, "start.mjs", "--plc-port", str(plc_port), "--pds-port", str(pds_port)]
    args.append("--stdin-lifeline")  # it exits by itself if pytest dies without stopping it
    log_path = tmp_path_factory.mktemp("devnet") / "stderr.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            args,
            cwd=DEVNET,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={
                **os.environ,
                "DEVNET_HOST": "127.0.0.1",
                "DEVNET_HOSTS": f"{CLIENT_HOST}=127.0.0.1",
                "NODE_EXTRA_CA_CERTS": str(client_cert.cert),
            },
        )
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()

    ready = None
    reason = f"printed no READY line within {START_TIMEOUT:.0f} s"
    deadline = time.monotonic() + START_TIMEOUT
    while ready is None:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            reason = "exited before it was ready"
            break
        if line.startswith("READY "):
            ready = json.loads(line.removeprefix("READY "))
    if ready is None:
        _stop(proc)
        tail = log_path.read_text()[-1500:].strip()
        missing(f"{what}: devnet/start.mjs {reason} (exit code {proc.returncode}):\n{tail}\n")
    try:
        yield AtprotoNet(
            pds_url=ready["pds"], plc_url=ready["plc"], admin_password=ready["admin_password"]
        )
    finally:
        _stop(proc)
        if proc.stdin is not None:
            proc.stdin.close()
