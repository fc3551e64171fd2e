"""The local AT Protocol network is real: PLC identities, handle resolution, custom records,
blobs and the repo firehose, through the same SDK plyr uses."""

from __future__ import annotations

import asyncio
import io
import math
import secrets
import struct
import time
import wave
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from atproto import (
    CAR,
    AsyncFirehoseSubscribeReposClient,
    Client,
    IdResolver,
    models,
    parse_subscribe_repos_message,
)
from atproto_client.models.dot_dict import DotDict

from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle

TRACK = "fm.plyr.track"
S32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid(at: datetime) -> str:
    """A record key TID: microseconds since the epoch (53 bits) + a random 10-bit clock id."""
    value = (int(at.timestamp() * 1_000_000) << 10) | secrets.randbelow(1024)
    return "".join(S32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def wav_bytes(seconds: float = 0.25, rate: int = 8000) -> bytes:
    """A small valid WAV (a 440 Hz tone, 16-bit mono)."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(seconds * rate))
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


def track_record(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "$type": TRACK,
        "title": title,
        "artist": "Alice",
        "fileType": "wav",
        "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "audioUrl": "http://plyr.test/audio/abc123",
        **extra,
    }


def put_track(client: Client, account: Account, record: dict[str, Any]) -> str:
    """putRecord with a TID rkey; returns the rkey."""
    rkey = tid(datetime.fromisoformat(record["createdAt"]))
    client.com.atproto.repo.put_record(
        models.ComAtprotoRepoPutRecord.Data(
            repo=account.did, collection=TRACK, rkey=rkey, record=record
        )
    )
    return rkey


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def alice_client(atproto_net: AtprotoNet, pds_alice: Account) -> Client:
    client = Client(base_url=atproto_net.pds_xrpc)
    # the default login also fetches an app.bsky profile from the (absent) AppView: 502
    client.login(pds_alice.handle, pds_alice.password, fetch_bsky_profile=False)
    return client


def test_account_is_a_plc_identity(atproto_net: AtprotoNet, http: httpx.Client) -> None:
    account = create_account(atproto_net, unique_handle("bob"))
    assert account.did.startswith("did:plc:")
    doc = http.get(f"{atproto_net.plc_url}/{account.did}").raise_for_status().json()
    assert doc["id"] == account.did
    assert doc["alsoKnownAs"] == [f"at://{account.handle}"]
    [pds] = [s for s in doc["service"] if s["id"] == "#atproto_pds"]
    assert pds["serviceEndpoint"] == atproto_net.pds_url

    # the SDK's resolver, pointed at the local PLC
    resolved = IdResolver(plc_url=atproto_net.plc_url, timeout=5).did.resolve(account.did)
    assert resolved is not None
    assert resolved.get_pds_endpoint() == atproto_net.pds_url
    assert resolved.get_handle() == account.handle

    res = http.get(
        f"{atproto_net.pds_xrpc}/com.atproto.identity.resolveHandle",
        params={"handle": account.handle},
    )
    assert res.raise_for_status().json() == {"did": account.did}


def test_track_record_round_trip(alice_client: Client, pds_alice: Account) -> None:
    record = track_record("First light", duration=1)
    rkey = put_track(alice_client, pds_alice, record)
    uri = f"at://{pds_alice.did}/{TRACK}/{rkey}"

    got = alice_client.com.atproto.repo.get_record(
        {"repo": pds_alice.did, "collection": TRACK, "rkey": rkey}
    )
    assert got.uri == uri
    # unknown lexicons come back as the SDK's DotDict; the PDS did not validate the record
    assert isinstance(got.value, DotDict)
    assert got.value.to_dict() == record

    listed = alice_client.com.atproto.repo.list_records(
        {"repo": pds_alice.did, "collection": TRACK}
    )
    assert uri in [r.uri for r in listed.records]


def test_blob_upload_and_reference(
    atproto_net: AtprotoNet, alice_client: Client, pds_alice: Account, http: httpx.Client
) -> None:
    audio = wav_bytes()
    blob = alice_client.upload_blob(audio).blob
    assert blob.size == len(audio)
    assert blob.mime_type.startswith("audio/")  # the PDS sniffs: audio/vnd.wave
    cid = str(blob.cid)
    ref = blob.model_dump(mode="json", by_alias=True)  # how a record references the blob
    assert ref == {
        "$type": "blob",
        "ref": {"$link": cid},
        "mimeType": blob.mime_type,
        "size": blob.size,
    }

    rkey = put_track(alice_client, pds_alice, track_record("With a blob", audioBlob=ref))
    got = http.get(
        f"{atproto_net.pds_xrpc}/com.atproto.repo.getRecord",
        params={"repo": pds_alice.did, "collection": TRACK, "rkey": rkey},
    )
    assert got.raise_for_status().json()["value"]["audioBlob"] == ref

    res = http.get(
        f"{atproto_net.pds_xrpc}/com.atproto.sync.getBlob",
        params={"did": pds_alice.did, "cid": cid},
    )
    assert res.raise_for_status().content == audio


async def test_firehose_replays_and_streams_commits(
    atproto_net: AtprotoNet, alice_client: Client, pds_alice: Account
) -> None:
    replayed = put_track(alice_client, pds_alice, track_record("Replayed"))
    want = {f"{TRACK}/{replayed}": asyncio.Event()}
    seen_records: dict[str, dict[str, Any]] = {}
    firehose = AsyncFirehoseSubscribeReposClient(
        params={"cursor": 0}, base_uri=atproto_net.pds_ws, recv_timeout=5
    )

    async def on_message(message: Any) -> None:
        commit = parse_subscribe_repos_message(message)
        if not isinstance(commit, models.ComAtprotoSyncSubscribeRepos.Commit):
            return
        if commit.repo != pds_alice.did:
            return
        blocks = CAR.from_bytes(commit.blocks).blocks if commit.blocks else {}
        for op in commit.ops:
            if op.path in want:
                if op.cid is not None:
                    seen_records[op.path] = blocks.get(op.cid)
                want[op.path].set()

    task = asyncio.create_task(firehose.start(on_message))
    try:
        async with asyncio.timeout(10):
            await want[f"{TRACK}/{replayed}"].wait()
            # a write made while subscribed arrives live
            live_record = track_record("Live")
            live_rkey = tid(datetime.fromisoformat(live_record["createdAt"]))
            want[f"{TRACK}/{live_rkey}"] = asyncio.Event()
            started = time.monotonic()
            await asyncio.to_thread(
                alice_client.com.atproto.repo.put_record,
                models.ComAtprotoRepoPutRecord.Data(
                    repo=pds_alice.did, collection=TRACK, rkey=live_rkey, record=live_record
                ),
            )
            await want[f"{TRACK}/{live_rkey}"].wait()
            assert time.monotonic() - started < 5
    finally:
        await firehose.stop()
        await asyncio.wait_for(task, 5)
    assert seen_records[f"{TRACK}/{replayed}"]["title"] == "Replayed"
    assert seen_records[f"{TRACK}/{live_rkey}"]["title"] == "Live"
