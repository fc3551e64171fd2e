"""A listener's collection made with another client (here the `atproto` SDK) reaches plyr:
likes, playlists and albums, through the sync at sign-in and through the firehose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from atproto import Client, models
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.atproto.records import rfc3339, tid_for
from plyr.models import Like, Playlist, PlaylistItem, Track
from tests.atnet.conftest import Account, AtprotoNet, create_account, unique_handle
from tests.atnet.test_sync_ingest import following
from tests.helpers import poll

__all__ = ["following"]  # the firehose fixture, used here too

UNKNOWN_TRACK = "at://did:plc:nobodyhere/fm.plyr.track/3m2abcdefgh22"
SOME_CID = "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


class OtherClient:
    """Another AT Protocol app writing `fm.plyr.*` records to the account's repo."""

    def __init__(self, net: AtprotoNet, account: Account) -> None:
        self.did = account.did
        self.sdk = Client(base_url=net.pds_xrpc)
        self.sdk.login(account.handle, account.password, fetch_bsky_profile=False)
        self.clock = datetime.now(UTC)

    def put(self, collection: str, **fields: Any) -> tuple[str, str, str]:
        """(uri, cid, rkey) of a new record."""
        self.clock += timedelta(milliseconds=1)
        rkey = tid_for(self.clock)
        record = {"$type": collection, "createdAt": rfc3339(self.clock), **fields}
        out = self.sdk.com.atproto.repo.put_record(
            models.ComAtprotoRepoPutRecord.Data(
                repo=self.did, collection=collection, rkey=rkey, record=record
            )
        )
        return out.uri, out.cid, rkey

    def delete(self, collection: str, rkey: str) -> None:
        self.sdk.com.atproto.repo.delete_record(
            models.ComAtprotoRepoDeleteRecord.Data(repo=self.did, collection=collection, rkey=rkey)
        )

    def track(self, title: str) -> tuple[str, str]:
        uri, cid, _ = self.put(
            "fm.plyr.track",
            title=title,
            artist="Elsewhere",
            fileType="mp3",
            audioUrl=f"https://music.example/{title.replace(' ', '-')}.mp3",
        )
        return uri, cid

    def like(self, subject: tuple[str, str]) -> str:
        return self.put("fm.plyr.like", subject={"uri": subject[0], "cid": subject[1]})[2]

    def list(self, name: str, list_type: str, items: list[tuple[str, str]]) -> str:
        refs = [{"subject": {"uri": uri, "cid": cid}} for uri, cid in items]
        return self.put("fm.plyr.list", name=name, listType=list_type, items=refs)[2]


async def tracks_of(api: AsyncClient, did: str) -> dict[str, dict[str, Any]]:
    page = (await api.get("/tracks/", params={"artist_did": did})).json()
    return {t["title"]: t for t in page["tracks"]}


async def playlists_of(app: FastAPI, did: str) -> dict[str, list[int]]:
    """name -> track ids in order."""
    async with app.state.runtime.sessionmaker() as db:
        playlists = (await db.scalars(select(Playlist).where(Playlist.owner_did == did))).all()
        out = {}
        for playlist in playlists:
            query = (
                select(PlaylistItem.track_id)
                .where(PlaylistItem.playlist_id == playlist.id)
                .order_by(PlaylistItem.position)
            )
            out[playlist.name] = list((await db.scalars(query)).all())
        return out


async def likers(app: FastAPI, track_id: int) -> set[str]:
    async with app.state.runtime.sessionmaker() as db:
        return set((await db.scalars(select(Like.did).where(Like.track_id == track_id))).all())


@pytest.fixture
def artist(atproto_net: AtprotoNet) -> tuple[Account, OtherClient]:
    account = create_account(atproto_net, unique_handle("kit"))
    return account, OtherClient(atproto_net, account)


async def test_sign_in_imports_likes_playlists_and_albums(
    api: AsyncClient, pds_app: FastAPI, artist: tuple[Account, OtherClient]
) -> None:
    account, other = artist
    dawn, dusk = other.track("Dawn"), other.track("Dusk")
    other.like(dusk)
    other.like((UNKNOWN_TRACK, SOME_CID))  # a track plyr has never seen: skipped
    other.list("Night drive", "playlist", [dusk, (UNKNOWN_TRACK, SOME_CID), dawn])
    other.list("Road Songs", "album", [dusk, dawn])
    other.list("Liked Tracks", "liked", [dusk])  # mirrors the like records: not a playlist

    signed_in = await api.post(
        "/auth/app-password", json={"identifier": account.handle, "password": account.password}
    )
    assert signed_in.status_code == 200

    async def imported() -> dict[str, list[int]]:
        return await playlists_of(pds_app, account.did)

    playlists = await poll(imported)
    tracks = await tracks_of(api, account.did)
    assert playlists == {"Night drive": [tracks["Dusk"]["id"], tracks["Dawn"]["id"]]}
    assert await likers(pds_app, tracks["Dusk"]["id"]) == {account.did}
    assert tracks["Dusk"]["like_count"] == 1 and tracks["Dawn"]["like_count"] == 0
    assert tracks["Dusk"]["album"]["title"] == tracks["Dawn"]["album"]["title"] == "Road Songs"
    async with pds_app.state.runtime.sessionmaker() as db:
        order = {t: (await db.get(Track, tracks[t]["id"])).album_position for t in tracks}
    assert order == {"Dusk": 0, "Dawn": 1}

    # signing in again imports nothing twice
    again = await api.post(
        "/auth/app-password", json={"identifier": account.handle, "password": account.password}
    )
    assert again.status_code == 200
    await poll(imported)
    assert len(await playlists_of(pds_app, account.did)) == 1
    assert (await tracks_of(api, account.did))["Dusk"]["like_count"] == 1


async def test_firehose_indexes_likes_and_playlists_of_any_account(
    api: AsyncClient,
    pds_app: FastAPI,
    atproto_net: AtprotoNet,
    artist: tuple[Account, OtherClient],
    following: None,
) -> None:
    account, other = artist
    song = other.track("Heard by others")
    fan_account = create_account(atproto_net, unique_handle("fan"))
    fan = OtherClient(atproto_net, fan_account)

    async def song_id() -> int | None:
        found = (await tracks_of(api, account.did)).get("Heard by others")
        return found["id"] if found else None

    track_id = await poll(song_id)
    like_rkey = fan.like(song)

    async def liked() -> bool:
        return fan_account.did in await likers(pds_app, track_id)

    await poll(liked)
    mix_rkey = fan.list("Fan mix", "playlist", [song])

    async def mixed() -> dict[str, list[int]]:
        return await playlists_of(pds_app, fan_account.did)

    assert await poll(mixed) == {"Fan mix": [track_id]}

    fan.delete("fm.plyr.like", like_rkey)
    fan.delete("fm.plyr.list", mix_rkey)

    async def forgotten() -> bool:
        return not await liked() and not await mixed()

    await poll(forgotten)
    assert (await tracks_of(api, account.did))["Heard by others"]["like_count"] == 0
