"""An album holds only its artist's tracks, even if a row says otherwise (as repo syncs that
trusted a PDS's record URIs could leave them, review finding C1): showing, renaming or
deleting an album, with its tracks or not, never reaches another artist's track."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import update

from plyr.models import Track
from tests.app import User
from tests.helpers import new_album, upload_tone


async def test_another_artists_track_is_never_part_of_an_album(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    album = await new_album(client, alice, "Mine")
    own = await upload_tone(client, alice, tmp_path, "Own", 331, album_id=album["id"])
    bobs = await upload_tone(client, bob, tmp_path, "Bob's", 337)
    async with app.state.runtime.writer() as db:  # a row pointing into alice's album
        await db.execute(update(Track).where(Track.id == bobs["id"]).values(album_id=album["id"]))
        await db.commit()

    shown = (await client.get(f"/albums/{alice.handle}/mine", headers=alice.auth)).json()
    assert [t["title"] for t in shown["tracks"]] == ["Own"]
    assert shown["track_count"] == 1
    renamed = await client.patch(
        f"/albums/{album['id']}", json={"title": "Still mine"}, headers=alice.auth
    )
    assert renamed.status_code == 200 and renamed.json()["track_count"] == 1

    deleted = await client.delete(
        f"/albums/{album['id']}", params={"cascade": True}, headers=alice.auth
    )
    assert deleted.status_code == 204
    assert (await client.get(f"/tracks/{own['id']}", headers=alice.auth)).status_code == 404
    still = await client.get(f"/tracks/{bobs['id']}", headers=bob.auth)
    assert still.status_code == 200 and still.json()["title"] == "Bob's"
