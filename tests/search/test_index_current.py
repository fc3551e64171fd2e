"""`search_text` and the search indexes follow every change: uploads, edits, deletes, renames,
Core inserts, with the FTS5 index (SQLite) consistent with its table throughout."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import insert, select, text

from plyr.models import Album, Artist, Playlist, Tag, Track
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import upload_track
from tests.search.catalog import add_album, add_playlist, add_track, search, titles

INDEXED = ("tracks", "albums", "playlists", "tags")


async def assert_indexes_consistent(app: FastAPI) -> None:
    """SQLite: each external-content FTS index matches its table; artists' own copy has a
    row per artist. (PostgreSQL's GIN indexes need no such check.)"""
    async with app.state.runtime.sessionmaker() as db:
        if db.get_bind().dialect.name != "sqlite":
            return
        for table in INDEXED:
            check = (
                f"INSERT INTO search_{table}(search_{table}, rank) VALUES ('integrity-check', 1)"
            )
            await db.execute(text(check))
        artists = (await db.execute(text("SELECT count(*) FROM artists"))).scalar_one()
        indexed = (await db.execute(text("SELECT count(*) FROM search_artists"))).scalar_one()
        assert artists == indexed
        await db.rollback()


async def test_uploads_edits_and_deletes_keep_search_current(
    client: AsyncClient, app: FastAPI, alice: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "a.mp3", "mp3", seconds=1, frequency=440)
    track = await upload_track(client, alice, path, title="Señorita Tomorrow", tags=["Bossa Nová"])
    assert titles(await search(client, "senorita")) == ["Señorita Tomorrow"]
    assert titles(await search(client, "bossa nova"), "tags") == ["bossa nová"]
    await assert_indexes_consistent(app)

    edited = await client.patch(
        f"/tracks/{track['id']}", headers=alice.auth, data={"title": "Yesterday\u2019s Song"}
    )
    assert edited.status_code == 200, edited.text
    assert titles(await search(client, "senorita")) == []
    assert titles(await search(client, "yesterdays")) == ["Yesterday\u2019s Song"]
    await assert_indexes_consistent(app)

    hidden = await client.patch(
        f"/tracks/{track['id']}", headers=alice.auth, data={"visibility": "unlisted"}
    )
    assert hidden.status_code == 200
    assert titles(await search(client, "yesterdays")) == []
    await client.patch(f"/tracks/{track['id']}", headers=alice.auth, data={"visibility": "public"})
    assert titles(await search(client, "yesterdays")) == ["Yesterday\u2019s Song"]

    deleted = await client.delete(f"/tracks/{track['id']}", headers=alice.auth)
    assert deleted.status_code == 204
    assert (await search(client, "yesterdays"))["counts"]["tracks"] == 0
    await assert_indexes_consistent(app)


async def test_renames_of_artists_albums_playlists_and_core_inserts(
    client: AsyncClient, app: FastAPI, alice: User
) -> None:
    album = await add_album(app, alice.did, "First Light")
    track = await add_track(app, alice.did, "opening", album_id=album)
    playlist = await add_playlist(app, alice.did, "Morning Coffee", [track])
    async with app.state.runtime.writer() as db:
        artist = await db.get(Artist, alice.did)
        album_row = await db.get(Album, album)
        playlist_row = await db.get(Playlist, playlist)
        assert artist and album_row and playlist_row
        artist.display_name = "Ms. Ålice"
        album_row.title = "Nocturnes"
        playlist_row.name = "Evening Tea"
        await db.commit()
    assert titles(await search(client, "ms. alice"), "artists") == ["alice.test"]
    assert titles(await search(client, "first light"), "albums") == []
    assert titles(await search(client, "nocturne"), "albums") == ["Nocturnes"]
    assert titles(await search(client, "coffee"), "playlists") == []
    assert titles(await search(client, "evening tea"), "playlists") == ["Evening Tea"]
    await assert_indexes_consistent(app)

    # Core inserts get search_text from the column default
    async with app.state.runtime.writer() as db:
        await db.execute(insert(Tag).values(name="Trip Hóp"))
        tag = (await db.execute(select(Tag).where(Tag.name == "Trip Hóp"))).scalar_one()
        assert tag.search_text == "trip hop"
        row = await db.get(Track, track)
        assert row is not None and row.search_text == "opening"
        await db.commit()
    await assert_indexes_consistent(app)
