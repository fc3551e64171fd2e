"""Artwork is content-addressed, so one image may be an album's cover and a playlist's at
once: replacing or removing it on one row, or deleting the row, releases its files only when
no other row shows it."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User
from tests.audio.media import make_image
from tests.helpers import media_files, new_album, new_playlist


def stored_images(app: FastAPI) -> list[str]:
    return sorted(f for f in media_files(app.state.runtime.settings) if f.startswith("images/"))


async def test_artwork_shared_by_two_rows_stays_until_neither_shows_it(
    client: AsyncClient, alice: User, app: FastAPI
) -> None:
    album = await new_album(client, alice, "Shared Art")
    playlist = await new_playlist(client, alice, "Shared Art Mix")
    image = make_image("png", (32, 32))
    album_cover = f"/albums/{album['id']}/cover"
    playlist_cover = f"/lists/playlists/{playlist['id']}/cover"
    for url in (album_cover, playlist_cover):
        answer = await client.post(
            url, files={"image": ("a.png", image, "image/png")}, headers=alice.auth
        )
        assert answer.status_code == 200, answer.text
    shared = stored_images(app)
    assert len(shared) == 2  # one image and its thumbnail, for both rows

    removed = await client.delete(playlist_cover, headers=alice.auth)
    assert removed.status_code == 200 and removed.json()["image_url"] is None
    assert stored_images(app) == shared  # the album still shows it

    again = await client.post(
        playlist_cover, files={"image": ("a.png", image, "image/png")}, headers=alice.auth
    )
    assert again.status_code == 200
    replaced = await client.post(
        album_cover,
        files={"image": ("b.png", make_image("png", (48, 24)), "image/png")},
        headers=alice.auth,
    )
    assert replaced.status_code == 200
    assert set(shared) < set(stored_images(app))  # the playlist still shows the first one

    deleted = await client.delete(f"/lists/playlists/{playlist['id']}", headers=alice.auth)
    assert deleted.status_code == 204
    remaining = stored_images(app)
    assert len(remaining) == 2 and not set(shared) & set(remaining)
