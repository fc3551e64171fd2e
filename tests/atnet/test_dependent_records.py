"""Records that name a track follow it on the real PDS: when the track is deleted, made
private or public again, or its record is rewritten, the albums and playlists holding it and
its likers' liked lists are rewritten, and a deleted track's like and comment records go
with it — also when its artist deletes their account, or another client deletes its
record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select

from plyr.models import PendingWrite
from tests.app import User
from tests.atnet.helpers import (
    OtherClient,
    item_uris,
    liked_list,
    sign_in_app_password,
    tracks_of,
    upload_tones,
)
from tests.atnet.network import AtprotoNet, create_account, list_records, record_at, unique_handle
from tests.helpers import poll


class Scene:
    """An artist's album of two tracks; a listener's playlist of both, a like and a
    comment on the first."""

    def __init__(self, artist: User, fan: User, songs: list[dict[str, Any]], album: str, mix: str):
        self.artist, self.fan, self.songs = artist, fan, songs
        self.album_uri, self.mix_uri = album, mix

    def uris(self, *indexes: int) -> list[str]:
        return [self.songs[i]["atproto_record_uri"] for i in indexes]


async def scene(api: AsyncClient, net: AtprotoNet, tmp_path: Path) -> Scene:
    artist = await sign_in_app_password(api, create_account(net, unique_handle("dep")))
    fan = await sign_in_app_password(api, create_account(net, unique_handle("depfan")))
    album = (await api.post("/albums/", json={"title": "Pair"}, headers=artist.auth)).json()
    songs = await upload_tones(api, artist, tmp_path, "First", "Second", album_id=album["id"])
    ids = [s["id"] for s in songs]
    put = await api.put(
        f"/albums/{album['id']}/tracks", json={"track_ids": ids}, headers=artist.auth
    )
    mix = (await api.post("/lists/playlists", json={"name": "Mix"}, headers=fan.auth)).json()
    for song in songs:
        added = await api.post(
            f"/lists/playlists/{mix['id']}/tracks", json={"track_id": song["id"]}, headers=fan.auth
        )
        assert added.is_success, added.text
    assert (await api.post(f"/tracks/{ids[0]}/like", headers=fan.auth)).is_success
    comment = {"text": "that intro", "timestamp_ms": 400}
    posted = await api.post(f"/tracks/{ids[0]}/comments", json=comment, headers=fan.auth)
    assert posted.status_code == 201
    made = Scene(artist, fan, songs, put.json()["atproto_record_uri"], mix["atproto_record_uri"])
    assert item_uris(_record(net, made.album_uri)) == made.uris(0, 1)
    assert item_uris(_record(net, made.mix_uri)) == made.uris(0, 1)
    return made


def _record(net: AtprotoNet, uri: str) -> dict[str, Any]:
    record = record_at(net, uri)
    assert record is not None, uri
    return record


def liked_uris(net: AtprotoNet, did: str) -> list[str] | None:
    listed = liked_list(net, did)
    return None if listed is None else [i["subject"]["uri"] for i in listed["items"]]


async def settled(app: FastAPI) -> bool:
    """No pending write waits (the change's rewrites all went through)."""
    async with app.state.runtime.sessionmaker() as db:
        waiting = await db.scalar(
            select(func.count()).select_from(PendingWrite).where(PendingWrite.done.is_(False))
        )
    return waiting == 0


async def test_deleting_a_track_rewrites_the_lists_and_removes_likes_and_comments(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    s = await scene(api, atproto_net, tmp_path)
    assert len(list_records(atproto_net, s.fan.did, "fm.plyr.like")) == 1
    assert len(list_records(atproto_net, s.fan.did, "fm.plyr.comment")) == 1
    assert liked_uris(atproto_net, s.fan.did) == s.uris(0)

    gone = await api.delete(f"/tracks/{s.songs[0]['id']}", headers=s.artist.auth)
    assert gone.status_code == 204
    await poll(lambda: settled(pds_app))

    assert item_uris(_record(atproto_net, s.album_uri)) == s.uris(1)  # the artist's album
    assert item_uris(_record(atproto_net, s.mix_uri)) == s.uris(1)  # someone else's playlist
    assert list_records(atproto_net, s.fan.did, "fm.plyr.like") == []
    assert list_records(atproto_net, s.fan.did, "fm.plyr.comment") == []
    assert liked_uris(atproto_net, s.fan.did) == []


async def test_a_track_made_private_leaves_the_lists_and_comes_back(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    s = await scene(api, atproto_net, tmp_path)
    url = f"/tracks/{s.songs[0]['id']}"
    hidden = await api.patch(url, data={"visibility": "private"}, headers=s.artist.auth)
    assert hidden.is_success, hidden.text
    await poll(lambda: settled(pds_app))
    assert item_uris(_record(atproto_net, s.album_uri)) == s.uris(1)
    assert item_uris(_record(atproto_net, s.mix_uri)) == s.uris(1)
    assert liked_uris(atproto_net, s.fan.did) == []
    assert len(list_records(atproto_net, s.fan.did, "fm.plyr.like")) == 1  # the like itself stays

    shown = await api.patch(url, data={"visibility": "public"}, headers=s.artist.auth)
    assert shown.is_success, shown.text
    await poll(lambda: settled(pds_app))
    ref = {"uri": shown.json()["atproto_record_uri"], "cid": shown.json()["atproto_record_cid"]}
    assert ref["uri"] == s.songs[0]["atproto_record_uri"]  # the same key as before
    for uri in (s.album_uri, s.mix_uri):
        assert _record(atproto_net, uri)["value"]["items"][0]["subject"] == ref
    assert liked_uris(atproto_net, s.fan.did) == [ref["uri"]]


async def test_a_rewritten_track_record_is_named_by_its_new_cid(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    s = await scene(api, atproto_net, tmp_path)
    edited = await api.patch(
        f"/tracks/{s.songs[1]['id']}", data={"title": "Second (edit)"}, headers=s.artist.auth
    )
    new_cid = edited.json()["atproto_record_cid"]
    assert new_cid != s.songs[1]["atproto_record_cid"]
    await poll(lambda: settled(pds_app))
    for uri in (s.album_uri, s.mix_uri):
        assert _record(atproto_net, uri)["value"]["items"][1]["subject"]["cid"] == new_cid


async def test_an_artist_leaving_takes_the_records_naming_their_tracks(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    s = await scene(api, atproto_net, tmp_path)
    body = {"confirmation": s.artist.handle, "delete_atproto_records": False}
    left = await api.request("DELETE", "/account", json=body, headers=s.artist.auth)
    assert left.status_code == 204, left.text
    await poll(lambda: settled(pds_app))

    assert item_uris(_record(atproto_net, s.mix_uri)) == []
    assert list_records(atproto_net, s.fan.did, "fm.plyr.like") == []
    assert list_records(atproto_net, s.fan.did, "fm.plyr.comment") == []
    assert liked_uris(atproto_net, s.fan.did) == []
    # they chose to keep their own records: the album record is still theirs
    assert item_uris(_record(atproto_net, s.album_uri)) == s.uris(0, 1)
    async with pds_app.state.runtime.sessionmaker() as db:
        theirs = select(func.count()).select_from(PendingWrite)
        assert await db.scalar(theirs.where(PendingWrite.did == s.artist.did)) == 0


async def test_a_track_deleted_by_another_client_takes_the_likes_naming_it(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, following: None
) -> None:
    elsewhere = OtherClient(atproto_net, create_account(atproto_net, unique_handle("else")))
    uri, _ = elsewhere.track("Made elsewhere")
    fan = await sign_in_app_password(api, create_account(atproto_net, unique_handle("elsefan")))

    async def indexed() -> int | None:
        found = (await tracks_of(api, elsewhere.did)).get("Made elsewhere")
        return found["id"] if found else None

    track_id = await poll(indexed)
    assert (await api.post(f"/tracks/{track_id}/like", headers=fan.auth)).is_success
    assert len(list_records(atproto_net, fan.did, "fm.plyr.like")) == 1

    elsewhere.delete("fm.plyr.track", uri.rsplit("/", 1)[-1])

    async def forgotten() -> bool:
        return (await api.get(f"/tracks/{track_id}")).status_code == 404

    await poll(forgotten, timeout=30)

    async def likes_gone() -> bool:  # performed right after ingest's commit, no sweep needed
        liked = liked_uris(atproto_net, fan.did)
        return not list_records(atproto_net, fan.did, "fm.plyr.like") and liked == []

    await poll(likes_gone, timeout=30)
