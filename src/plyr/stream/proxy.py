"""Streaming a track whose audio is a blob on its artist's PDS: plyr relays the bytes
(Range included), so listeners' browsers never talk to the PDS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from plyr.core.errors import NotFound
from plyr.core.net import bounds, pds_origin
from plyr.core.runtime import Runtime
from plyr.stream.files import Unsatisfiable, parse_range
from plyr.stream.service import AudioAccess

PASSED_HEADERS = ("content-length", "content-range", "accept-ranges", "etag", "last-modified")
UPSTREAM_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A relayed blob: at most the largest upload plyr itself takes, within 10 minutes (a paused
# player's connection ends then; the browser asks again with a Range).
RELAY_DEADLINE_S = 600.0


async def proxy_blob(
    runtime: Runtime, access: AudioAccess, byte_range: str | None
) -> StreamingResponse:
    assert access.blob is not None
    pds_url, did, cid = access.blob
    headers = {"Accept-Encoding": "identity"}  # the bytes as stored (Range counts those)
    if byte_range:
        headers["Range"] = byte_range
    try:
        request = runtime.http.build_request(
            "GET",
            f"{pds_origin(pds_url)}/xrpc/com.atproto.sync.getBlob",
            params={"did": did, "cid": cid},
            headers=headers,
            timeout=UPSTREAM_TIMEOUT,
            extensions=bounds(runtime.settings.max_upload_bytes, RELAY_DEADLINE_S),
        )
        upstream = await runtime.http.send(request, stream=True)
    except httpx.TransportError as e:
        raise NotFound("the artist's PDS is not answering; try again later") from e
    if upstream.status_code not in (200, 206, 416):
        await upstream.aclose()
        raise NotFound("audio not found on the artist's PDS")
    encoded = upstream.headers.get("content-encoding", "identity").lower() != "identity"
    if encoded and upstream.status_code != 200:  # a compressed slice: nothing to relay
        await upstream.aclose()
        raise NotFound("audio not found on the artist's PDS")
    # a PDS that compresses anyway: relay the decoded bytes whole (its lengths and ranges
    # count compressed bytes)
    passed = ("etag", "last-modified") if encoded else PASSED_HEADERS
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in passed}
    headers["Cache-Control"] = "public, max-age=3600" if access.public else "private, max-age=600"
    headers["Accept-Ranges"] = "none" if encoded else "bytes"
    body: AsyncIterator[bytes] = upstream.aiter_bytes()
    if encoded:
        return _relay(upstream, body, 200, headers, access)
    status = upstream.status_code
    size = upstream.headers.get("content-length", "")
    if byte_range and status == 200 and size.isdigit():  # the PDS ignored the range: we cut it
        try:
            span = parse_range(byte_range, int(size))
        except Unsatisfiable:
            await upstream.aclose()
            return StreamingResponse(
                iter(()), status_code=416, headers={"Content-Range": f"bytes */{size}"}
            )
        if span is not None:
            start, end = span
            body, status = _slice(body, start, end), 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            headers["Content-Length"] = str(end - start + 1)
    return _relay(upstream, body, status, headers, access)


def _relay(
    upstream: httpx.Response,
    body: AsyncIterator[bytes],
    status: int,
    headers: dict[str, str],
    access: AudioAccess,
) -> StreamingResponse:
    return StreamingResponse(
        body,
        status_code=status,
        headers=headers,
        media_type=access.content_type,
        background=BackgroundTask(upstream.aclose),
    )


async def _slice(chunks: AsyncIterator[bytes], start: int, end: int) -> AsyncIterator[bytes]:
    """Bytes start..end (inclusive) of a stream, reading no further than needed."""
    offset = 0
    async for chunk in chunks:
        lo, hi = max(start - offset, 0), min(end + 1 - offset, len(chunk))
        if lo < hi:
            yield chunk[lo:hi]
        offset += len(chunk)
        if offset > end:
            return
