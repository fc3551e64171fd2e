"""A record may say anything about its blob: plyr serves relayed audio with the type of its
format (`fileType`), nosniff and a sandbox policy, and skips a record whose blob `mimeType`
is not one bare type (`audio/mpeg, text/html` would make browsers render the bytes as a
page on plyr's origin)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient

from plyr.atproto.records import tid_for
from tests.atnet.helpers import put_record, put_track, xrpc
from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.helpers import poll

PAGE = b"<!doctype html><title>not audio</title><script>alert(document.domain)</script>"


async def test_relayed_blobs_are_audio_whatever_the_record_says(
    api: AsyncClient, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("mal"))
    plain, hostile = (
        xrpc(
            atproto_net,
            account,
            "com.atproto.repo.uploadBlob",
            content=content,
            content_type="audio/mpeg",
        )["blob"]
        for content in (PAGE, PAGE + b"<!-- another blob -->")
    )
    put_track(atproto_net, account, "Plain", audioBlob={**plain, "mimeType": "audio/mpeg"})
    # the PDS checks a new blob's mimeType against what it stored, but not once the blob
    # belongs to a record: an update of that record may then say anything
    rkey = tid_for(datetime.now(UTC))
    record = {
        "$type": "fm.plyr.track",
        "title": "Hostile",
        "artist": "Elsewhere",
        "fileType": "mp3",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "audioBlob": hostile,
    }
    for mime in ("audio/mpeg", "audio/mpeg, text/html"):
        record["audioBlob"] = {**hostile, "mimeType": mime}
        put_record(atproto_net, account, "fm.plyr.track", rkey, record)
    signed_in = await api.post(
        "/auth/app-password", json={"identifier": account.handle, "password": account.password}
    )
    assert signed_in.status_code == 200

    async def imported() -> list[dict[str, Any]]:
        page = (await api.get("/tracks/", params={"artist_did": account.did})).json()
        tracks: list[dict[str, Any]] = page["tracks"]
        return tracks

    tracks = await poll(imported)  # the sync indexes a repo in one transaction
    assert [t["title"] for t in tracks] == ["Plain"]
    relayed = await api.get(tracks[0]["audio_url"])
    assert relayed.status_code == 200 and relayed.content == PAGE
    assert relayed.headers["content-type"] == "audio/mpeg"
    assert relayed.headers["x-content-type-options"] == "nosniff"
    assert relayed.headers["content-security-policy"].endswith("sandbox")
