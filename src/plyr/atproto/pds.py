"""Talking to a user's PDS: XRPC calls authorized by their session, with the repo methods
plyr needs (records and blobs). How a request is authorized is the session's business
(`PdsAuth`): an app-password JWT here, OAuth with DPoP in `plyr.atproto.oauth`."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio
import httpx

from plyr.core.net import bounds, pds_origin

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
BLOB_CHUNK = 1 << 20
# an upload streams the whole file: its deadline covers the slowest plausible upload
UPLOAD_BOUNDS = bounds(deadline_s=3600.0)
# A listing is bounded whatever the PDS answers (an endless cursor chain, huge pages).
LIST_MAX_PAGES = 100
LIST_MAX_RECORDS = 10_000


class XrpcError(Exception):
    """A PDS answered with an error. `message` is plyr's own words (shown to users); what the
    PDS said is in `upstream` (for logs and for matching, never for users)."""

    def __init__(self, status: int, error: str, message: str, upstream: str = "") -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message = status, error, message
        self.upstream = upstream or message

    @classmethod
    def of(cls, response: httpx.Response) -> XrpcError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        error = str(body.get("error", "Error"))
        if not _ERROR_NAME_RE.match(error):  # a name, not prose: it is shown to users
            error = "Error"
        return cls(
            response.status_code,
            error,
            f"the PDS answered {response.status_code} {error}",
            str(body.get("message", response.text[:200]))[:500],
        )


class ScopeUpgradeRequired(XrpcError):
    """The PDS refused a write the session's scopes do not cover: the user must sign in
    again to grant more. `scope` is the missing scope when known."""

    error_code = "scope_upgrade_required"

    def __init__(self, message: str, scope: str | None = None, status: int = 403) -> None:
        super().__init__(status, "ScopeMissingError", message)
        self.scope = scope

    @classmethod
    def missing(cls, scope: str) -> ScopeUpgradeRequired:
        return cls(f"scope upgrade required: sign in again to grant plyr {scope}", scope)

    @classmethod
    def from_xrpc(cls, error: XrpcError) -> ScopeUpgradeRequired | None:
        """The scope problem behind a PDS error (the reference PDS: 403 `ScopeMissingError`,
        `Missing required scope "repo:...?action=create"`), or None if it is something else."""
        if error.status not in (401, 403):
            return None
        name = error.error.lower()
        if name not in ("scopemissingerror", "insufficientscope", "insufficient_scope") and not (
            error.status == 403 and "scope" in error.upstream.lower()
        ):
            return None
        found = _SCOPE_RE.search(error.upstream)
        scope = found.group(1) if found else None
        return cls(
            f"scope upgrade required: sign in again to grant plyr {scope or 'this'}",
            scope,
            error.status,
        )


_SCOPE_RE = re.compile(r'scope "([\w:?=&.*/+-]{1,200})"')  # a scope, not prose: it is shown
_ERROR_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class PdsAuth(Protocol):
    """Signs requests for one account; may refresh its tokens when the PDS asks."""

    async def authorize(self, request: httpx.Request) -> None: ...

    async def should_retry(self, request: httpx.Request, response: httpx.Response) -> bool:
        """After an error response: fix what can be fixed (refresh, nonce) and say retry."""


@dataclass(frozen=True)
class RecordRef:
    uri: str
    cid: str


class PdsClient:
    def __init__(self, http: httpx.AsyncClient, pds_url: str, did: str, auth: PdsAuth) -> None:
        self.http, self.pds_url, self.did, self.auth = http, pds_url.rstrip("/"), did, auth

    async def call(
        self,
        method: str,
        nsid: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        content: Callable[[], Any] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One XRPC call; retried once when the session fixed itself (refresh, DPoP nonce)."""
        pds = pds_origin(self.pds_url)  # stored endpoints predate the check
        for attempt in range(2):
            request = self.http.build_request(
                method,
                f"{pds}/xrpc/{nsid}",
                params=params,
                json=json,
                content=content() if content else None,
                headers=headers,
                timeout=TIMEOUT,
                extensions=extensions or bounds(),
            )
            await self.auth.authorize(request)
            response = await self.http.send(request)
            if response.is_success:
                return response.json() if response.content else {}
            if attempt == 0 and await self.auth.should_retry(request, response):
                continue
            error = XrpcError.of(response)
            raise ScopeUpgradeRequired.from_xrpc(error) or error
        raise AssertionError("unreachable")

    async def put_record(self, collection: str, rkey: str, record: dict[str, Any]) -> RecordRef:
        body = {"repo": self.did, "collection": collection, "rkey": rkey, "record": record}
        out = await self.call("POST", "com.atproto.repo.putRecord", json=body)
        # the URI is the one written, not what the PDS says: an answer naming another
        # account's record would have plyr link that record to this account's row
        return RecordRef(f"at://{self.did}/{collection}/{rkey}", out["cid"])

    async def create_record(self, collection: str, record: dict[str, Any]) -> RecordRef:
        body = {"repo": self.did, "collection": collection, "record": record}
        out = await self.call("POST", "com.atproto.repo.createRecord", json=body)
        return RecordRef(out["uri"], out["cid"])

    async def delete_record(self, collection: str, rkey: str) -> None:
        body = {"repo": self.did, "collection": collection, "rkey": rkey}
        await self.call("POST", "com.atproto.repo.deleteRecord", json=body)

    async def get_record(self, collection: str, rkey: str) -> dict[str, Any] | None:
        params = {"repo": self.did, "collection": collection, "rkey": rkey}
        try:
            return await self.call("GET", "com.atproto.repo.getRecord", params=params)
        except XrpcError as e:
            if e.error == "RecordNotFound" or e.status == 404:
                return None
            raise

    async def list_records(
        self,
        collection: str,
        page_size: int = 100,
        *,
        max_pages: int = LIST_MAX_PAGES,
        max_records: int = LIST_MAX_RECORDS,
    ) -> AsyncIterator[dict[str, Any]]:
        """The collection's records, page by page. The PDS is the user's own and may be
        hostile, so the listing is bounded whatever it answers: at most `max_pages` pages and
        `max_records` records; a page larger than asked for, or a cursor that comes back,
        ends it (such a server would never end it itself)."""
        cursor: str | None = None
        seen: set[str] = set()
        given = 0
        for _ in range(max_pages):
            params: dict[str, Any] = {
                "repo": self.did,
                "collection": collection,
                "limit": page_size,
            }
            if cursor:
                params["cursor"] = cursor
                seen.add(cursor)
            page = await self.call("GET", "com.atproto.repo.listRecords", params=params)
            records, cursor = page.get("records"), page.get("cursor")
            if not isinstance(records, list) or (isinstance(cursor, str) and cursor in seen):
                break
            for record in records[: min(page_size, max_records - given)]:
                given += 1
                if _is_entry(record):
                    yield record
            if not isinstance(cursor, str) or not cursor or not records:
                return
            if given >= max_records or len(records) > page_size:
                break
        log.warning("listing %s of %s cut short after %d records", collection, self.did, given)

    async def upload_blob(self, path: Path, mime_type: str) -> dict[str, Any]:
        """Stream a file to the PDS (constant memory); returns the blob reference."""
        size = (await anyio.Path(path).stat()).st_size
        return await self.upload_stream(lambda: _file_chunks(path), size, mime_type)

    async def upload_stream(
        self, chunks: Callable[[], AsyncIterator[bytes]], size: int, mime_type: str
    ) -> dict[str, Any]:
        """Stream `size` bytes (from a fresh `chunks()` per attempt) as a blob."""
        out = await self.call(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=chunks,
            headers={"Content-Type": mime_type, "Content-Length": str(size)},
            extensions=UPLOAD_BOUNDS,
        )
        blob: dict[str, Any] = out["blob"]
        return blob


def _is_entry(record: Any) -> bool:
    """A listRecords entry has this shape; any other is dropped (it would end a sync)."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("uri"), str)
        and isinstance(record.get("cid"), str)
        and isinstance(record.get("value"), dict)
    )


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as f:
        while chunk := await f.read(BLOB_CHUNK):
            yield chunk


class PublicAuth:
    """No credentials: for what a PDS serves to anyone (listRecords, getRecord, blobs)."""

    async def authorize(self, request: httpx.Request) -> None:
        return None

    async def should_retry(self, request: httpx.Request, response: httpx.Response) -> bool:
        return False


Persist = Callable[[dict[str, Any]], Awaitable[None]]
_DEAD_TOKEN = ("ExpiredToken", "InvalidToken")


class PasswordAuth:
    """An app-password session (`createSession`): Bearer JWTs, refreshed on expiry. `lock`
    serializes refreshes (give every instance of one account the same, shared lock: refresh
    tokens are single-use); inside it `reload` adopts tokens another instance stored."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        pds_url: str,
        tokens: dict[str, Any],
        persist: Persist | None = None,
        on_expired: Callable[[], Awaitable[None]] | None = None,
        *,
        lock: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
        reload: Callable[[], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> None:
        self.http, self.pds_url, self.tokens = http, pds_url.rstrip("/"), tokens
        self.persist, self.on_expired, self.reload = persist, on_expired, reload
        own = asyncio.Lock()
        self._lock = lock or (lambda: own)
        self.refreshes = 0  # how many refreshes this instance performed

    @classmethod
    async def create(
        cls, http: httpx.AsyncClient, pds_url: str, identifier: str, password: str
    ) -> PasswordAuth:
        response = await http.post(
            f"{pds_url.rstrip('/')}/xrpc/com.atproto.server.createSession",
            json={"identifier": identifier, "password": password},
            timeout=TIMEOUT,
        )
        if not response.is_success:
            raise XrpcError.of(response)
        return cls(http, pds_url, response.json())

    async def authorize(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self.tokens['accessJwt']}"

    async def should_retry(self, request: httpx.Request, response: httpx.Response) -> bool:
        if response.status_code not in (400, 401) or XrpcError.of(response).error not in (
            _DEAD_TOKEN
        ):
            return False
        used = request.headers.get("Authorization", "")
        async with self._lock():  # refresh tokens are single-use: one refresh at a time
            if self.reload is not None and (stored := await self.reload()) is not None:
                self.tokens = stored
            if used != f"Bearer {self.tokens['accessJwt']}":
                return True  # another request refreshed meanwhile
            await self._refresh()
        return True

    async def _refresh(self) -> None:
        response = await self.http.post(
            f"{self.pds_url}/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {self.tokens['refreshJwt']}"},
            timeout=TIMEOUT,
        )
        if not response.is_success:
            error = XrpcError.of(response)
            if response.status_code in (400, 401) and error.error in _DEAD_TOKEN:
                if self.on_expired is not None:
                    await self.on_expired()
                raise XrpcError(401, "SessionExpired", "your PDS session ended: sign in again")
            raise error
        fresh = {**self.tokens, **response.json()}
        self.refreshes += 1
        if self.persist is not None:  # the old refresh token is spent: save before use
            await self.persist(fresh)
        self.tokens = fresh
