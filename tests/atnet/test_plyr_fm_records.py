"""Records written the way plyr.fm writes them (with the `atproto` SDK, audio uploaded to
the PDS as a blob) reach plyr through the firehose and the sign-in sync."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atproto import AsyncClient as AtprotoClient
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.atproto.lexicon import SELF_LABELS
from plyr.atproto.records import rfc3339, tid_for
from plyr.core.config import Settings
from plyr.ingest.sync import sync_repo
from plyr.tracks import repository, service
from tests.atnet.helpers import put_record, put_track, xrpc
from tests.atnet.network import Account, AtprotoNet, create_account, get_record, unique_handle
from tests.audio.media import make_audio, make_image
from tests.helpers import poll
from tests.upstream import respond, running_upstream


async def sdk_client(net: AtprotoNet, account: Account) -> AtprotoClient:
    client = AtprotoClient(base_url=net.pds_xrpc)
    await client.login(account.handle, account.password, fetch_bsky_profile=False)
    return client


async def sdk_track(client: AtprotoClient, did: str, title: str, audio: bytes) -> str:
    """What plyr.fm does for an upload: the audio as a blob, then the record naming it."""
    blob = (await client.upload_blob(audio)).blob
    record = {
        "$type": "fm.plyr.track",
        "title": title,
        "artist": "plyr.fm artist",
        "fileType": "mp3",
        "audioBlob": blob.model_dump(by_alias=True, mode="json"),
        "duration": 2,
        "createdAt": client.get_current_time_iso(),
    }
    created = await client.com.atproto.repo.create_record(
        {"repo": did, "collection": "fm.plyr.track", "record": record}
    )
    return str(created.uri)


async def test_a_track_with_its_audio_on_the_pds_comes_through_the_firehose(
    pds_app: FastAPI,
    api: AsyncClient,
    atproto_net: AtprotoNet,
    following: None,
    tmp_path: Path,
) -> None:
    account = create_account(atproto_net, unique_handle("fmblob"))
    audio = make_audio(tmp_path / "blob.mp3", "mp3", seconds=2).read_bytes()
    client = await sdk_client(atproto_net, account)
    uri = await sdk_track(client, account.did, "Blob on the firehose", audio)

    async def indexed() -> list[dict[str, Any]]:
        page = (await api.get("/tracks/", params={"artist_did": account.did})).json()
        tracks: list[dict[str, Any]] = page["tracks"]
        return tracks

    [track] = await poll(indexed)
    assert track["title"] == "Blob on the firehose"
    assert track["atproto_record_uri"] == uri
    ranged = await api.get(track["audio_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == audio[:100]


async def test_two_records_naming_the_same_audio_do_not_break_the_sync(
    pds_app: FastAPI, api: AsyncClient, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("twice"))
    put_track(atproto_net, account, "First", audioUrl="https://music.example/same.mp3")
    put_track(atproto_net, account, "Again", audioUrl="https://music.example/same.mp3")
    put_track(atproto_net, account, "Other", audioUrl="https://music.example/other.mp3")

    counts = await sync_repo(pds_app.state.runtime, account.did)

    assert counts["track"] == 2
    page = (await api.get("/tracks/", params={"artist_did": account.did})).json()
    titles = {t["title"] for t in page["tracks"]}
    assert "Other" in titles and len(titles & {"First", "Again"}) == 1


async def test_an_album_plyr_fm_reordered_with_its_items_only_is_reordered(
    pds_app: FastAPI, api: AsyncClient, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("reorder"))
    refs = [
        put_record(
            atproto_net,
            account,
            "fm.plyr.track",
            tid_for(datetime.now(UTC)),
            {
                "$type": "fm.plyr.track",
                "title": title,
                "artist": "a",
                "fileType": "mp3",
                "album": "Two Sides",
                "audioUrl": f"https://music.example/{title}.mp3",
                "createdAt": "2026-01-01T00:00:00Z",
            },
        )
        for title in ("A", "B")
    ]
    rkey = tid_for(datetime.now(UTC))
    album = {"$type": "fm.plyr.list", "createdAt": "2026-01-01T00:00:00Z"}
    named = {"name": "Two Sides", "listType": "album"}
    put_record(
        atproto_net,
        account,
        "fm.plyr.list",
        rkey,
        {**album, **named, "items": [{"subject": ref} for ref in refs]},
    )
    await sync_repo(pds_app.state.runtime, account.did)
    put_record(
        atproto_net,
        account,
        "fm.plyr.list",
        rkey,
        {  # plyr.fm's reorder: items only
            **album,
            "updatedAt": rfc3339(datetime.now(UTC)),
            "items": [{"subject": r} for r in refs[::-1]],
        },
    )

    counts = await sync_repo(pds_app.state.runtime, account.did)

    assert counts["list"] == 1
    detail = (await api.get(f"/albums/{account.handle}/two-sides")).json()
    assert detail["title"] == "Two Sides"
    assert [t["title"] for t in detail["tracks"]] == ["B", "A"]


async def test_gate_labels_artwork_and_comments_are_kept(
    pds_app: FastAPI, api: AsyncClient, atproto_net: AtprotoNet, settings: Settings
) -> None:
    settings.max_image_mb = 1
    artist = create_account(atproto_net, unique_handle("gated"))
    listener = create_account(atproto_net, unique_handle("fan"))
    async with running_upstream() as images:
        images.routes["/cover.jpg"] = respond(200, make_image("jpeg", (320, 320)))
        images.routes["/huge.jpg"] = respond(200, b"\xff" * (settings.max_image_bytes + 1))
        gated = put_record(
            atproto_net,
            artist,
            "fm.plyr.track",
            tid_for(datetime.now(UTC)),
            {
                "$type": "fm.plyr.track",
                "title": "For Supporters",
                "artist": "a",
                "fileType": "mp3",
                "audioUrl": "https://plyr.fm.example/audio/gated",
                "imageUrl": f"{images.url}/cover.jpg",
                "supportGate": {"type": "any"},
                "labels": {"$type": SELF_LABELS, "values": [{"val": "sexual"}]},
                "createdAt": "2026-01-01T00:00:00Z",
            },
        )
        put_track(
            atproto_net,
            artist,
            "Too Big A Cover",
            audioUrl="https://plyr.fm.example/audio/big",
            imageUrl=f"{images.url}/huge.jpg",
        )
        comment = {
            "$type": "fm.plyr.comment",
            "subject": gated,
            "text": "lovely",
            "timestampMs": 1500,
            "createdAt": "2026-01-02T00:00:00Z",
        }
        rkey = tid_for(datetime.now(UTC))
        put_record(atproto_net, listener, "fm.plyr.comment", rkey, comment)

        runtime = pds_app.state.runtime
        assert (await sync_repo(runtime, artist.did))["track"] == 2
        assert (await sync_repo(runtime, listener.did))["comment"] == 1

    tracks = {t["title"]: t for t in (await mine(pds_app, artist))}
    track = tracks["For Supporters"]
    assert track["support_gate"] == "any" and track["visibility"] == "supporters"
    assert track["self_labels"] == ["sexual"]
    assert track["image_url"] and track["thumbnail_url"]
    cover = await api.get(track["thumbnail_url"])
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/webp"
    assert tracks["Too Big A Cover"]["image_url"] is None  # over the cap: no artwork
    assert (await api.get(track["audio_url"])).status_code == 404  # for supporters
    listed = (await api.get("/tracks/", params={"artist_did": artist.did})).json()["tracks"]
    assert [t["title"] for t in listed] == ["Too Big A Cover"]
    comments = (await api.get(f"/tracks/{track['id']}/comments")).json()
    assert [(c["text"], c["timestamp_ms"]) for c in comments] == [("lovely", 1500)]


async def test_comments_come_and_go_with_the_firehose(
    pds_app: FastAPI,
    api: AsyncClient,
    atproto_net: AtprotoNet,
    following: None,
) -> None:
    artist = create_account(atproto_net, unique_handle("heard"))
    listener = create_account(atproto_net, unique_handle("talker"))
    rkey = put_track(atproto_net, artist, "Talked About", audioUrl="https://x.example/t.mp3")
    subject = get_record(atproto_net, artist.did, "fm.plyr.track", rkey)
    assert subject is not None
    [track] = await poll(lambda: mine(pds_app, artist))
    comment_key = tid_for(datetime.now(UTC))
    put_record(
        atproto_net,
        listener,
        "fm.plyr.comment",
        comment_key,
        {
            "$type": "fm.plyr.comment",
            "subject": {"uri": subject["uri"], "cid": subject["cid"]},
            "text": "from elsewhere",
            "timestampMs": 0,
            "createdAt": "2026-01-02T00:00:00Z",
        },
    )

    async def comments() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await api.get(f"/tracks/{track['id']}/comments")).json()
        return found

    [seen] = await poll(comments)
    assert seen["text"] == "from elsewhere" and seen["author"]["did"] == listener.did
    xrpc(
        atproto_net,
        listener,
        "com.atproto.repo.deleteRecord",
        json={"repo": listener.did, "collection": "fm.plyr.comment", "rkey": comment_key},
    )

    async def gone() -> bool:
        return not await comments()

    await poll(gone)


async def mine(app: FastAPI, account: Account) -> list[dict[str, Any]]:
    """Every track of the account as the API shows it, whatever its visibility."""
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        rows = await repository.by_artist(db, account.did)
        return [service.to_out(runtime, t).model_dump(mode="json") for t in rows]


async def test_gate_labels_and_artwork_come_through_the_firehose(
    pds_app: FastAPI,
    atproto_net: AtprotoNet,
    following: None,
) -> None:
    """The firehose fetches the artwork before its transaction (the tests' strict check
    fails any request made inside one)."""
    artist = create_account(atproto_net, unique_handle("streamed"))
    async with running_upstream() as images:
        images.routes["/cover.png"] = respond(200, make_image("png", (200, 200)))
        put_track(
            atproto_net,
            artist,
            "Streamed",
            audioUrl="https://plyr.fm.example/audio/streamed",
            imageUrl=f"{images.url}/cover.png",
            supportGate={"type": "any"},
            labels={"$type": SELF_LABELS, "values": [{"val": "porn"}]},
        )
        [track] = await poll(lambda: mine(pds_app, artist))
        assert len(images.requests) == 1
    assert track["support_gate"] == "any" and track["self_labels"] == ["porn"]
    assert track["image_url"] is not None
