"""Records speak only for their author (review finding C1). An attacker runs their own PDS
(`tests.hostile_pds`: a did:plc on the devnet PLC pointing at a server the test controls)
whose `listRecords` names a victim's track, playlist and future records as its own. Signing
in (the repo sync), the attacker's album operations, and the victim's later records arriving
on the firehose change none of the victim's rows, move none of them to the attacker, and
write nothing into the victim's repo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from atproto_subscription.frames import Frame
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.atproto.records import rfc3339, tid_for
from plyr.ingest.firehose import Ingester
from plyr.models import Album, Like, Playlist, Track
from tests.atnet.helpers import playlists_of, put_record, put_track, sign_in_app_password
from tests.atnet.network import Account, AtprotoNet, create_account, list_records, unique_handle
from tests.helpers import poll
from tests.hostile_pds import SOME_CID, HostilePds, commit_frame

COLLECTIONS = ("fm.plyr.track", "fm.plyr.list", "fm.plyr.like")
LATER = datetime.now(UTC) + timedelta(days=3)


@pytest.fixture
def hostile(atproto_net: AtprotoNet) -> Iterator[HostilePds]:
    pds = HostilePds().start(atproto_net.plc_url, unique_handle("mallory"))
    yield pds
    pds.stop()


def track_value(title: str, **fields: Any) -> dict[str, Any]:
    return {
        "$type": "fm.plyr.track",
        "title": title,
        "artist": "Mallory",
        "fileType": "mp3",
        "audioUrl": f"https://evil.example/{title}.mp3",
        "createdAt": rfc3339(datetime.now(UTC)),
        **fields,
    }


def list_value(name: str, kind: str, items: list[str]) -> dict[str, Any]:
    return {
        "$type": "fm.plyr.list",
        "name": name,
        "listType": kind,
        "items": [{"subject": {"uri": uri, "cid": SOME_CID}} for uri in items],
        "createdAt": rfc3339(datetime.now(UTC)),
        "updatedAt": rfc3339(LATER),  # "newer" than anything plyr holds
    }


def repo_state(net: AtprotoNet, did: str) -> dict[str, str]:
    """uri -> cid of every fm.plyr record in the repo."""
    return {r["uri"]: r["cid"] for c in COLLECTIONS for r in list_records(net, did, c)}


async def rows(app: FastAPI) -> dict[str, list[tuple[Any, ...]]]:
    """Every row with a record URI: (owner, URI, and what the row says)."""
    async with app.state.runtime.sessionmaker() as db:
        return {
            "tracks": sorted(
                (t.artist_did, t.atproto_record_uri or "", t.title, t.file_id, t.album_id or 0)
                for t in (await db.scalars(select(Track))).all()
            ),
            "playlists": sorted(
                (p.owner_did, p.atproto_record_uri or "", p.name)
                for p in (await db.scalars(select(Playlist))).all()
            ),
            "likes": sorted(
                (like.did, like.atproto_record_uri or "", like.track_id)
                for like in (await db.scalars(select(Like))).all()
            ),
        }


def owned_by(found: dict[str, list[tuple[Any, ...]]], did: str) -> dict[str, list[Any]]:
    return {table: [r for r in rs if r[0] == did] for table, rs in found.items()}


async def test_a_hostile_pds_cannot_touch_another_users_rows_or_repo(
    pds_app: FastAPI,
    api: AsyncClient,
    atproto_net: AtprotoNet,
    hostile: HostilePds,
    following: None,
) -> None:
    # the victim: a track published by another client, and a playlist made here
    victim_account: Account = create_account(atproto_net, unique_handle("victor"))
    rkey = put_track(atproto_net, victim_account, "Mine", audioUrl="https://music.example/m.mp3")
    victim = await sign_in_app_password(api, victim_account)
    track_uri = f"at://{victim.did}/fm.plyr.track/{rkey}"

    async def victims_track() -> dict[str, Any] | None:
        page = (await api.get("/tracks/", params={"artist_did": victim.did})).json()
        return page["tracks"][0] if page["tracks"] else None

    track = await poll(victims_track)
    mix = (await api.post("/lists/playlists", json={"name": "Mix"}, headers=victim.auth)).json()
    added = await api.post(
        f"/lists/playlists/{mix['id']}/tracks", json={"track_id": track["id"]}, headers=victim.auth
    )
    assert added.status_code == 200, added.text
    playlist_uri = (await api.get(f"/lists/playlists/{mix['id']}", headers=victim.auth)).json()[
        "atproto_record_uri"
    ]
    assert playlist_uri and playlist_uri.startswith(f"at://{victim.did}/")
    future_track = f"at://{victim.did}/fm.plyr.track/{tid_for(LATER)}"
    future_like = f"at://{victim.did}/fm.plyr.like/{tid_for(LATER)}"
    bait = f"at://{hostile.did}/fm.plyr.track/{tid_for(datetime.now(UTC))}"

    # the attacker's PDS lists the victim's records as its own
    hostile.records = {
        "fm.plyr.track": [
            {"uri": track_uri, "cid": SOME_CID, "value": track_value("pwned", album="Loot")},
            {"uri": future_track, "cid": SOME_CID, "value": track_value("claimed")},
            {"uri": bait, "cid": SOME_CID, "value": track_value("Bait", album="Loot")},
        ],
        "fm.plyr.list": [
            {"uri": playlist_uri, "cid": SOME_CID, "value": list_value("pwned", "playlist", [])},
            {
                "uri": f"at://{hostile.did}/fm.plyr.list/{tid_for(LATER)}",
                "cid": SOME_CID,
                "value": list_value("Loot", "album", [track_uri, bait]),
            },
        ],
        "fm.plyr.like": [
            {
                "uri": future_like,
                "cid": SOME_CID,
                "value": {
                    "$type": "fm.plyr.like",
                    "subject": {"uri": bait, "cid": SOME_CID},
                    "createdAt": rfc3339(datetime.now(UTC)),
                },
            }
        ],
    }
    before_rows = owned_by(await rows(pds_app), victim.did)
    before_repo = repo_state(atproto_net, victim.did)
    victim_playlists = await playlists_of(pds_app, victim.did)

    signed_in = await api.post(
        "/auth/app-password", json={"identifier": hostile.did, "password": hostile.password}
    )
    assert signed_in.status_code == 200, signed_in.text
    mallory = signed_in.json()

    async def bait_indexed() -> list[dict[str, Any]]:
        page = (await api.get("/tracks/", params={"artist_did": hostile.did})).json()
        return [t for t in page["tracks"] if t["title"] == "Bait"]

    await poll(bait_indexed)  # the sign-in sync ran
    found = await rows(pds_app)
    assert owned_by(found, victim.did) == before_rows
    assert await playlists_of(pds_app, victim.did) == victim_playlists
    for table, held in owned_by(found, hostile.did).items():  # nothing in another's name
        assert all(not uri.startswith(f"at://{victim.did}/") for _, uri, *_ in held), table

    # the attacker's PDS answers a write with the URI of a victim's (future) record
    headers = {"Authorization": f"Bearer {mallory['token']}"}
    hostile.put_uri = f"at://{victim.did}/fm.plyr.like/{tid_for(LATER + timedelta(days=1))}"
    bait_id = (await bait_indexed())[0]["id"]
    liked = await api.post(f"/tracks/{bait_id}/like", headers=headers)
    assert liked.status_code == 200, liked.text

    async def like_written() -> bool:
        return any(body.get("collection") == "fm.plyr.like" for _, body in hostile.writes)

    await poll(like_written)
    for table, held in owned_by(await rows(pds_app), hostile.did).items():
        assert all(not uri.startswith(f"at://{victim.did}/") for _, uri, *_ in held), table
    hostile.put_uri = None

    # the attacker's album operations act on the attacker's own tracks only
    async with pds_app.state.runtime.sessionmaker() as db:
        loot = (await db.scalars(select(Album).where(Album.artist_did == hostile.did))).one()
    renamed = await api.patch(f"/albums/{loot.id}", json={"title": "Loot 2"}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    deleted = await api.delete(f"/albums/{loot.id}", params={"cascade": True}, headers=headers)
    assert deleted.status_code == 204
    assert owned_by(await rows(pds_app), victim.did) == before_rows
    assert repo_state(atproto_net, victim.did) == before_repo  # nothing written there
    assert all(body.get("repo") in (None, hostile.did) for _, body in hostile.writes)
    # and plyr rewrote or deleted no track record it did not write itself (Bait came from
    # another client): only the records plyr writes for the attacker (the album's list,
    # the like) were
    assert {body.get("collection") for _, body in hostile.writes} <= {
        "fm.plyr.list",
        "fm.plyr.like",
    }

    # the victim's own records published later reach the victim's rows, not the attacker's
    put_record(
        atproto_net,
        victim_account,
        "fm.plyr.track",
        future_track.rsplit("/", 1)[1],
        track_value("Later", audioUrl="https://music.example/later.mp3"),
    )

    async def later_is_the_victims() -> bool:
        page = (await api.get("/tracks/", params={"artist_did": victim.did})).json()
        return "Later" in {t["title"] for t in page["tracks"]}

    await poll(later_is_the_victims)
    later = [r for r in (await rows(pds_app))["tracks"] if r[1] == future_track]
    assert [(r[0], r[2]) for r in later] == [(victim.did, "Later")]


async def test_firehose_events_index_only_record_paths_of_their_repo(
    pds_app: FastAPI, hostile: HostilePds
) -> None:
    ingester = Ingester(pds_app.state.runtime, "wss://hostile.example")
    own = f"fm.plyr.track/{tid_for(datetime.now(UTC))}"
    crooked = [
        "fm.plyr.track/a/b",  # a path below a record
        "fm.plyr.track/..",
        "fm.plyr.track/a b",
        "fm.plyr.track",
    ]
    ops = [("create", path, track_value(f"t{i}")) for i, path in enumerate(crooked)]
    await ingester.handle(Frame.from_bytes(commit_frame(hostile.did, 1, ops)))
    await ingester.handle(
        Frame.from_bytes(commit_frame(hostile.did, 2, [("create", own, track_value("Own"))]))
    )
    found = (await rows(pds_app))["tracks"]
    assert [(r[0], r[1], r[2]) for r in found] == [
        (hostile.did, f"at://{hostile.did}/{own}", "Own")
    ]
