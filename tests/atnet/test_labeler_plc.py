"""The labeler on a did:plc of the local network's PLC: the document the PLC serves names the
key its labels verify with (checked with the `atproto` SDK) and the labeler service, which
plyr's own subscriber resolves."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from plyr.core.config import Settings
from plyr.core.runtime import Runtime
from plyr.moderation.labeler import plc, service, subscriber, wire
from tests.app import PUBLIC_URL, running_app
from tests.atnet.network import AtprotoNet
from tests.moderation.labels import label_key, verifies

TRACK = "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/fm.plyr.track/3kabc"


async def test_a_did_plc_labeler_signs_what_its_plc_document_verifies(
    settings: Settings, atproto_net: AtprotoNet
) -> None:
    settings.plc_url = atproto_net.plc_url
    labeler = plc.setup(settings)
    assert labeler.did.startswith("did:plc:") and plc.setup(settings).did == labeler.did
    document = httpx.get(f"{atproto_net.plc_url}/{labeler.did}", timeout=10).json()
    app: FastAPI
    async with running_app(settings) as app:
        runtime: Runtime = app.state.runtime
        async with runtime.writer() as db:
            label = await service.issue(db, runtime, uri=TRACK, val="graphic-media")
            await db.commit()
        upstream = await subscriber.resolve(runtime, labeler.did)
    assert label.src == labeler.did
    assert verifies(label_key(document), wire.cbor_form(label))
    assert upstream.did_key == label_key(document)
    assert upstream.stream_url == (
        PUBLIC_URL.replace("http://", "ws://") + "/xrpc/com.atproto.label.subscribeLabels"
    )
