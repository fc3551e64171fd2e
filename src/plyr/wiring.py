"""The composition root: the domain parts every process plugs into its `Runtime` (the task
registry, what a worker does when it starts, the identity resolver). They come in from here
so that `plyr.core` imports no domain package."""

from __future__ import annotations

import httpx

from plyr.atproto.identity import IdentityResolver
from plyr.core.config import Settings
from plyr.core.runtime import Runtime, Wiring
from plyr.discovery.models.clap import check_clap_dir
from plyr.effects import HANDLERS
from plyr.tasks import on_worker_start, register_tasks


def _identity(settings: Settings, http: httpx.AsyncClient) -> IdentityResolver:
    return IdentityResolver(
        plc_url=settings.plc_url, http=http, handle_fallback_urls=settings.handle_resolver_urls
    )


WIRING = Wiring(
    identity=_identity,
    register_tasks=register_tasks,
    on_worker_start=on_worker_start,
    effects=HANDLERS,
)


async def start_runtime(settings: Settings, *, with_worker: bool | None = None) -> Runtime:
    """`Runtime.start` with plyr's domains plugged in (what `plyr serve`, `worker` and
    `ingest` run)."""
    check_clap_dir(settings)  # an incomplete CLAP folder stops the start, not a request
    return await Runtime.start(settings, wiring=WIRING, with_worker=with_worker)
