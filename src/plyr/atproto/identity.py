"""AT Protocol identity: handles and DIDs to DID documents, PDS endpoints and signing keys.

Asynchronous, cached, and strict about what it trusts:

- a handle resolves to a DID through DNS TXT `_atproto.<handle>` (`did=...`), then
  `https://<handle>/.well-known/atproto-did`, then each configured fallback service's
  `com.atproto.identity.resolveHandle` (a PDS or AppView; needed for `.test` handles on a local
  network, which neither DNS nor HTTPS reach);
- a DID resolves to its document through the PLC directory (`did:plc`) or
  `https://<host>/.well-known/did.json` (`did:web`, host names only, as atproto allows);
- a document whose `id` is not the DID asked for is refused, and a handle is reported only
  when it verifies both ways (the document's `alsoKnownAs` names it and it resolves back to the
  DID); otherwise `Identity.handle` is None.

Successes are cached for `cache_ttl_s`, failures for `failure_ttl_s`, and concurrent lookups of
the same handle or DID share one request.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver
import httpx

from plyr.core.cache import LocalCache
from plyr.core.net import RefusedUrl, bounds, pds_origin

__all__ = ["Identity", "IdentityError", "IdentityResolver", "normalize_handle", "validate_did"]

MAX_DOCUMENT_BYTES = 64 * 1024
MAX_WELL_KNOWN_BYTES = 2 * 1024
MAX_XRPC_BYTES = 16 * 1024
MAX_HANDLE_LENGTH = 253
MAX_CACHE_ENTRIES = 10_000

_HANDLE_RE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
# Top-level domains the atproto handle spec disallows (`.test` stays allowed: development).
_DISALLOWED_TLDS = frozenset(
    {"alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion"}
)
_DID_PLC_RE = re.compile(r"^did:plc:[a-z2-7]{24}$")
_HOST_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_DID_WEB_RE = re.compile(rf"^did:web:({_HOST_LABEL}(\.{_HOST_LABEL})*)(%3[aA]([0-9]{{1,5}}))?$")


@dataclass(frozen=True)
class Identity:
    did: str
    handle: str | None  # None when the handle did not verify bidirectionally
    pds_url: str  # the #atproto_pds service endpoint, no trailing slash
    signing_key: str | None  # the #atproto verificationMethod publicKeyMultibase, if present
    document: dict[str, Any] = field(repr=False, compare=False, hash=False)


class IdentityError(Exception):
    """A handle or DID that cannot be resolved or trusted; `str(e)` is user-readable."""


def normalize_handle(handle: str) -> str:
    """`handle` lowercased, without a leading `@` or surrounding whitespace; IdentityError if
    it is not a valid atproto handle."""
    normalized = handle.strip().removeprefix("@").strip().lower()
    if (
        not normalized
        or len(normalized) > MAX_HANDLE_LENGTH
        or not _HANDLE_RE.match(normalized)
        or normalized.rsplit(".", 1)[-1] in _DISALLOWED_TLDS
    ):
        raise IdentityError(f"invalid handle: {handle.strip()[:300]}")
    return normalized


def validate_did(did: str) -> str:
    """`did` if it is a did:plc or a host-level did:web; IdentityError otherwise."""
    if _DID_PLC_RE.match(did):
        return did
    if did.startswith("did:web:"):
        match = _DID_WEB_RE.match(did)
        if match is None:
            raise IdentityError(
                f"invalid DID (did:web takes a host and optional %3A port): {did[:300]}"
            )
        port = match.group(6)
        if port is not None and not 0 < int(port) < 65536:
            raise IdentityError(f"invalid DID (port out of range): {did[:300]}")
        if _is_ip_literal(match.group(1)):
            raise IdentityError(f"invalid DID (did:web takes a host name, not an IP): {did[:300]}")
        return did
    if did.startswith("did:plc:"):
        raise IdentityError(f"invalid DID (a did:plc is 24 base32 characters): {did[:300]}")
    if re.match(r"^did:[a-z]+:", did):
        raise IdentityError(f"unsupported DID method: {did[:300]}")
    raise IdentityError(f"invalid DID: {did[:300]}")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # a name whose last label is numeric is an address to most resolvers (`127.1`)
        return host.rsplit(".", 1)[-1].isdigit()
    return True


def _ok_did(value: str) -> str | None:
    try:
        return validate_did(value)
    except IdentityError:
        return None


@dataclass(frozen=True)
class _Failure:
    message: str


class IdentityResolver:
    """Resolves handles and DIDs (see the module docstring). One instance per process; close
    it with `aclose()` (it closes only an HTTP client it created itself)."""

    def __init__(
        self,
        *,
        plc_url: str,
        http: httpx.AsyncClient | None = None,
        handle_fallback_urls: Sequence[str] = (),
        dns_nameservers: Sequence[tuple[str, int]] | None = None,
        cache_ttl_s: float = 600,
        failure_ttl_s: float = 30,
        allow_http_did_web: bool = False,
        well_known_scheme: str = "https",
        timeout_s: float = 3.0,
    ) -> None:
        """
        - `handle_fallback_urls`: base URLs of services answering
          `com.atproto.identity.resolveHandle`, tried in order after DNS and the well-known.
        - `dns_nameservers`: (ip, port) pairs to ask instead of the system resolver.
        - `allow_http_did_web`: fetch did:web documents over http (development/tests only).
        - `well_known_scheme`: "http" fetches `http://<handle>/.well-known/atproto-did`
          (development/tests only).
        - `timeout_s`: the limit for each step (one DNS query, one HTTP request).
        """
        if well_known_scheme not in ("https", "http"):
            raise ValueError("well_known_scheme must be 'https' or 'http'")
        self.plc_url = plc_url.rstrip("/")
        self.handle_fallback_urls = [u.rstrip("/") for u in handle_fallback_urls]
        self.cache_ttl_s = cache_ttl_s
        self.failure_ttl_s = failure_ttl_s
        self.allow_http_did_web = allow_http_did_web
        self.well_known_scheme = well_known_scheme
        self.timeout_s = timeout_s
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            headers={"user-agent": "plyr identity resolver"},
        )
        self._dns_nameservers = None if dns_nameservers is None else list(dns_nameservers)
        self._dns: dns.asyncresolver.Resolver | None = None
        self._dns_unavailable = False
        self._handles: LocalCache[str | _Failure] = LocalCache(cache_ttl_s, MAX_CACHE_ENTRIES)
        self._documents: LocalCache[dict[str, Any] | _Failure] = LocalCache(
            cache_ttl_s, MAX_CACHE_ENTRIES
        )
        self._inflight: dict[str, asyncio.Task[Any]] = {}

    # ---- public API ---------------------------------------------------------------------

    async def resolve_handle(self, handle: str) -> str:
        """The DID `handle` points to (not verified against the DID document: see `resolve`)."""
        handle = normalize_handle(handle)
        return await self._cached(self._handles, f"handle:{handle}", handle, self._lookup_handle)

    async def resolve_did(self, did: str) -> dict[str, Any]:
        """The DID document of `did` (a copy; its `id` is checked to be `did`)."""
        did = validate_did(did.strip())
        document = await self._cached(self._documents, f"did:{did}", did, self._fetch_document)
        return copy.deepcopy(document)

    async def resolve(self, identifier: str) -> Identity:
        """The identity behind a handle (optionally `@handle`) or a DID, with its handle
        verified both ways (None when it does not verify)."""
        identifier = identifier.strip()
        if identifier.startswith("did:"):
            did = validate_did(identifier)
            document = await self.resolve_did(did)
            handle = _first_handle(document)
            if handle is not None:
                try:
                    if await self.resolve_handle(handle) != did:
                        handle = None
                except IdentityError:
                    handle = None
        else:
            handle = normalize_handle(identifier)
            did = await self.resolve_handle(handle)
            document = await self.resolve_did(did)
            if handle not in _handles_of(document):
                handle = None
        pds_url = _pds_endpoint(document, did)
        if pds_url is None:
            raise IdentityError(f"no PDS in the DID document of {did}")
        return Identity(
            did=did,
            handle=handle,
            pds_url=pds_url,
            signing_key=_signing_key(document, did),
            document=document,
        )

    def invalidate(self, identifier: str) -> None:
        """Forget what is cached about a handle or DID: for a handle, also the document of the
        DID it pointed to; for a DID, also the handles its document named."""
        identifier = identifier.strip()
        if identifier.startswith("did:"):
            key = f"did:{identifier}"
            document = self._documents.get(key)
            self._forget(self._documents, key)
            if isinstance(document, dict):
                for handle in _handles_of(document):
                    self._forget(self._handles, f"handle:{handle}")
            return
        try:
            handle = normalize_handle(identifier)
        except IdentityError:
            return
        key = f"handle:{handle}"
        did = self._handles.get(key)
        self._forget(self._handles, key)
        if isinstance(did, str):
            self._forget(self._documents, f"did:{did}")

    async def aclose(self) -> None:
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()
        if self._own_http:
            await self._http.aclose()

    # ---- caching and in-flight sharing ------------------------------------------------------

    async def _cached(
        self,
        cache: LocalCache[Any],
        key: str,
        arg: str,
        lookup: Callable[[str], Awaitable[Any]],
    ) -> Any:
        hit = cache.get(key)
        if hit is None:
            task = self._inflight.get(key)
            if task is None:
                task = asyncio.create_task(self._fill(cache, key, arg, lookup))
                self._inflight[key] = task
                task.add_done_callback(lambda t: self._done(key, t))
            # shield: a waiter that is cancelled does not cancel the lookup others wait on
            hit = await asyncio.shield(task)
        if isinstance(hit, _Failure):
            raise IdentityError(hit.message)
        return hit

    async def _fill(
        self,
        cache: LocalCache[Any],
        key: str,
        arg: str,
        lookup: Callable[[str], Awaitable[Any]],
    ) -> Any:
        try:
            result: Any = await lookup(arg)
            ttl = self.cache_ttl_s
        except IdentityError as e:
            result = _Failure(str(e))
            ttl = self.failure_ttl_s
        # Cache only if not invalidated meanwhile (invalidate drops the in-flight entry).
        if ttl > 0 and self._inflight.get(key) is asyncio.current_task():
            cache.put(key, result, ttl)
        return result

    def _done(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: no "never retrieved" warning if every waiter left

    def _forget(self, cache: LocalCache[Any], key: str) -> None:
        cache.forget(key)
        self._inflight.pop(key, None)

    # ---- handles ----------------------------------------------------------------------------

    async def _lookup_handle(self, handle: str) -> str:
        did = await self._handle_from_dns(handle)
        if did is None:
            did = await self._handle_from_well_known(handle)
        for base in self.handle_fallback_urls:
            if did is not None:
                break
            did = await self._handle_from_xrpc(base, handle)
        if did is None:
            raise IdentityError(f"handle not found: {handle}")
        return did

    def _dns_resolver(self) -> dns.asyncresolver.Resolver | None:
        if self._dns is None and not self._dns_unavailable:
            try:
                if self._dns_nameservers is None:
                    resolver = dns.asyncresolver.Resolver()
                else:
                    resolver = dns.asyncresolver.Resolver(configure=False)
                    resolver.nameservers = [
                        dns.nameserver.Do53Nameserver(ip, port)
                        for ip, port in self._dns_nameservers
                    ]
            except dns.exception.DNSException:  # e.g. no /etc/resolv.conf
                self._dns_unavailable = True
                return None
            resolver.timeout = self.timeout_s
            resolver.lifetime = self.timeout_s
            self._dns = resolver
        return self._dns

    async def _handle_from_dns(self, handle: str) -> str | None:
        resolver = self._dns_resolver()
        if resolver is None:
            return None
        try:
            async with asyncio.timeout(self.timeout_s):
                answer = await resolver.resolve(
                    f"_atproto.{handle}.", dns.rdatatype.TXT, search=False
                )
        except (dns.exception.DNSException, TimeoutError):
            return None
        dids: set[str] = set()
        for rdata in answer:
            text = b"".join(getattr(rdata, "strings", ())).decode("utf-8", "replace").strip()
            if text.startswith("did="):
                did = _ok_did(text[4:].strip())
                if did is not None:
                    dids.add(did)
        # Exactly one DID, or the record is ambiguous and ignored (as the reference does).
        return dids.pop() if len(dids) == 1 else None

    async def _handle_from_well_known(self, handle: str) -> str | None:
        url = f"{self.well_known_scheme}://{handle}/.well-known/atproto-did"
        try:
            status, body = await self._get(url, MAX_WELL_KNOWN_BYTES)
        except IdentityError:
            return None
        if status != 200:
            return None
        lines = body.decode("utf-8", "replace").strip().splitlines()
        return _ok_did(lines[0].strip()) if lines else None

    async def _handle_from_xrpc(self, base: str, handle: str) -> str | None:
        url = f"{base}/xrpc/com.atproto.identity.resolveHandle"
        try:
            status, body = await self._get(url, MAX_XRPC_BYTES, params={"handle": handle})
        except IdentityError:
            return None
        if status != 200:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        did = data.get("did") if isinstance(data, dict) else None
        return _ok_did(did) if isinstance(did, str) else None

    # ---- DID documents ------------------------------------------------------------------------

    def _document_url(self, did: str) -> str:
        if did.startswith("did:plc:"):
            return f"{self.plc_url}/{did}"
        host = unquote(did.removeprefix("did:web:"))
        scheme = "http" if self.allow_http_did_web else "https"
        return f"{scheme}://{host}/.well-known/did.json"

    async def _fetch_document(self, did: str) -> dict[str, Any]:
        url = self._document_url(did)
        status, body = await self._get(url, MAX_DOCUMENT_BYTES, what=f"the DID document of {did}")
        if status in (404, 410):
            raise IdentityError(
                f"DID not found: {did}" if status == 404 else f"DID deactivated: {did}"
            )
        if status != 200:
            raise IdentityError(f"could not resolve {did}: the directory answered {status}")
        try:
            document = json.loads(body)
        except ValueError:
            raise IdentityError(f"the DID document of {did} is not JSON") from None
        if not isinstance(document, dict):
            raise IdentityError(f"the DID document of {did} is not a JSON object")
        if document.get("id") != did:
            raise IdentityError(f"the DID document for {did} claims another DID")
        return document

    # ---- HTTP ------------------------------------------------------------------------------

    async def _get(
        self,
        url: str,
        limit: int,
        *,
        params: dict[str, str] | None = None,
        what: str | None = None,
    ) -> tuple[int, bytes]:
        """(status, body) of GET `url`, in at most `timeout_s` and `limit` bytes."""
        what = what or url
        try:
            async with asyncio.timeout(self.timeout_s):
                async with self._http.stream(
                    "GET",
                    url,
                    params=params,
                    timeout=self.timeout_s,
                    follow_redirects=False,
                    extensions=bounds(limit, self.timeout_s),
                ) as response:
                    if response.status_code != 200:
                        return response.status_code, b""
                    declared = response.headers.get("content-length")
                    if declared is not None and declared.isdigit() and int(declared) > limit:
                        raise IdentityError(f"{what} is too large")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise IdentityError(f"{what} is too large")
                    return 200, bytes(body)
        except TimeoutError:
            raise IdentityError(f"timed out fetching {what}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            raise IdentityError(f"could not fetch {what}: {type(e).__name__}") from None


# ---- DID document helpers -------------------------------------------------------------------


def _handles_of(document: dict[str, Any]) -> list[str]:
    """The valid handles among the document's `at://` alsoKnownAs entries, in order."""
    aliases = document.get("alsoKnownAs")
    handles = []
    for alias in aliases if isinstance(aliases, list) else ():
        if isinstance(alias, str) and alias.startswith("at://"):
            try:
                handles.append(normalize_handle(alias[5:]))
            except IdentityError:
                continue
    return handles


def _first_handle(document: dict[str, Any]) -> str | None:
    aliases = document.get("alsoKnownAs")
    for alias in aliases if isinstance(aliases, list) else ():
        if isinstance(alias, str) and alias.startswith("at://"):
            try:
                return normalize_handle(alias[5:])
            except IdentityError:
                return None
    return None


def _entries(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = document.get(name)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _pds_endpoint(document: dict[str, Any], did: str) -> str | None:
    for service in _entries(document, "service"):
        if service.get("id") not in ("#atproto_pds", f"{did}#atproto_pds"):
            continue
        if service.get("type") != "AtprotoPersonalDataServer":
            continue
        endpoint = service.get("serviceEndpoint")
        if not isinstance(endpoint, str):
            continue
        try:  # an origin only: a path, query or fragment would redirect plyr's XRPC calls
            return pds_origin(endpoint)
        except RefusedUrl:
            continue
    return None


def _signing_key(document: dict[str, Any], did: str) -> str | None:
    for method in _entries(document, "verificationMethod"):
        if method.get("id") in ("#atproto", f"{did}#atproto"):
            key = method.get("publicKeyMultibase")
            if isinstance(key, str) and key:
                return key
    return None
