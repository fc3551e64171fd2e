"""The search page (/search?q=): sections per kind with counts, playable track rows, links to
artists, albums, tags and playlists, the query kept in its field, and an empty state."""

from __future__ import annotations

import html as html_lib

from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User
from tests.search.catalog import add_album, add_playlist, add_track, set_display_name
from tests.web.helpers import BROWSER, HTMX, cookie, data_tracks


async def test_results_in_sections(client: AsyncClient, app: FastAPI, alice: User) -> None:
    await set_display_name(app, alice.did, "Velvet Hours")
    album = await add_album(app, alice.did, "Velvet Rooms")
    first = await add_track(app, alice.did, "Velvet", album_id=album, tags=["velvet pop"])
    await add_track(app, alice.did, "Crushed Velvet Morning", play_count=9)
    await add_track(app, alice.did, "velvet secret", visibility="private")
    playlist = await add_playlist(app, alice.did, "velvet nights", [first])

    page = await client.get("/search", params={"q": "velvet"}, headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.startswith("<!doctype html>")
    assert 'name="q" value="velvet"' in html
    tracks = data_tracks(html)
    assert [t["title"] for t in tracks] == ["Velvet", "Crushed Velvet Morning"]  # best first
    assert tracks[0]["url"] == f"/track/{first}" and tracks[0]["artist"] == "Velvet Hours"
    assert '<ul class="track-list" data-tracklist>' in html
    assert "velvet secret" not in html
    for heading, count in (("tracks", 2), ("artists", 1), ("albums", 1), ("tags", 1)):
        assert f'{heading} <span class="search-count">{count}</span>' in html, heading
    assert 'playlists <span class="search-count">1</span>' in html
    assert 'href="/u/alice.test"' in html and "Velvet Hours" in html
    assert 'href="/u/alice.test/album/velvet-rooms"' in html
    assert 'href="/tag/velvet%20pop"' in html
    assert f'href="/playlist/{playlist}"' in html


async def test_a_section_only_when_it_has_results(
    client: AsyncClient, app: FastAPI, alice: User
) -> None:
    await add_track(app, alice.did, "Solitary Song")
    html = (await client.get("/search?q=solitary", headers=BROWSER)).text
    assert 'id="search-tracks"' in html
    for kind in ("artists", "albums", "tags", "playlists"):
        assert f'id="search-{kind}"' not in html


async def test_empty_state_and_short_query(client: AsyncClient) -> None:
    none = await client.get("/search", params={"q": "<b>nope</b>"}, headers=BROWSER)
    assert none.status_code == 200
    assert "nothing matches" in none.text
    assert "<b>nope</b>" not in none.text  # escaped
    assert html_lib.escape("<b>nope</b>", quote=True) in none.text
    short = await client.get("/search?q=a", headers=BROWSER)
    assert short.status_code == 200 and "at least two characters" in short.text
    bare = await client.get("/search", headers=BROWSER)
    assert bare.status_code == 200 and 'name="q" value=""' in bare.text
    long = await client.get("/search", params={"q": "x" * 300}, headers=BROWSER)
    assert long.status_code == 200  # cut to 100 characters, not an error page
    assert f'value="{"x" * 100}"' in long.text


async def test_signed_in_htmx_and_head(client: AsyncClient, app: FastAPI, alice: User) -> None:
    await add_track(app, alice.did, "Blue Monday")
    signed_in = await client.get("/search?q=blue", headers=cookie(alice))
    assert signed_in.status_code == 200 and "Blue Monday" in signed_in.text
    fragment = await client.get("/search?q=blue", headers=HTMX)
    assert fragment.text.startswith("<title>search: blue • plyr</title>")
    assert "<!doctype html>" not in fragment.text and "Blue Monday" in fragment.text
    head = await client.head("/search?q=blue", headers=BROWSER)
    assert head.status_code == 200 and head.content == b""


async def test_the_api_keeps_its_slash(client: AsyncClient, app: FastAPI, alice: User) -> None:
    await add_track(app, alice.did, "Blue Monday")
    api = await client.get("/search/?q=blue")
    assert api.headers["content-type"].startswith("application/json")
    assert api.json()["counts"]["tracks"] == 1
