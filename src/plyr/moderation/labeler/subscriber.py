"""`plyr labeler follow`: subscribe to each labeler in `PLYR_LABELERS` and keep its labels
(origin "external"), each verified against the `#atproto_label` key in the labeler's DID
document before it is stored and applied. Reconnects with backoff and resumes from the
cursor saved with the labels it stored."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from atproto import models, parse_subscribe_labels_message
from atproto_crypto.did import get_did_key
from atproto_subscription.frames import Frame, MessageFrame
from websockets.asyncio.client import connect

from plyr.atproto.identity import IdentityError, validate_did
from plyr.core.net import is_public_address
from plyr.core.runtime import Runtime
from plyr.moderation.labeler import external

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 1024 * 1024
Labels = models.ComAtprotoLabelSubscribeLabels.Labels
Info = models.ComAtprotoLabelSubscribeLabels.Info


class UnusableLabeler(Exception):
    pass


@dataclass(frozen=True)
class Upstream:
    did: str
    stream_url: str  # ws(s)://…/xrpc/com.atproto.label.subscribeLabels
    did_key: str  # the #atproto_label key, as a did:key


async def resolve(runtime: Runtime, did: str) -> Upstream:
    """The labeler's endpoint and key, from its DID document (through the guarded client)."""
    try:
        document = await runtime.identity.resolve_did(validate_did(did))
    except IdentityError as e:
        raise UnusableLabeler(str(e)) from e
    endpoint = _labeler_endpoint(document, did)
    did_key = _label_key(document, did)
    if endpoint is None or did_key is None:
        raise UnusableLabeler(f"{did} names no #atproto_labeler service or #atproto_label key")
    scheme, _, rest = endpoint.rstrip("/").partition("://")
    ws = {"https": "wss", "http": "ws"}.get(scheme)
    if ws is None:
        raise UnusableLabeler(f"{did}: the labeler endpoint is not http(s)")
    return Upstream(did, f"{ws}://{rest}/xrpc/com.atproto.label.subscribeLabels", did_key)


def _labeler_endpoint(document: dict[str, Any], did: str) -> str | None:
    for service in document.get("service") or []:
        if isinstance(service, dict) and service.get("id") in (
            "#atproto_labeler",
            f"{did}#atproto_labeler",
        ):
            endpoint = service.get("serviceEndpoint")
            return endpoint if isinstance(endpoint, str) else None
    return None


def _label_key(document: dict[str, Any], did: str) -> str | None:
    for method in document.get("verificationMethod") or []:
        if isinstance(method, dict) and method.get("id") in (
            "#atproto_label",
            f"{did}#atproto_label",
        ):
            key = method.get("publicKeyMultibase")
            if isinstance(key, str):
                return get_did_key(str(method.get("type", "Multikey")), key)
    return None


class Subscription:
    """One labeler's stream: frames in, verified labels stored, cursor advanced."""

    def __init__(self, runtime: Runtime, did: str) -> None:
        self.runtime, self.did = runtime, did

    async def run_once(self) -> None:
        """Connect, resolve first; read until the stream closes (raises on failure)."""
        upstream = await resolve(self.runtime, self.did)
        # the first time, from 0: the labels it issued before count as much as new ones
        cursor = await external.saved_cursor(self.runtime, self.did) or 0
        url = f"{upstream.stream_url}?cursor={cursor}"
        await self._refuse_private(url)
        async with connect(url, max_size=MAX_FRAME_BYTES, open_timeout=10) as conn:
            async for raw in conn:
                if isinstance(raw, str):
                    raise UnusableLabeler(f"{self.did} sent a text frame")
                await self.handle(upstream, Frame.from_bytes(raw))

    async def _refuse_private(self, url: str) -> None:
        """The guarded client's rule for a socket it cannot carry: no loopback or private
        addresses unless the operator allows them (the devnet, tests)."""
        if self.runtime.settings.allow_private_network:
            return
        parts = urlsplit(url)
        found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443)
        if not found or not all(is_public_address(str(info[4][0])) for info in found):
            raise UnusableLabeler(f"{self.did}: the labeler endpoint is not a public address")

    async def handle(self, upstream: Upstream, frame: Any) -> None:
        if not isinstance(frame, MessageFrame):
            raise UnusableLabeler(f"{self.did}: {frame.body.error} {frame.body.message or ''}")
        message = parse_subscribe_labels_message(frame)
        if isinstance(message, Info):
            log.info("labeler %s: %s %s", self.did, message.name, message.message or "")
            return
        if isinstance(message, Labels):
            raw_labels = [x for x in frame.body.get("labels") or [] if isinstance(x, dict)]
            await external.keep(
                self.runtime, upstream.did, upstream.did_key, message.seq, raw_labels
            )


async def follow(
    runtime: Runtime, did: str, stop: asyncio.Event, *, max_backoff_s: float = 60.0
) -> None:
    """Follow labeler `did` until `stop` is set."""
    subscription = Subscription(runtime, did)
    backoff = 1.0
    while not stop.is_set():
        task = asyncio.create_task(subscription.run_once())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        task.cancel()
        try:
            await task
            backoff = 1.0  # closed by the other side after a while: come back soon
        except asyncio.CancelledError:
            return
        except Exception as e:
            log.warning("labeler %s: %s; again in %.0f s", did, e, backoff)
            runtime.identity.invalidate(did)  # a moved endpoint or a rotated key
            backoff = min(max_backoff_s, backoff * 2)
        if not stop.is_set():
            await asyncio.sleep(backoff)


async def follow_all(runtime: Runtime, stop: asyncio.Event) -> None:
    dids = runtime.settings.labeler_dids
    if not dids:
        log.warning("PLYR_LABELERS is empty: no labeler to follow")
        return
    await asyncio.gather(*(follow(runtime, did, stop) for did in dids))
