"""The labeler as another AT Protocol service sees it: its did:web document names the key its
labels verify with (checked with the `atproto` SDK); queryLabels finds them by URI and prefix;
subscribeLabels sends DAG-CBOR frames the SDK's frame parser reads, replays from 0, and
delivers a negation live."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import AsyncIterator
from typing import Any

import pytest
from atproto import parse_subscribe_labels_message
from atproto_client.models.utils import get_model_as_dict
from atproto_subscription.frames import Frame
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from plyr.core.config import Settings
from plyr.core.runtime import Runtime
from plyr.models import Label
from plyr.moderation.labeler import identity, service, stream
from tests.app import running_app
from tests.helpers import poll
from tests.jams.sockets import served
from tests.moderation.labels import label_key, verifies

TRACK = "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/fm.plyr.track/3kabc"
OTHER = "at://did:plc:bbbbbbbbbbbbbbbbbbbbbbbb/fm.plyr.track/3kdef"


@pytest.fixture
async def labeler_app(settings: Settings) -> AsyncIterator[FastAPI]:
    identity.setup(settings)
    async with running_app(settings) as application:
        yield application


async def issue(app: FastAPI, uri: str, val: str, *, neg: bool = False) -> Label:
    runtime: Runtime = app.state.runtime
    async with runtime.writer() as db:
        label = await service.issue(db, runtime, uri=uri, val=val, neg=neg)
        await db.commit()
    return label


async def document_key(client: AsyncClient) -> str:
    response = await client.get("/.well-known/did.json")
    assert response.status_code == 200, response.text
    return label_key(response.json())


def test_setup_keeps_the_key_private_and_stable(settings: Settings) -> None:
    first = identity.setup(settings)
    again = identity.setup(settings)
    assert first.did == "did:web:plyr.test" and again.did_key == first.did_key
    mode = stat.S_IMODE(os.stat(settings.data_dir / identity.KEY_FILE).st_mode)
    assert mode == 0o600


async def test_query_labels_verify_against_the_did_document(labeler_app: FastAPI) -> None:
    await issue(labeler_app, TRACK, "!takedown")
    await issue(labeler_app, OTHER, "sexual")
    await issue(labeler_app, TRACK, "!takedown", neg=True)
    transport = ASGITransport(app=labeler_app)
    async with AsyncClient(transport=transport, base_url="http://plyr.test") as client:
        key = await document_key(client)
        exact = await client.get(
            "/xrpc/com.atproto.label.queryLabels", params={"uriPatterns": TRACK}
        )
        prefix = await client.get(
            "/xrpc/com.atproto.label.queryLabels",
            params={"uriPatterns": "at://did:plc:bbb*", "sources": "did:web:plyr.test"},
        )
        paged = await client.get(
            "/xrpc/com.atproto.label.queryLabels", params={"uriPatterns": "*", "limit": 2}
        )
        bad = await client.get(
            "/xrpc/com.atproto.label.queryLabels", params={"uriPatterns": "*", "limit": 251}
        )
    labels = exact.json()["labels"]
    assert [(x["val"], x.get("neg", False)) for x in labels] == [
        ("!takedown", False),
        ("!takedown", True),
    ]
    assert [x["uri"] for x in prefix.json()["labels"]] == [OTHER]
    for label in labels + prefix.json()["labels"]:
        assert label["ver"] == 1 and label["src"] == "did:web:plyr.test"
        raw = {**label, "sig": base64.b64decode(label["sig"]["$bytes"] + "==")}
        assert verifies(key, raw)
        assert not verifies(key, {**raw, "val": "porn"})
    assert len(paged.json()["labels"]) == 2 and paged.json()["cursor"]
    assert bad.status_code in (400, 422)


async def frames(conn: Any, count: int) -> list[Any]:
    """The next `count` frames, parsed by the SDK."""
    return [Frame.from_bytes(await conn.recv()) for _ in range(count)]


def labels_of(frame: Any) -> tuple[int, list[dict[str, Any]]]:
    message = parse_subscribe_labels_message(frame)
    return message.seq, [get_model_as_dict(label) for label in message.labels]


async def test_subscribe_labels_replays_from_zero_then_sends_a_negation_live(
    labeler_app: FastAPI,
) -> None:
    first = await issue(labeler_app, TRACK, "!takedown")
    await issue(labeler_app, OTHER, "porn")
    async with served(labeler_app) as base:
        http = base.replace("ws://", "http://")
        async with AsyncClient(base_url=http) as client:
            key = label_key((await client.get("/.well-known/did.json")).json())
        url = f"{base}/xrpc/com.atproto.label.subscribeLabels"
        async with connect(f"{url}?cursor=0") as conn:
            replayed = [labels_of(f) for f in await frames(conn, 2)]
            negation = await issue(labeler_app, TRACK, "!takedown", neg=True)
            live = labels_of((await frames(conn, 1))[0])
        async with connect(f"{url}?cursor={first.seq}") as conn:
            resumed = [labels_of(f) for f in await frames(conn, 2)]
        async with connect(f"{url}?cursor={negation.seq + 10}") as conn:
            (future,) = await frames(conn, 1)
    assert [seq for seq, _ in replayed] == sorted(seq for seq, _ in replayed)
    assert [labels[0]["val"] for _, labels in replayed] == ["!takedown", "porn"]
    assert live[0] == negation.seq and live[1][0]["neg"] is True
    for _, labels in [*replayed, live]:
        assert verifies(key, labels[0])
    assert [labels[0]["val"] for _, labels in resumed] == ["porn", "!takedown"]
    assert future.is_error and future.body.error == "FutureCursor"


async def test_no_did_document_before_setup(client: AsyncClient) -> None:
    assert (await client.get("/.well-known/did.json")).status_code == 404


async def test_subscribers_past_the_limit_are_told_to_come_back(
    labeler_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "MAX_SOCKETS", 1)
    await issue(labeler_app, TRACK, "nudity")
    async with served(labeler_app) as base:
        url = f"{base}/xrpc/com.atproto.label.subscribeLabels?cursor=0"
        async with connect(url) as first:
            await frames(first, 1)
            async with connect(url) as second:
                with pytest.raises(ConnectionClosed) as closed:
                    await second.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        state = labeler_app.state.runtime.process_state
        await poll(lambda: state[stream.OPEN_KEY] == 0, what="the sockets to close")
        async with connect(url) as again:  # the first has gone: room again
            assert len(await frames(again, 1)) == 1
