"""Artist analytics: per-track plays and likes, totals, plays per day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient

from plyr.models import PlayEvent, Track, utcnow
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import upload_track


async def test_my_analytics(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    hit = await upload_track(client, alice, make_audio(tmp_path / "h.mp3", "mp3", 1, frequency=410))
    quiet = await upload_track(
        client, alice, make_audio(tmp_path / "q.mp3", "mp3", 1, frequency=420)
    )
    await upload_track(client, bob, make_audio(tmp_path / "b.mp3", "mp3", 1, frequency=430))
    now = utcnow()
    async with app.state.runtime.writer() as db:
        for days_ago, listener in ((0, "a"), (0, "b"), (3, "c"), (40, "d")):
            db.add(
                PlayEvent(
                    track_id=hit["id"], listener=listener, created_at=now - timedelta(days=days_ago)
                )
            )
        track = await db.get(Track, hit["id"])
        assert track is not None
        track.play_count, track.like_count = 4, 2
        await db.commit()

    body = (await client.get("/artists/me/analytics", headers=alice.auth)).json()
    assert (body["total_plays"], body["total_likes"]) == (4, 2)
    assert [t["track_id"] for t in body["tracks"]] == [hit["id"], quiet["id"]]
    days = body["plays_per_day"]
    assert len(days) == 30 and days[-1]["date"] == now.date().isoformat()
    assert days[-1]["plays"] == 2 and days[-4]["plays"] == 1 and sum(d["plays"] for d in days) == 3
    assert (await client.get("/artists/me/analytics")).status_code == 401
    theirs = (await client.get("/artists/me/analytics", headers=bob.auth)).json()
    assert theirs["total_plays"] == 0 and len(theirs["tracks"]) == 1
