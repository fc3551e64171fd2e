"""Likes through the API: idempotent both ways, counts kept right, my liked tracks newest
like first, a track's likers, and what an invisible track answers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select

from plyr.models import Like, PendingWrite
from tests.app import User, make_user
from tests.helpers import upload_tone


async def like_rows(app: FastAPI, track_id: int) -> int:
    async with app.state.runtime.sessionmaker() as db:
        query = select(func.count(Like.id)).where(Like.track_id == track_id)
        return int((await db.execute(query)).scalar_one())


async def test_like_twice_is_one_like_and_unlike_twice_is_none(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path
) -> None:
    song = await upload_tone(client, alice, tmp_path, "Song", 330)
    url = f"/tracks/{song['id']}/like"
    for _ in range(2):
        response = await client.post(url, headers=bob.auth)
        assert response.status_code == 200 and response.json() == {"liked": True}
    assert await like_rows(app, song["id"]) == 1
    seen = (await client.get(f"/tracks/{song['id']}", headers=bob.auth)).json()
    assert seen["like_count"] == 1 and seen["is_liked"] is True
    assert (await client.get(f"/tracks/{song['id']}")).json()["is_liked"] is False

    await client.post(url, headers=alice.auth)
    assert (await client.get(f"/tracks/{song['id']}")).json()["like_count"] == 2
    for _ in range(2):
        response = await client.delete(url, headers=bob.auth)
        assert response.status_code == 200 and response.json() == {"liked": False}
    seen = (await client.get(f"/tracks/{song['id']}", headers=bob.auth)).json()
    assert seen["like_count"] == 1 and seen["is_liked"] is False
    # a local developer session has no PDS: no record, nothing left waiting
    async with app.state.runtime.sessionmaker() as db:
        waiting = select(PendingWrite).where(PendingWrite.done.is_(False))
        assert (await db.scalars(waiting)).all() == []


async def test_likes_need_a_session_and_a_visible_track(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    secret = await upload_tone(client, alice, tmp_path, "Secret", 340, visibility="private")
    assert (await client.post(f"/tracks/{secret['id']}/like")).status_code == 401
    assert (await client.delete(f"/tracks/{secret['id']}/like")).status_code == 401
    assert (await client.get("/tracks/liked")).status_code == 401
    for method in ("POST", "DELETE"):
        response = await client.request(method, f"/tracks/{secret['id']}/like", headers=bob.auth)
        assert response.status_code == 404
    assert (await client.post("/tracks/999999/like", headers=bob.auth)).status_code == 404
    assert (await client.get(f"/tracks/{secret['id']}/likes", headers=bob.auth)).status_code == 404
    # its artist sees it, and may like it
    mine = await client.post(f"/tracks/{secret['id']}/like", headers=alice.auth)
    assert mine.status_code == 200
    assert [t["id"] for t in (await client.get("/tracks/liked", headers=alice.auth)).json()] == [
        secret["id"]
    ]


async def test_liked_tracks_newest_like_first_and_likers(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path
) -> None:
    songs = [await upload_tone(client, alice, tmp_path, f"S{i}", 300 + 20 * i) for i in range(3)]
    for song in (songs[1], songs[0], songs[2]):
        assert (await client.post(f"/tracks/{song['id']}/like", headers=bob.auth)).is_success
    liked = (await client.get("/tracks/liked", headers=bob.auth)).json()
    assert [t["id"] for t in liked] == [songs[2]["id"], songs[0]["id"], songs[1]["id"]]
    assert all(t["is_liked"] for t in liked) and liked[0]["like_count"] == 1
    assert (await client.get("/tracks/liked", headers=alice.auth)).json() == []

    carol = await make_user(app, "carol.test")
    await client.post(f"/tracks/{songs[0]['id']}/like", headers=carol.auth)
    likers = (await client.get(f"/tracks/{songs[0]['id']}/likes")).json()
    assert [(x["did"], x["handle"]) for x in likers] == [
        (carol.did, "carol.test"),
        (bob.did, "bob.test"),
    ]
    assert set(likers[0]) == {"did", "handle", "display_name", "avatar_url", "liked_at"}
    assert (await client.get(f"/tracks/{songs[1]['id']}/likes")).json()[0]["did"] == bob.did

    # a liked track that turns private leaves the liker's list
    await client.patch(
        f"/tracks/{songs[2]['id']}", headers=alice.auth, data={"visibility": "private"}
    )
    liked = (await client.get("/tracks/liked", headers=bob.auth)).json()
    assert [t["id"] for t in liked] == [songs[0]["id"], songs[1]["id"]]


async def test_deleting_a_liked_track_removes_its_likes(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path
) -> None:
    song = await upload_tone(client, alice, tmp_path, "Gone", 350)
    await client.post(f"/tracks/{song['id']}/like", headers=bob.auth)
    assert (await client.delete(f"/tracks/{song['id']}", headers=alice.auth)).status_code == 204
    assert await like_rows(app, song["id"]) == 0
    assert (await client.get("/tracks/liked", headers=bob.auth)).json() == []


async def test_a_like_record_unliked_here_is_not_imported_back(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path
) -> None:
    """Unliked while the PDS was down: the record is still there until the deferred delete
    goes through; a repo sync meanwhile must not bring the like back."""
    from plyr.atproto.lexicon import Lexicons
    from plyr.likes.indexing import index_like_record
    from plyr.models import Artist, Track

    song = await upload_tone(client, alice, tmp_path, "Synced", 360)
    track_uri = f"at://{alice.did}/fm.plyr.track/3abc"
    like_uri = f"at://{bob.did}/fm.plyr.like/3kdeadbeef222"
    record = {
        "$type": "fm.plyr.like",
        "subject": {
            "uri": track_uri,
            "cid": "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        },
        "createdAt": "2026-01-01T00:00:00.000Z",
    }
    runtime = app.state.runtime
    async with runtime.writer() as db:
        (await db.get(Track, song["id"])).atproto_record_uri = track_uri  # type: ignore[union-attr]
        db.add(
            PendingWrite(
                kind="like_delete", did=bob.did, payload={"did": bob.did, "rkey": "3kdeadbeef222"}
            )
        )
        await db.commit()
    lexicons = Lexicons(runtime.settings.atproto_namespace)
    async with runtime.writer() as db:
        artist = await db.get(Artist, bob.did)
        assert artist is not None
        kwargs = {"uri": like_uri, "cid": "bafyx", "record": record}
        assert await index_like_record(db, lexicons, artist, **kwargs) is None
        other = {**kwargs, "uri": f"at://{bob.did}/fm.plyr.like/3kother222222"}
        assert await index_like_record(db, lexicons, artist, **other) is not None
        await db.commit()
    assert await like_rows(app, song["id"]) == 1


async def test_likers_come_a_page_at_a_time(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    track = await upload_tone(client, alice, tmp_path, "liked a lot", 330)
    fans = [await make_user(app, f"fan{i}.test") for i in range(5)]
    for fan in fans:
        liked = await client.post(f"/tracks/{track['id']}/like", headers=fan.auth)
        assert liked.status_code == 200
    seen: list[str] = []
    url: str | None = f"/tracks/{track['id']}/likes?limit=2"
    while url is not None:
        page = await client.get(url)
        assert page.status_code == 200 and len(page.json()) <= 2
        seen += [liker["did"] for liker in page.json()]
        link = page.headers.get("link")
        url = link.split(">", 1)[0].lstrip("<") if link else None
    assert seen == [fan.did for fan in reversed(fans)]  # newest first, each once
    for bad in ("limit=0", "limit=101", "offset=-1", "limit=x"):
        assert (await client.get(f"/tracks/{track['id']}/likes?{bad}")).status_code == 422
