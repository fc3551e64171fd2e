"""Following another labeler (PLYR_LABELERS): its DID document gives the endpoint and key;
labels that verify are kept (origin "external") and applied, a forged one is dropped; the
subscriber reconnects after the stream drops and resumes from its saved cursor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from plyr.atproto.identity import IdentityResolver
from plyr.core.runtime import Runtime
from plyr.models import Label
from plyr.moderation.labeler import service, subscriber
from tests.helpers import poll
from tests.moderation.tiny_labeler import TinyLabeler

TRACK = "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/fm.plyr.track/3kabc"


@pytest.fixture
async def upstream() -> AsyncIterator[TinyLabeler]:
    async with TinyLabeler() as labeler:
        yield labeler


@pytest.fixture
def runtime(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The app's runtime, resolving did:web over http (the tiny labeler has no TLS)."""
    found: Runtime = app.state.runtime
    resolver = IdentityResolver(
        plc_url=found.settings.plc_url, http=found.http, allow_http_did_web=True
    )
    monkeypatch.setattr(found, "identity", resolver)
    return found


async def kept(runtime: Runtime) -> list[tuple[str, str, bool]]:
    async with runtime.sessionmaker() as db:
        rows = (await db.execute(select(Label).order_by(Label.seq))).scalars().all()
    assert all(row.origin == "external" and row.sig for row in rows)
    return [(row.uri, row.val, row.neg) for row in rows]


async def test_verified_labels_are_kept_and_applied_and_the_cursor_resumes(
    runtime: Runtime, upstream: TinyLabeler, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied: list[dict[str, Any]] = []

    async def apply_label(db: Any, **label: Any) -> None:
        applied.append(label)

    monkeypatch.setattr(service, "apply_effect", apply_label)
    await upstream.publish(TRACK, "!takedown")
    await upstream.publish(TRACK, "sexual", forged=True)
    stop = asyncio.Event()
    following = asyncio.create_task(subscriber.follow(runtime, upstream.did, stop))
    try:
        await poll(lambda: len(upstream.cursors) == 1, what="a connection")
        await upstream.publish(TRACK, "porn")
        await poll(lambda: len(applied) == 2, what="two labels applied")
        await upstream.drop_connections()
        await poll(lambda: len(upstream.cursors) == 2, timeout=20, what="a reconnect")
        await upstream.publish(TRACK, "!takedown", neg=True)
        await poll(lambda: len(applied) == 3, what="the negation applied")
    finally:
        stop.set()
        await following
    assert upstream.cursors == [0, 3]
    assert await kept(runtime) == [
        (TRACK, "!takedown", False),
        (TRACK, "porn", False),
        (TRACK, "!takedown", True),
    ]
    assert {x["src"] for x in applied} == {upstream.did}
    assert [x["neg"] for x in applied] == [False, False, True]


async def test_a_labeler_without_a_label_key_is_refused(
    runtime: Runtime, upstream: TinyLabeler
) -> None:
    found = await subscriber.resolve(runtime, upstream.did)
    assert found.stream_url == f"ws://{upstream.url.split('://')[1]}/xrpc/" + (
        "com.atproto.label.subscribeLabels"
    )
    upstream.publish_key = False
    runtime.identity.invalidate(upstream.did)
    with pytest.raises(subscriber.UnusableLabeler, match="#atproto_label"):
        await subscriber.resolve(runtime, upstream.did)
    with pytest.raises(subscriber.UnusableLabeler):  # nothing listens there
        await subscriber.resolve(runtime, "did:web:localhost%3A1")
