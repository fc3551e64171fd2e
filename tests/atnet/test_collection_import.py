"""A listener's collection made with another client (here the `atproto` SDK) reaches plyr:
likes, playlists and albums, through the sync at sign-in and through the firehose."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.models import Like, Track
from tests.atnet.helpers import OtherClient, playlists_of, tracks_of
from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle
from tests.helpers import poll

UNKNOWN_TRACK = "at://did:plc:nobodyhere/fm.plyr.track/3m2abcdefgh22"
SOME_CID = "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


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
