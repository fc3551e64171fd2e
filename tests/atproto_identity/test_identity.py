"""IdentityResolver against real local servers: no mocks, no internet.

One background thread runs, on 127.0.0.1:
- an HTTP server (Starlette on uvicorn) that the resolver's httpx client uses as its *HTTP
  proxy*, so it receives every request with the target host in `Host` and plays every host of
  a small fake internet: the PLC directory `plc.test`, the handles' well-known documents
  (`http://<handle>/.well-known/atproto-did`), did:web hosts, and XRPC services `pds.test`,
  `appview.test` answering `com.atproto.identity.resolveHandle`;
- a DNS server (UDP, dnspython messages) answering TXT `_atproto.<handle>`.

Both record what they are asked in `World.requests`, which the tests use to count requests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from plyr.atproto.identity import Identity, IdentityError, IdentityResolver
from tests.helpers import poll

PLC = "http://plc.test"
PDS = "http://pds.test"
APPVIEW = "http://appview.test"
KEY = "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"


def plc_did(name: str) -> str:
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()
    return "did:plc:" + digest[:24].lower()


def did_doc(
    did: str,
    handle: str | None = None,
    *,
    pds: str = "http://localhost:2583/",
    claims: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": claims or did,
        "alsoKnownAs": [f"at://{handle}"] if handle else [],
        "verificationMethod": [
            {
                "id": f"{did}#atproto",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": KEY,
            }
        ],
        "service": [
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}
        ],
        **extra,
    }


class Streamed:
    """A document served chunked, without Content-Length."""

    def __init__(self, body: bytes) -> None:
        self.body = body


@dataclass
class World:
    plc: dict[str, Any] = field(default_factory=dict)  # did -> document
    web: dict[str, Any] = field(default_factory=dict)  # host[:port] -> did:web document
    well_known: dict[str, str] = field(default_factory=dict)  # handle -> body
    xrpc: dict[str, dict[str, str]] = field(default_factory=dict)  # host -> {handle: did}
    txt: dict[str, list[str]] = field(default_factory=dict)  # "_atproto.<handle>" -> TXT
    requests: list[str] = field(default_factory=list)
    delay_s: float = 0.0

    def count(self, prefix: str = "") -> int:
        return sum(1 for r in self.requests if r.startswith(prefix))


def _document_response(document: Any) -> Response:
    if document is None:
        return JSONResponse({"message": "DID not registered"}, status_code=404)
    if isinstance(document, Streamed):
        body = document.body

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(body), 4096):
                yield body[i : i + 4096]

        return StreamingResponse(chunks(), media_type="application/json")
    return JSONResponse(document)


def make_app(world: World) -> Any:
    async def handle(request: Request) -> Response:
        host = request.headers.get("host", "").lower()
        path = request.url.path
        world.requests.append(f"http:{host}{path}")
        if world.delay_s:
            await asyncio.sleep(world.delay_s)  # a slow web server, on purpose
        if path == "/.well-known/atproto-did":
            body = world.well_known.get(host)
            if body is None:
                return PlainTextResponse("not found", status_code=404)
            return PlainTextResponse(body)
        if path == "/.well-known/did.json":
            return _document_response(world.web.get(host))
        if path == "/xrpc/com.atproto.identity.resolveHandle" and host in world.xrpc:
            did = world.xrpc[host].get(request.query_params.get("handle", ""))
            if did is None:
                return JSONResponse(
                    {"error": "InvalidRequest", "message": "Unable to resolve handle"},
                    status_code=400,
                )
            return JSONResponse({"did": did})
        if host == "plc.test":
            return _document_response(world.plc.get(unquote(path[1:])))
        return PlainTextResponse("no such host", status_code=502)

    starlette = Starlette(routes=[Route("/{path:path}", handle)])

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        # A proxied request's target is absolute ("GET http://host/path"); httptools already
        # splits it, h11 does not.
        if scope["type"] == "http" and scope["path"].startswith("http://"):
            path = urlsplit(scope["path"]).path or "/"
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await starlette(scope, receive, send)

    return app


class DnsResponder(asyncio.DatagramProtocol):
    def __init__(self, world: World) -> None:
        self.world = world
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.world.requests.append(f"dns:{name}")
        values = self.world.txt.get(name)
        if values and question.rdtype == dns.rdatatype.TXT:
            quoted = ['"' + v.replace('"', '\\"') + '"' for v in values]
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", "TXT", quoted))
        else:
            response.set_rcode(dns.rcode.NXDOMAIN)
        self.transport.sendto(response.to_wire(), addr)


class Network:
    def __init__(self) -> None:
        self.world = World()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.dns_port = 0
        self.server = uvicorn.Server(
            uvicorn.Config(
                make_app(self.world), log_level="warning", lifespan="off", access_log=False
            )
        )
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: DnsResponder(self.world), local_addr=("127.0.0.1", 0)
        )
        self.dns_port = transport.get_extra_info("sockname")[1]
        serving = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started and not serving.done():
            await asyncio.sleep(0.01)  # polling for the server to start
        self._ready.set()
        try:
            await serving
        finally:
            transport.close()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10) and self.server.started, "test servers did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)


@pytest.fixture(scope="module")
def network() -> Iterator[Network]:
    net = Network()
    net.start()
    try:
        yield net
    finally:
        net.stop()


@pytest.fixture
def world(network: Network) -> World:
    world = network.world
    world.plc.clear()
    world.web.clear()
    world.well_known.clear()
    world.txt.clear()
    world.xrpc.clear()
    world.xrpc.update({"pds.test": {}, "appview.test": {}})
    world.requests.clear()
    world.delay_s = 0.0
    return world


MakeResolver = Callable[..., IdentityResolver]


@pytest.fixture
async def make_resolver(network: Network, world: World) -> AsyncIterator[MakeResolver]:
    made: list[tuple[IdentityResolver, httpx.AsyncClient]] = []

    def make(*, proxy: bool = True, **overrides: Any) -> IdentityResolver:
        http = httpx.AsyncClient(proxy=network.url if proxy else None, trust_env=False)
        options: dict[str, Any] = {
            "plc_url": PLC,
            "http": http,
            "handle_fallback_urls": [PDS],
            "dns_nameservers": [("127.0.0.1", network.dns_port)],
            "allow_http_did_web": True,
            "well_known_scheme": "http",
        }
        options.update(overrides)
        resolver = IdentityResolver(**options)
        made.append((resolver, http))
        return resolver

    yield make
    for resolver, http in made:
        await resolver.aclose()
        await http.aclose()


@pytest.fixture
def resolver(make_resolver: MakeResolver) -> IdentityResolver:
    return make_resolver()


def register(world: World, name: str, *, via: str = "dns", **doc: Any) -> str:
    """A did:plc for handle `<name>.test`, resolvable `via` dns, well-known or xrpc."""
    handle = f"{name}.test"
    did = plc_did(name)
    world.plc[did] = did_doc(did, handle, **doc)
    if via == "dns":
        world.txt[f"_atproto.{handle}"] = [f"did={did}"]
    elif via == "well-known":
        world.well_known[handle] = did + "\n"
    else:
        world.xrpc["pds.test"][handle] = did
    return did


# ---- handle resolution order ----------------------------------------------------------------


async def test_dns_txt_wins(world: World, resolver: IdentityResolver) -> None:
    did = register(world, "alice")
    world.well_known["alice.test"] = plc_did("other")
    world.xrpc["pds.test"]["alice.test"] = plc_did("other")
    world.txt["_atproto.alice.test"].insert(0, "v=unrelated record")

    assert await resolver.resolve_handle("alice.test") == did
    assert world.requests == ["dns:_atproto.alice.test"]

    identity = await resolver.resolve("@Alice.Test ")
    assert identity == Identity(
        did=did,
        handle="alice.test",
        pds_url="http://localhost:2583",
        signing_key=KEY,
        document=world.plc[did],
    )
    assert identity.document == world.plc[did]
    assert world.requests == ["dns:_atproto.alice.test", f"http:plc.test/{did}"]


async def test_well_known_when_dns_has_nothing(world: World, resolver: IdentityResolver) -> None:
    did = register(world, "bob", via="well-known")
    world.xrpc["pds.test"]["bob.test"] = plc_did("other")
    world.txt["_atproto.bob.test"] = ["not a did record"]

    assert await resolver.resolve_handle("bob.test") == did
    assert world.requests == ["dns:_atproto.bob.test", "http:bob.test/.well-known/atproto-did"]


async def test_ambiguous_dns_is_ignored(world: World, resolver: IdentityResolver) -> None:
    did = register(world, "carol", via="well-known")
    world.txt["_atproto.carol.test"] = [f"did={plc_did('x')}", f"did={plc_did('y')}"]
    assert await resolver.resolve_handle("carol.test") == did


async def test_fallbacks_are_tried_last_in_order(world: World, make_resolver: MakeResolver) -> None:
    resolver = make_resolver(handle_fallback_urls=[PDS, APPVIEW + "/"])
    did = plc_did("dave")
    world.xrpc["appview.test"]["dave.test"] = did
    world.well_known["dave.test"] = "not-a-did"  # ignored: not a DID

    assert await resolver.resolve_handle("dave.test") == did
    assert world.requests == [
        "dns:_atproto.dave.test",
        "http:dave.test/.well-known/atproto-did",
        "http:pds.test/xrpc/com.atproto.identity.resolveHandle",
        "http:appview.test/xrpc/com.atproto.identity.resolveHandle",
    ]


async def test_unknown_handle(world: World, resolver: IdentityResolver) -> None:
    with pytest.raises(IdentityError, match=r"handle not found: ghost\.test"):
        await resolver.resolve_handle("ghost.test")
    with pytest.raises(IdentityError, match=r"handle not found: ghost\.test"):
        await resolver.resolve("@ghost.test")
    assert world.count("dns:") == 1  # the failure was cached


# ---- DID documents --------------------------------------------------------------------------


async def test_did_plc_identity(world: World, resolver: IdentityResolver) -> None:
    did = plc_did("erin")
    world.plc[did] = did_doc(
        did,
        "erin.test",
        service=[
            {"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": "https://l"},
            {"id": f"{did}#atproto_pds", "type": "Wrong", "serviceEndpoint": "https://wrong"},
            {
                "id": f"{did}#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": "https://pds.example.com///",
            },
        ],
    )
    world.xrpc["pds.test"]["erin.test"] = did

    identity = await resolver.resolve(did)
    assert identity.did == did
    assert identity.handle == "erin.test"
    assert identity.pds_url == "https://pds.example.com"
    assert identity.signing_key == KEY
    assert await resolver.resolve_did(did) == world.plc[did]


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/role#",
        "https://pds.example.com/xrpc",
        "https://pds.example.com?redirect=1",
        "https://pds.example.com/#x",
        "https://user:secret@pds.example.com",
    ],
)
async def test_a_pds_endpoint_must_be_an_origin(
    world: World, resolver: IdentityResolver, endpoint: str
) -> None:
    """A path, query or fragment would steer `{pds}/xrpc/...` where the document's author
    likes (review H1); credentials in a URL are refused too."""
    did = plc_did("origin-" + endpoint)
    world.plc[did] = did_doc(did, pds=endpoint)
    with pytest.raises(IdentityError, match="no PDS"):
        await resolver.resolve(did)


async def test_did_plc_without_pds_or_key(world: World, resolver: IdentityResolver) -> None:
    did = plc_did("frank")
    world.plc[did] = did_doc(did, service=[], verificationMethod=[])
    with pytest.raises(IdentityError, match="no PDS"):
        await resolver.resolve(did)

    did2 = plc_did("frank2")
    world.plc[did2] = did_doc(did2, verificationMethod=[])
    identity = await resolver.resolve(did2)
    assert (identity.handle, identity.signing_key, identity.pds_url) == (
        None,
        None,
        "http://localhost:2583",
    )


async def test_unregistered_did(world: World, resolver: IdentityResolver) -> None:
    with pytest.raises(IdentityError, match="DID not found"):
        await resolver.resolve(plc_did("nobody"))


async def test_did_web(world: World, resolver: IdentityResolver) -> None:
    did = "did:web:gina.web.test"
    world.web["gina.web.test"] = did_doc(did, "gina.test", pds="https://pds.gina.web.test")
    world.well_known["gina.test"] = did

    identity = await resolver.resolve("gina.test")
    assert (identity.did, identity.handle, identity.pds_url) == (
        did,
        "gina.test",
        "https://pds.gina.web.test",
    )
    assert "http:gina.web.test/.well-known/did.json" in world.requests


async def test_did_web_with_port(
    network: Network, world: World, make_resolver: MakeResolver
) -> None:
    """`did:web:localhost%3A<port>`, fetched directly (no proxy) over http."""
    resolver = make_resolver(proxy=False)
    host = f"localhost:{network.port}"
    did = f"did:web:localhost%3A{network.port}"
    world.web[host] = did_doc(did)

    identity = await resolver.resolve(did)
    assert identity.did == did and identity.handle is None
    assert world.requests == [f"http:{host}/.well-known/did.json"]


async def test_did_web_is_https_by_default(world: World, make_resolver: MakeResolver) -> None:
    resolver = make_resolver(allow_http_did_web=False)
    world.web["hank.web.test"] = did_doc("did:web:hank.web.test")
    # https through the proxy needs a CONNECT tunnel, which the test server refuses
    with pytest.raises(IdentityError):
        await resolver.resolve_did("did:web:hank.web.test")
    assert world.count("http:hank.web.test") == 0


async def test_document_claiming_another_did_is_refused(
    world: World, resolver: IdentityResolver
) -> None:
    victim = register(world, "victim")
    did = register(world, "ivan", claims=victim)
    with pytest.raises(IdentityError, match="claims another DID"):
        await resolver.resolve_did(did)
    with pytest.raises(IdentityError, match="claims another DID"):
        await resolver.resolve("ivan.test")
    world.web["evil.web.test"] = did_doc(victim, "victim.test")
    with pytest.raises(IdentityError, match="claims another DID"):
        await resolver.resolve("did:web:evil.web.test")


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_document_is_refused(
    world: World, resolver: IdentityResolver, streamed: bool
) -> None:
    did = plc_did("judy")
    document = did_doc(did, padding="x" * 70_000)
    world.plc[did] = Streamed(httpx.Response(200, json=document).content) if streamed else document
    with pytest.raises(IdentityError, match="too large"):
        await resolver.resolve_did(did)


async def test_malformed_documents(world: World, resolver: IdentityResolver) -> None:
    did = plc_did("kim")
    world.plc[did] = Streamed(b"{not json")
    with pytest.raises(IdentityError, match="not JSON"):
        await resolver.resolve_did(did)
    did2 = plc_did("kim2")
    world.plc[did2] = ["a list"]
    with pytest.raises(IdentityError, match="not a JSON object"):
        await resolver.resolve_did(did2)


# ---- bidirectional verification -------------------------------------------------------------


async def test_handle_not_claimed_by_document(world: World, resolver: IdentityResolver) -> None:
    did = register(world, "liam")
    world.plc[did]["alsoKnownAs"] = ["at://someone-else.test"]
    identity = await resolver.resolve("liam.test")
    assert identity.did == did
    assert identity.handle is None


async def test_handle_pointing_elsewhere(world: World, resolver: IdentityResolver) -> None:
    """A document claims mia.test, but mia.test's DNS names another DID."""
    impostor = plc_did("impostor")
    world.plc[impostor] = did_doc(impostor, "mia.test")
    real = register(world, "mia")

    assert (await resolver.resolve(impostor)).handle is None
    assert (await resolver.resolve(real)).handle == "mia.test"
    assert (await resolver.resolve("mia.test")).did == real


async def test_document_handle_case_and_unresolvable(
    world: World, resolver: IdentityResolver
) -> None:
    did = register(world, "nina")
    world.plc[did]["alsoKnownAs"] = ["https://nina.example.com", "at://Nina.TEST"]
    assert (await resolver.resolve(did)).handle == "nina.test"
    assert (await resolver.resolve("nina.test")).handle == "nina.test"

    did2 = plc_did("oscar")
    world.plc[did2] = did_doc(did2, "oscar.test")  # oscar.test resolves nowhere
    assert (await resolver.resolve(did2)).handle is None
    did3 = plc_did("pat")
    world.plc[did3] = did_doc(did3, "handle.invalid")
    assert (await resolver.resolve(did3)).handle is None


# ---- syntax is checked before the network -------------------------------------------------


BAD_HANDLES = [
    "",
    "@",
    "alice",
    "alice.",
    ".alice.test",
    "-alice.test",
    "alice-.test",
    "al_ice.test",
    "al ice.test",
    "alice.test/x",
    "alice.123",
    "alice.local",
    "alice.onion",
    "x." + "a" * 64 + ".test",
    ".".join(["abcdefgh"] * 28) + ".test",  # > 253 chars
    "älice.test",
]
BAD_DIDS = [
    "did:plc:short",
    "did:plc:" + "A" * 24,
    "did:plc:" + "a" * 23 + "1",
    "did:plc:" + "a" * 25,
    "did:web:",
    "did:web:host.test:path",
    "did:web:host.test%3Aabc",
    "did:web:host.test%3A99999",
    "did:web:user@host.test",
    "did:web:169.254.169.254",  # an IP literal: a did:web names a host
    "did:web:127.0.0.1%3A6379",
    "did:web:127.1",
    "did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF",
    "did:",
]


@pytest.mark.parametrize("handle", BAD_HANDLES)
async def test_invalid_handle_makes_no_request(
    world: World, resolver: IdentityResolver, handle: str
) -> None:
    with pytest.raises(IdentityError, match="invalid handle"):
        await resolver.resolve_handle(handle)
    with pytest.raises(IdentityError, match="invalid handle"):
        await resolver.resolve(handle)
    assert world.requests == []


@pytest.mark.parametrize("did", BAD_DIDS)
async def test_invalid_did_makes_no_request(
    world: World, resolver: IdentityResolver, did: str
) -> None:
    with pytest.raises(IdentityError, match=r"invalid DID|unsupported DID method"):
        await resolver.resolve_did(did)
    with pytest.raises(IdentityError, match=r"invalid DID|unsupported DID method"):
        await resolver.resolve(did)
    assert world.requests == []


# ---- caching --------------------------------------------------------------------------------


async def test_successes_are_cached_until_invalidated(
    world: World, resolver: IdentityResolver
) -> None:
    did = register(world, "quinn")
    first = await resolver.resolve("quinn.test")
    assert world.count() == 2
    assert await resolver.resolve("quinn.test") == first
    assert await resolver.resolve(did) == first
    assert world.count() == 2

    resolver.invalidate("@Quinn.test")
    assert await resolver.resolve("quinn.test") == first
    assert world.count() == 4  # the handle and the document it pointed to

    resolver.invalidate(did)
    assert await resolver.resolve(did) == first
    assert world.count() == 6  # the document and the handle it named


async def test_returned_documents_are_copies(world: World, resolver: IdentityResolver) -> None:
    did = register(world, "rita")
    (await resolver.resolve_did(did))["alsoKnownAs"].clear()
    (await resolver.resolve("rita.test")).document["id"] = "tampered"
    assert (await resolver.resolve(did)).handle == "rita.test"


async def test_failures_are_cached_for_failure_ttl(
    world: World, make_resolver: MakeResolver
) -> None:
    resolver = make_resolver(failure_ttl_s=0.3)
    with pytest.raises(IdentityError, match="handle not found"):
        await resolver.resolve_handle("sam.test")
    asked = world.count()
    did = register(world, "sam")
    with pytest.raises(IdentityError, match="handle not found"):
        await resolver.resolve_handle("sam.test")
    assert world.count() == asked

    async def resolved() -> str | None:
        try:
            return await resolver.resolve_handle("sam.test")
        except IdentityError:  # still the cached failure: no request
            return None

    assert await poll(resolved, timeout=5, interval=0.05, what="the failure to expire") == did
    assert world.count() == asked + 1
    assert await resolver.resolve_handle("sam.test") == did
    assert world.count() == asked + 1  # a success is cached for cache_ttl_s


async def test_concurrent_resolutions_share_one_lookup(
    world: World, resolver: IdentityResolver
) -> None:
    did = register(world, "tess")
    world.delay_s = 0.2
    identities = await asyncio.gather(*(resolver.resolve("tess.test") for _ in range(20)))
    assert {i.did for i in identities} == {did}
    assert world.requests == ["dns:_atproto.tess.test", f"http:plc.test/{did}"]

    other = plc_did("tess-other")
    world.plc[other] = did_doc(other)
    documents = await asyncio.gather(*(resolver.resolve_did(other) for _ in range(20)))
    assert all(d["id"] == other for d in documents)
    assert world.count(f"http:plc.test/{other}") == 1

    lookups = (resolver.resolve(plc_did("nobody")) for _ in range(5))
    failures = await asyncio.gather(*lookups, return_exceptions=True)
    assert all(isinstance(f, IdentityError) for f in failures), failures
    assert world.count(f"http:plc.test/{plc_did('nobody')}") == 1


async def test_a_cancelled_waiter_does_not_cancel_the_lookup(
    world: World, resolver: IdentityResolver
) -> None:
    did = register(world, "uma")
    world.delay_s = 0.2
    first = asyncio.create_task(resolver.resolve_did(did))
    second = asyncio.create_task(resolver.resolve_did(did))
    await poll(lambda: world.count() == 1, interval=0.01, what="the lookup to start")
    first.cancel()
    assert (await second)["id"] == did
    assert world.count() == 1


async def test_handle_change_is_picked_up_after_invalidate(
    world: World, resolver: IdentityResolver
) -> None:
    old = register(world, "victor", via="well-known")
    assert (await resolver.resolve("victor.test")).did == old

    new = plc_did("victor-new")
    world.plc[new] = did_doc(new, "victor.test")
    world.plc[old]["alsoKnownAs"] = ["at://victor-old.test"]
    world.well_known["victor.test"] = new
    assert (await resolver.resolve("victor.test")).did == old  # still cached

    resolver.invalidate("victor.test")
    identity = await resolver.resolve("victor.test")
    assert (identity.did, identity.handle) == (new, "victor.test")
    assert (await resolver.resolve(old)).handle is None  # its document was refreshed too


async def test_invalidate_during_a_lookup_is_not_overwritten(
    world: World, resolver: IdentityResolver
) -> None:
    did = register(world, "wendy")
    world.delay_s = 0.2
    lookup = asyncio.create_task(resolver.resolve_did(did))
    await poll(lambda: world.count() == 1, interval=0.01, what="the lookup to start")
    resolver.invalidate(did)
    await lookup
    world.delay_s = 0
    await resolver.resolve_did(did)
    assert world.count() == 2


async def test_slow_servers_time_out(world: World, make_resolver: MakeResolver) -> None:
    resolver = make_resolver(timeout_s=0.2)
    did = register(world, "xena")
    world.delay_s = 0.5
    with pytest.raises(IdentityError, match="timed out"):
        await resolver.resolve_did(did)


async def test_own_http_client(world: World) -> None:
    resolver = IdentityResolver(plc_url=PLC, dns_nameservers=[("127.0.0.1", 9)], timeout_s=0.5)
    with pytest.raises(IdentityError, match="invalid handle"):
        await resolver.resolve("nope")
    await resolver.aclose()
