"""Albums and public playlists are fm.plyr.list records in their owner's repo on the real
PDS: an album's record is written once its tracks are set, in order; a playlist's follows
every change; a private playlist has none; deleting removes it; a PDS that is down leaves a
pending write that goes through later; and the firehose's echo of these records changes
nothing here."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select

from plyr.core import outbox
from plyr.ingest.firehose import ingest
from plyr.models import PendingWrite, Playlist
from tests.atnet.helpers import (
    OtherClient,
    item_uris,
    playlists_of,
    relayed_session,
    sign_in_app_password,
    upload_tones,
)
from tests.atnet.network import AtprotoNet, create_account, list_records, record_at, unique_handle
from tests.helpers import poll

LIST = "fm.plyr.list"


async def test_album_record_is_written_once_its_tracks_are_set(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    erin = await sign_in_app_password(api, create_account(atproto_net, unique_handle("erin")))
    album = (await api.post("/albums/", json={"title": "Tides"}, headers=erin.auth)).json()
    songs = await upload_tones(api, erin, tmp_path, "Ebb", "Flow", "Slack", album_id=album["id"])
    assert list_records(atproto_net, erin.did, LIST) == []  # uploads alone write no album record
    order = [songs[2], songs[0], songs[1]]
    put = await api.put(
        f"/albums/{album['id']}/tracks",
        json={"track_ids": [t["id"] for t in order]},
        headers=erin.auth,
    )
    assert put.status_code == 200, put.text
    uri = put.json()["atproto_record_uri"]
    (record,) = list_records(atproto_net, erin.did, LIST)  # one record
    assert record["uri"] == uri
    value = record["value"]
    assert (value["name"], value["listType"]) == ("Tides", "album")
    assert item_uris(record) == [t["atproto_record_uri"] for t in order]
    assert [i["subject"]["cid"] for i in value["items"]] == [t["atproto_record_cid"] for t in order]
    assert value["createdAt"].endswith("Z") and value["updatedAt"].endswith("Z")

    # a new title renames the record (and the tracks' own records)
    await api.patch(f"/albums/{album['id']}", json={"title": "High Tides"}, headers=erin.auth)
    renamed = record_at(atproto_net, uri)
    assert renamed is not None and renamed["value"]["name"] == "High Tides"
    track_record = record_at(atproto_net, songs[0]["atproto_record_uri"])
    assert track_record is not None and track_record["value"]["album"] == "High Tides"
    fresh = [(await api.get(f"/tracks/{t['id']}")).json() for t in order]
    assert [i["subject"]["cid"] for i in renamed["value"]["items"]] == [
        t["atproto_record_cid"] for t in fresh
    ]  # refers to the tracks' new records

    assert (await api.delete(f"/albums/{album['id']}", headers=erin.auth)).status_code == 204
    assert record_at(atproto_net, uri) is None
    track_record = record_at(atproto_net, songs[0]["atproto_record_uri"])
    assert track_record is not None and "album" not in track_record["value"]


async def test_playlist_record_follows_the_playlist(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    fay = await sign_in_app_password(api, create_account(atproto_net, unique_handle("fay")))
    songs = await upload_tones(api, fay, tmp_path, "One", "Two", "Three")
    secret = (await upload_tones(api, fay, tmp_path, "Four", visibility="private"))[0]
    mix = (await api.post("/lists/playlists", json={"name": "Mix"}, headers=fay.auth)).json()
    uri = mix["atproto_record_uri"]
    assert uri is not None and uri.startswith(f"at://{fay.did}/{LIST}/")
    record = record_at(atproto_net, uri)
    assert record is not None and record["value"]["items"] == []
    assert record["value"]["listType"] == "playlist"

    url = f"/lists/playlists/{mix['id']}"
    for track in (*songs, secret):
        response = await api.post(f"{url}/tracks", json={"track_id": track["id"]}, headers=fay.auth)
        assert response.status_code == 200
    record = record_at(atproto_net, uri)
    assert record is not None  # the private track is not on the PDS: not in the record
    assert item_uris(record) == [t["atproto_record_uri"] for t in songs]

    ids = [songs[2]["id"], secret["id"], songs[0]["id"], songs[1]["id"]]
    await api.put(f"{url}/reorder", json={"track_ids": ids}, headers=fay.auth)
    await api.patch(url, json={"name": "Night Mix"}, headers=fay.auth)
    await api.delete(f"{url}/tracks/{songs[1]['id']}", headers=fay.auth)
    record = record_at(atproto_net, uri)
    assert record is not None and record["value"]["name"] == "Night Mix"
    assert item_uris(record) == [songs[2]["atproto_record_uri"], songs[0]["atproto_record_uri"]]

    private = await api.patch(url, json={"is_private": True}, headers=fay.auth)
    assert private.json()["atproto_record_uri"] is None
    assert record_at(atproto_net, uri) is None  # private playlists are never on the PDS
    await api.post(f"{url}/tracks", json={"track_id": songs[1]["id"]}, headers=fay.auth)
    assert list_records(atproto_net, fay.did, LIST) == []

    public = (await api.patch(url, json={"is_private": False}, headers=fay.auth)).json()
    again = record_at(atproto_net, public["atproto_record_uri"])
    assert again is not None and len(again["value"]["items"]) == 3

    assert (await api.delete(url, headers=fay.auth)).status_code == 204
    assert list_records(atproto_net, fay.did, LIST) == []

    hidden = await api.post(
        "/lists/playlists", json={"name": "Diary", "is_private": True}, headers=fay.auth
    )
    assert hidden.json()["atproto_record_uri"] is None
    assert list_records(atproto_net, fay.did, LIST) == []


async def test_a_pds_that_is_down_gets_the_record_later(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account = create_account(atproto_net, unique_handle("gil"))
    gil = await sign_in_app_password(api, account)
    song = (await upload_tones(api, gil, tmp_path, "Late Song"))[0]
    mix = (await api.post("/lists/playlists", json={"name": "Later"}, headers=gil.auth)).json()
    runtime = pds_app.state.runtime
    outage = await relayed_session(pds_app, atproto_net, account, gil.did)
    await outage.cut()
    try:
        added = await api.post(
            f"/lists/playlists/{mix['id']}/tracks", json={"track_id": song["id"]}, headers=gil.auth
        )
        assert added.status_code == 200  # saved here; the record waits
        record = record_at(atproto_net, mix["atproto_record_uri"])
        assert record is not None and record["value"]["items"] == []
        async with runtime.sessionmaker() as db:
            waiting = await db.scalar(
                select(func.count(PendingWrite.id)).where(
                    PendingWrite.kind == "list_sync", PendingWrite.done.is_(False)
                )
            )
        assert waiting == 1
        await outage.restore()
        assert await outbox.drain(runtime, did=gil.did, due_now=True) == 0
        record = record_at(atproto_net, mix["atproto_record_uri"])
        assert record is not None and item_uris(record) == [song["atproto_record_uri"]]
    finally:
        await outage.cut()


async def test_the_firehose_echo_changes_nothing(
    api: AsyncClient,
    pds_app: FastAPI,
    atproto_net: AtprotoNet,
    tmp_path: Path,
) -> None:
    hal = await sign_in_app_password(api, create_account(atproto_net, unique_handle("hal")))
    songs = await upload_tones(api, hal, tmp_path, "A", "B", "C")
    secret = (await upload_tones(api, hal, tmp_path, "D", visibility="private"))[0]
    mix = (await api.post("/lists/playlists", json={"name": "Echoes"}, headers=hal.auth)).json()
    url = f"/lists/playlists/{mix['id']}"
    for track in (*songs, secret):
        await api.post(f"{url}/tracks", json={"track_id": track["id"]}, headers=hal.auth)
    ids = [t["id"] for t in (*songs, secret)]
    for order in (ids[::-1], ids[1:] + ids[:1], [ids[3], ids[0], ids[2], ids[1]]):
        await api.put(f"{url}/reorder", json={"track_ids": order}, headers=hal.auth)
    album = (await api.post("/albums/", json={"title": "Echo Album"}, headers=hal.auth)).json()
    await api.put(f"/albums/{album['id']}/tracks", json={"track_ids": ids[:3]}, headers=hal.auth)

    # a marker written after all that: once it is indexed, every echo before it was too
    marker_account = create_account(atproto_net, unique_handle("mark"))
    marker = OtherClient(atproto_net, marker_account)
    marker.list("Marker", "playlist", [])

    async def marker_seen() -> bool:
        return "Marker" in await playlists_of(pds_app, marker_account.did)

    # the firehose read from the start after all that: every older write's echo comes in
    # while the rows already say something newer
    stop = asyncio.Event()
    follower = asyncio.create_task(
        ingest(pds_app.state.runtime, atproto_net.pds_ws, stop, first_cursor=0)
    )
    try:
        await poll(marker_seen, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(follower, 15)
    async with pds_app.state.runtime.sessionmaker() as db:
        mine = (await db.scalars(select(Playlist).where(Playlist.owner_did == hal.did))).all()
    assert len(mine) == 1  # no second playlist from the echo
    shown = (await api.get(url, headers=hal.auth)).json()
    assert [t["id"] for t in shown["tracks"]] == [
        ids[3],
        ids[0],
        ids[2],
        ids[1],
    ]  # the private one kept
    detail = (await api.get("/albums/" + hal.handle + "/echo-album")).json()
    assert [t["id"] for t in detail["tracks"]] == ids[:3]
