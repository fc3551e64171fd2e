"""The one outbound HTTP client for URLs that came from outside (handles, DID documents,
PDS and authorization-server endpoints, blobs): every request plyr makes goes through
`GuardedClient`, which enforces the outbound policy:

- https only, and only public addresses, checked on the address actually connected to: a
  host name is resolved once, every answer is checked, and the connection goes to a checked
  IP (TLS still names the host), so DNS rebinding cannot slip a private address in;
- a byte cap on every response and a total deadline per request (headers and body), set per
  call site with `bounds(...)`; redirects are never followed;
- `Accept-Encoding: identity`, so relayed bytes are the bytes the upstream stored.

Operator-configured origins (PLC directory, handle resolvers, signup PDSes, firehose, the
moderation notifiers' webhook and bot PDS) are trusted, like any target when
`allow_private_network` is on (devnet, tests). Refusals are `httpx.TransportError`s (the
callers' "upstream unavailable" path) whose text is plyr's own.

The client also makes the rule "no network inside SQLite's write lock" checkable: a request
made while a writer transaction is open (`plyr.core.db.in_writer_transaction`) raises
`NetworkInWriter` when the strict check is on (the tests), and logs a warning otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from plyr.core.config import Settings
from plyr.core.db import in_writer_transaction

log = logging.getLogger(__name__)

JSON_LIMIT = 1 << 20  # a JSON answer (XRPC, metadata, tokens)
DEADLINE_S = 15.0  # a whole request: connect, headers and body
_BOUNDS_KEY = "plyr.bounds"
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class OutboundError(httpx.TransportError):
    """A request the outbound policy stopped; `str(e)` is plyr's own words."""


class RefusedUrl(OutboundError):
    """A target the policy does not allow (scheme, address, shape)."""


class ResponseTooLarge(OutboundError):
    """The answer was longer than the call site's byte cap."""


class DeadlineExceeded(OutboundError):
    """The request did not finish within its total deadline."""


class NetworkInWriter(BaseException):
    """A request made while a writer transaction holds the database's write lock. Raised
    only under the strict check (the tests), and a BaseException so that the best-effort
    `except Exception` around many PDS calls cannot hide an offender."""


def bounds(limit: int = JSON_LIMIT, deadline_s: float = DEADLINE_S) -> dict[str, Any]:
    """Request extensions with the byte cap and total deadline of one call site."""
    return {_BOUNDS_KEY: (limit, deadline_s)}


# ---- addresses and URLs -------------------------------------------------------------------


def is_public_address(address: str) -> bool:
    """Is `address` a globally routable unicast IP (not loopback, private, link-local, CGNAT,
    multicast, reserved, or an IPv6 form embedding an IPv4 address)?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and (
        ip.ipv4_mapped or ip.sixtofour or ip.teredo or ip.is_site_local
    ):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def origin_of(url: str | httpx.URL) -> str:
    """`scheme://host:port` of a URL (ws/wss count as http/https), lowercased."""
    parsed = httpx.URL(str(url))
    scheme = {"ws": "http", "wss": "https"}.get(parsed.scheme, parsed.scheme)
    port = parsed.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{parsed.host.lower()}:{port}"


def pds_origin(url: str) -> str:
    """`url` as a PDS endpoint: an http(s) origin with no userinfo, path, query or fragment
    (trailing `/`s are fine); RefusedUrl otherwise. Without this, `{pds}/xrpc/...` could land
    on a path (or a fragment) the document's author chose."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise RefusedUrl("the PDS address is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RefusedUrl("a PDS address must be an http(s) URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise RefusedUrl("a PDS address must not carry credentials")
    if parts.path.strip("/") or parts.query or parts.fragment or url.strip()[-1] in "?#":
        raise RefusedUrl("a PDS address must be an origin (no path, query or fragment)")
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class Policy:
    allow_private: bool
    trusted_origins: frozenset[str] = frozenset()

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        """From `plyr.core.config.Settings`: the operator's own URLs are trusted."""
        urls = [
            settings.plc_url,
            settings.firehose_url,
            *settings.handle_resolver_urls,
            *settings.signup_pds_urls,
            *filter(None, [settings.notify_webhook_url]),
            *([settings.notify_dm_pds_url] if settings.notify_dm_handle else []),
        ]
        trusted = set()
        for url in urls:
            with contextlib.suppress(httpx.InvalidURL, ValueError):
                trusted.add(origin_of(url))
        return cls(settings.allow_private_network, frozenset(trusted))

    def admit(self, url: httpx.URL) -> bool:
        """Whether `url` goes out unguarded (a trusted origin); RefusedUrl if not allowed."""
        if url.scheme not in ("https", "http") or not url.host:
            raise RefusedUrl("only http(s) addresses can be fetched")
        if url.userinfo:
            raise RefusedUrl("addresses with credentials are not fetched")
        trusted = origin_of(url) in self.trusted_origins
        if url.scheme == "http" and not (trusted or self.allow_private):
            raise RefusedUrl("only https addresses can be fetched")
        return trusted


# ---- the writer check ---------------------------------------------------------------------

_strict_writer_check = False
_allowed_in_writer: ContextVar[str | None] = ContextVar("plyr_net_in_writer", default=None)


def strict_writer_check(on: bool) -> None:
    """Raise (on: the tests) or log (off: production) on a request inside a writer."""
    global _strict_writer_check
    _strict_writer_check = on


@contextlib.contextmanager
def network_in_writer_allowed(reason: str) -> Iterator[None]:
    """Mark a known offender (a request inside a writer transaction) until it is moved out."""
    token = _allowed_in_writer.set(reason)
    try:
        yield
    finally:
        _allowed_in_writer.reset(token)


def _check_writer(url: httpx.URL) -> None:
    if not in_writer_transaction() or _allowed_in_writer.get() is not None:
        return
    message = f"a request to {url.host} inside a writer transaction (holds the write lock)"
    if _strict_writer_check:
        raise NetworkInWriter(message)
    log.warning(message)


# ---- connections ------------------------------------------------------------------------------

Resolve = Callable[[str, int], Awaitable[list[str]]]


async def _system_resolve(host: str, port: int) -> list[str]:
    answers = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, checks every address, and connects to a checked one."""

    def __init__(self, allow_private: bool, resolve: Resolve | None = None) -> None:
        self.allow_private = allow_private
        self.resolve = resolve or _system_resolve
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self.resolve(host, port)
        except (OSError, TimeoutError) as e:
            raise httpcore.ConnectError(f"could not resolve {host}") from e
        if not addresses:
            raise httpcore.ConnectError(f"could not resolve {host}")
        if not self.allow_private and not all(is_public_address(a) for a in addresses):
            raise RefusedUrl(f"{host} is not a public address")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as e:
                error = e
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedUrl("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _BackendTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over `backend` (httpx does not expose the backend: its pool is
    rebuilt here with the same defaults)."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),  # SSL_CERT_FILE/DIR still apply
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class _PolicyTransport(httpx.AsyncBaseTransport):
    """Admits each request (redirects included, were one followed) and routes it."""

    def __init__(self, policy: Policy, resolve: Resolve | None) -> None:
        self.policy = policy
        self.guarded = _BackendTransport(GuardedBackend(policy.allow_private, resolve))
        self.trusted = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.trusted if self.policy.admit(request.url) else self.guarded
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self.guarded.aclose()
        await self.trusted.aclose()


# ---- bounded responses ----------------------------------------------------------------------


class _BoundedStream(httpx.AsyncByteStream):
    """At most `limit` raw bytes, all read before `end` (event-loop time)."""

    def __init__(self, inner: httpx.AsyncByteStream, limit: int, end: float) -> None:
        self.inner, self.limit, self.end = inner, limit, end

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        chunks = self.inner.__aiter__()
        while True:
            try:
                async with asyncio.timeout_at(self.end):
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise DeadlineExceeded("the server took too long to answer") from None
            seen += len(chunk)
            if seen > self.limit:
                raise ResponseTooLarge("the server's answer is too large")
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class GuardedClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` under the outbound policy (see the module docstring). Every
    response is bounded by the request's `bounds(...)` (default: 1 MB in 15 s); with
    `stream=True` the body is bounded while the caller reads it."""

    def __init__(
        self,
        policy: Policy,
        *,
        headers: dict[str, str] | None = None,
        resolve: Resolve | None = None,
    ) -> None:
        super().__init__(
            transport=_PolicyTransport(policy, resolve),
            headers={"Accept-Encoding": "identity", **(headers or {})},
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would bypass the address check
            timeout=httpx.Timeout(DEADLINE_S, connect=5.0),
        )
        self.policy = policy

    async def send(
        self, request: httpx.Request, *, stream: bool = False, **options: Any
    ) -> httpx.Response:
        """`httpx.AsyncClient.send`, bounded; `follow_redirects` is always off."""
        _check_writer(request.url)
        limit, deadline_s = request.extensions.get(_BOUNDS_KEY, (JSON_LIMIT, DEADLINE_S))
        end = asyncio.get_running_loop().time() + deadline_s
        try:
            async with asyncio.timeout_at(end):
                response = await super().send(
                    request,
                    stream=True,
                    auth=options.get("auth", httpx.USE_CLIENT_DEFAULT),
                    follow_redirects=False,
                )
        except TimeoutError:
            raise DeadlineExceeded("the server took too long to answer") from None
        response.stream = _BoundedStream(response.stream, limit, end)  # type: ignore[arg-type]
        if stream:
            return response
        try:
            body = await _read_decoded(response, limit)
        finally:
            await response.aclose()
        headers = [(k, v) for k, v in response.headers.multi_items() if k not in _DROPPED_HEADERS]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=request,
            extensions=response.extensions,
        )


async def _read_decoded(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, capped too (a compressed answer could expand without bound)."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise ResponseTooLarge("the server's answer is too large")
    return bytes(body)
