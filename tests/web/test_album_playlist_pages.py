"""Album, playlist and library pages, the artist page's albums and playlists, the "add to
playlist" control, the album and playlist embeds and their oEmbed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from tests.app import PUBLIC_URL, User
from tests.helpers import add_to_playlist, new_album, new_playlist, upload_tone
from tests.web.helpers import BROWSER, HTMX, cookie, data_tracks


@pytest.fixture
async def album(
    client: AsyncClient, alice: User, songs: list[dict[str, Any]], tmp_path: Path
) -> dict[str, Any]:
    """alice's "Day" album: Night, (a private track), Morning, Noon."""
    secret = await upload_tone(client, alice, tmp_path, "Secret", 950, visibility="private")
    made = await new_album(client, alice, "Day", description="a whole day")
    order = [songs[2]["id"], secret["id"], songs[0]["id"], songs[1]["id"]]
    await client.put(f"/albums/{made['id']}/tracks", json={"track_ids": order}, headers=alice.auth)
    return made


@pytest.fixture
async def mixes(
    client: AsyncClient, bob: User, songs: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """bob's public "Road Mix" (Noon, Morning) and private "Diary"."""
    public = await new_playlist(client, bob, "Road Mix")
    private = await new_playlist(client, bob, "Diary", is_private=True)
    for track in (songs[1], songs[0]):
        await add_to_playlist(client, bob, public["id"], track["id"])
    await add_to_playlist(client, bob, private["id"], songs[2]["id"])
    return public, private


async def test_album_page(
    client: AsyncClient, alice: User, bob: User, album: dict[str, Any]
) -> None:
    page = await client.get("/u/alice.test/album/day", headers=BROWSER)
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    html = page.text
    assert [t["title"] for t in data_tracks(html)] == ["Night", "Morning", "Noon"]
    assert 'data-action="play-all"' in html and "a whole day" in html
    assert 'href="/albums/alice.test/day/download"' in html
    assert "data-album-settings" not in html  # not hers to edit
    assert 'type="application/json+oembed"' in html and "/embed/album/alice.test/day" in html
    assert 'data-action="playlist-menu"' not in html  # signed out: no playlist menu

    own = (await client.get("/u/alice.test/album/day", headers=cookie(alice))).text
    assert [t["title"] for t in data_tracks(own)] == ["Night", "Secret", "Morning", "Noon"]
    assert f'data-album-settings="{album["id"]}"' in own and "data-album-order" in own
    assert 'data-action="playlist-menu"' in own

    fragment = await client.get("/u/alice.test/album/day", headers=HTMX)
    assert fragment.text.startswith("<title>Day - alice.test • plyr</title>")
    missing = await client.get("/u/alice.test/album/nope", headers=BROWSER)
    assert missing.status_code == 404 and "<!doctype html>" in missing.text

    await client.post("/preferences", json={"download_policy": "closed"}, headers=alice.auth)
    closed = (await client.get("/u/alice.test/album/day", headers=cookie(bob))).text
    assert "/download" not in closed


async def test_playlist_page(
    client: AsyncClient,
    alice: User,
    bob: User,
    mixes: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    public, private = mixes
    theirs = (await client.get(f"/playlist/{public['id']}", headers=cookie(alice))).text
    assert [t["title"] for t in data_tracks(theirs)] == ["Noon", "Morning"]
    assert "Road Mix" in theirs and "data-playlist-settings" not in theirs
    assert "data-playlist-order" not in theirs and 'data-action="play-all"' in theirs
    assert f"/embed/playlist/{public['id']}" in theirs

    own = (await client.get(f"/playlist/{public['id']}", headers=cookie(bob))).text
    for control in ("data-playlist-settings", "data-playlist-order", "data-playlist-cover"):
        assert control in own
    assert "data-playlist-delete" in own

    for headers in (BROWSER, cookie(alice)):
        hidden = await client.get(f"/playlist/{private['id']}", headers=headers)
        assert hidden.status_code == 404 and "Diary" not in hidden.text
    mine = await client.get(f"/playlist/{private['id']}", headers=cookie(bob))
    assert mine.status_code == 200 and "private" in mine.text and "Diary" in mine.text
    assert "json+oembed" not in mine.text  # a private playlist is not embeddable
    assert (await client.get("/playlist/99999", headers=BROWSER)).status_code == 404


async def test_library(
    client: AsyncClient,
    alice: User,
    bob: User,
    album: dict[str, Any],
    mixes: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    away = await client.get("/library", headers=BROWSER)
    assert away.status_code == 303 and away.headers["location"] == "/login?return_to=/library"
    bobs = (await client.get("/library", headers=cookie(bob))).text
    assert "data-create-playlist" in bobs
    assert (
        f'href="/playlist/{mixes[0]["id"]}"' in bobs
        and f'href="/playlist/{mixes[1]["id"]}"' in bobs
    )
    assert "no albums yet" in bobs
    alices = (await client.get("/library", headers=cookie(alice))).text
    assert 'href="/u/alice.test/album/day"' in alices and "no playlists yet" in alices


async def test_artist_page_lists_albums_and_public_playlists(
    client: AsyncClient, album: dict[str, Any], mixes: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alices = (await client.get("/u/alice.test", headers=BROWSER)).text
    assert 'href="/u/alice.test/album/day"' in alices and "3 tracks" in alices
    bobs = (await client.get("/u/bob.test", headers=BROWSER)).text
    assert f'href="/playlist/{mixes[0]["id"]}"' in bobs
    assert f'href="/playlist/{mixes[1]["id"]}"' not in bobs and "Diary" not in bobs


async def test_add_to_playlist_controls_for_signed_in_people(
    client: AsyncClient, alice: User, songs: list[dict[str, Any]]
) -> None:
    track_page = (await client.get(f"/track/{songs[0]['id']}", headers=cookie(alice))).text
    assert f'data-action="playlist-menu" data-track-id="{songs[0]["id"]}"' in track_page
    home = (await client.get("/", headers=cookie(alice))).text
    assert home.count('data-action="playlist-menu"') == 3
    anonymous = (await client.get(f"/track/{songs[0]['id']}", headers=BROWSER)).text
    assert "playlist-menu" not in anonymous


async def test_upload_page_has_an_album_mode(client: AsyncClient, alice: User) -> None:
    single = (await client.get("/upload", headers=cookie(alice))).text
    assert re.search(r'<form id="album-upload-form"[^>]*\bhidden\b', single)
    album_mode = (await client.get("/upload?mode=album", headers=cookie(alice))).text
    assert not re.search(r'<form id="album-upload-form"[^>]*\bhidden\b', album_mode)
    assert re.search(r'<form id="upload-form"[^>]*\bhidden\b', album_mode)
    assert 'id="album-files" type="file" multiple' in album_mode


async def test_album_and_playlist_embeds(
    client: AsyncClient, album: dict[str, Any], mixes: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    page = await client.get("/embed/album/alice.test/day")
    assert page.status_code == 200
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    titles = re.findall(r'data-title="([^"]+)"', page.text)
    assert titles == ["Night", "Morning", "Noon"]  # in order, the private one left out
    assert f'href="{PUBLIC_URL}/u/alice.test/album/day"' in page.text
    assert 'id="player"' not in page.text and "/static/js/embed-list.js" in page.text

    public, private = mixes
    playlist = await client.get(f"/embed/playlist/{public['id']}")
    assert playlist.status_code == 200 and "Road Mix" in playlist.text
    assert re.findall(r'data-title="([^"]+)"', playlist.text) == ["Noon", "Morning"]
    assert (await client.get(f"/embed/playlist/{private['id']}")).status_code == 404
    assert (await client.get("/embed/album/alice.test/nope")).status_code == 404


async def test_oembed_for_albums_and_playlists(
    client: AsyncClient, album: dict[str, Any], mixes: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    url = f"{PUBLIC_URL}/u/alice.test/album/day"
    body = (await client.get("/oembed", params={"url": url})).json()
    assert (body["type"], body["title"], body["author_name"]) == ("rich", "Day", "alice.test")
    assert (body["width"], body["height"]) == (480, 380)
    assert f'src="{PUBLIC_URL}/embed/album/alice.test/day"' in body["html"]
    tall = (await client.get("/oembed", params={"url": url, "maxheight": 1000})).json()
    assert tall["height"] == 600  # a tracklist player is at most 600 px high
    fitted = await client.get("/oembed", params={"url": url, "maxwidth": 300, "maxheight": 200})
    assert (fitted.json()["width"], fitted.json()["height"]) == (300, 200)
    assert 'width="300" height="200"' in fitted.json()["html"]
    wide = (await client.get("/oembed", params={"url": url, "maxwidth": 900})).json()
    assert wide["width"] == 900

    public, private = mixes
    mix = await client.get("/oembed", params={"url": f"{PUBLIC_URL}/playlist/{public['id']}"})
    assert mix.status_code == 200 and mix.json()["title"] == "Road Mix"
    assert mix.json()["author_name"] == "bob.test" and mix.json()["height"] == 380
    assert f"/embed/playlist/{public['id']}" in mix.json()["html"]
    capped = await client.get(
        "/oembed", params={"url": f"{PUBLIC_URL}/playlist/{public['id']}", "maxheight": 5000}
    )
    assert capped.json()["height"] == 600
    for missing in (
        f"{PUBLIC_URL}/playlist/{private['id']}",
        f"{PUBLIC_URL}/playlist/99999",
        f"{PUBLIC_URL}/u/alice.test/album/nope",
        "https://elsewhere.example/u/alice.test/album/day",
    ):
        assert (await client.get("/oembed", params={"url": missing})).status_code == 404, missing
