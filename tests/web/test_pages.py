"""Server-rendered pages: what each shows, the shell vs the htmx fragment, who may see
what, error pages inside the shell, and sign-in redirects."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event

from plyr.models import Track
from tests.app import PUBLIC_URL, User
from tests.audio.media import make_audio
from tests.helpers import upload_tone, upload_track
from tests.web.helpers import BROWSER, HTMX, cookie, data_tracks


@pytest.fixture
async def three(client: AsyncClient, alice: User, tmp_path: Path) -> list[dict[str, Any]]:
    tracks = []
    for i, title in enumerate(("Morning", "Noon", "Night")):
        path = make_audio(tmp_path / f"{i}.mp3", "mp3", seconds=1, frequency=300 + 100 * i)
        tracks.append(await upload_track(client, alice, path, title=title, tags=["calm"]))
    return tracks


async def test_home_shows_the_feed_in_the_shell(
    client: AsyncClient, three: list[dict[str, Any]]
) -> None:
    page = await client.get("/", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.startswith("<!doctype html>")
    for landmark in ('id="player"', 'id="queue-panel"', 'id="main"', "/static/vendor/htmx.min.js"):
        assert landmark in html
    titles = [t["title"] for t in data_tracks(html)]
    assert titles == ["Night", "Noon", "Morning"]
    assert "3 tracks" in html and 'href="/tag/calm"' in html
    first = data_tracks(html)[0]
    assert first["audio_url"].endswith(f"/audio/{three[2]['file_id']}")
    assert first["url"] == f"/track/{three[2]['id']}" and first["artist_url"] == "/u/alice.test"


async def test_the_home_totals_follow_this_instances_changes(
    client: AsyncClient, alice: User, three: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The totals are cached between requests, but not past a change made here."""
    assert "3 tracks" in (await client.get("/", headers=BROWSER)).text
    path = make_audio(tmp_path / "dusk.mp3", "mp3", seconds=1, frequency=777)
    dusk = await upload_track(client, alice, path, title="Dusk", tags=["late"])
    home = (await client.get("/", headers=BROWSER)).text
    assert "4 tracks" in home and 'href="/?tag=late"' in home
    assert (await client.delete(f"/tracks/{dusk['id']}", headers=alice.auth)).status_code == 204
    home = (await client.get("/", headers=BROWSER)).text
    assert "3 tracks" in home and 'href="/?tag=late"' not in home


async def test_an_htmx_navigation_gets_only_title_and_main(
    client: AsyncClient, three: list[dict[str, Any]]
) -> None:
    page = await client.get(f"/track/{three[0]['id']}", headers=HTMX)
    assert page.text.startswith("<title>Morning - alice.test • plyr</title>")
    assert '<main id="main"' in page.text
    assert 'id="player"' not in page.text and "<html" not in page.text
    assert "HX-Request" in page.headers["vary"]


async def test_the_feed_pages_through_a_fragment(
    client: AsyncClient, alice: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plyr.web import router

    monkeypatch.setattr(router, "PAGE_SIZE", 2)
    for i in range(3):
        path = make_audio(tmp_path / f"{i}.mp3", "mp3", seconds=1, frequency=300 + 100 * i)
        await upload_track(client, alice, path)
    html = (await client.get("/", headers=BROWSER)).text
    assert len(data_tracks(html)) == 2
    next_url = re.search(r'hx-get="(/fragments/feed\?[^"]+)"', html)
    assert next_url is not None
    rows = (await client.get(next_url.group(1).replace("&amp;", "&"))).text
    assert len(data_tracks(rows)) == 1 and "hx-get" not in rows


async def test_track_page_has_open_graph_oembed_and_deep_link(
    client: AsyncClient, three: list[dict[str, Any]]
) -> None:
    track = three[1]
    html = (await client.get(f"/track/{track['id']}?t=45", headers=BROWSER)).text
    assert '<meta property="og:type" content="music.song">' in html
    assert f'<meta property="og:audio" content="{PUBLIC_URL}/audio/{track["file_id"]}">' in html
    assert 'type="application/json+oembed"' in html
    assert f"oembed?url={PUBLIC_URL.replace(':', '%3A').replace('/', '%2F')}" in html
    assert 'data-start="45"' in html and "play from 0:45" in html
    assert 'data-peaks-url="/tracks/{}/waveform"'.format(track["id"]) in html


async def test_private_tracks_are_hidden_pages(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "p.mp3", "mp3", seconds=1, frequency=999)
    track = await upload_track(client, alice, path, title="Secret", visibility="private")
    assert (await client.get(f"/track/{track['id']}", headers=cookie(alice))).status_code == 200
    for headers in (cookie(bob), BROWSER):
        page = await client.get(f"/track/{track['id']}", headers=headers)
        assert page.status_code == 404 and "Secret" not in page.text
        assert 'id="player"' in page.text and "nothing here" in page.text
    assert "Secret" not in (await client.get("/", headers=cookie(bob))).text
    assert "Secret" not in (await client.get("/u/alice.test", headers=BROWSER)).text


async def test_api_errors_stay_json(client: AsyncClient) -> None:
    response = await client.get("/tracks/999999")
    assert response.status_code == 404 and response.json() == {"detail": "track not found"}
    page = await client.get("/no/such/page", headers=BROWSER)
    assert page.status_code == 404 and "nothing here" in page.text


async def test_artist_page(client: AsyncClient, three: list[dict[str, Any]]) -> None:
    html = (await client.get("/u/alice.test", headers=BROWSER)).text
    assert "@alice.test" in html and len(data_tracks(html)) == 3
    assert (await client.get("/u/nobody.test", headers=BROWSER)).status_code == 404


@pytest.mark.parametrize("path", ["/upload", "/portal", "/settings"])
async def test_member_pages_send_visitors_to_sign_in(client: AsyncClient, path: str) -> None:
    response = await client.get(path, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?return_to={path}"


async def test_member_pages_render(
    client: AsyncClient, alice: User, three: list[dict[str, Any]]
) -> None:
    upload = (await client.get("/upload", headers=cookie(alice))).text
    assert 'id="upload-form"' in upload and "flac" in upload
    portal = (await client.get("/portal", headers=cookie(alice))).text
    assert portal.count("data-edit-track=") == 3 and "developer tokens" in portal
    settings = (await client.get("/settings", headers=cookie(alice))).text
    assert 'name="theme" value="dark" checked' in settings


async def test_login_page(client: AsyncClient, alice: User, settings: Any) -> None:
    html = (await client.get("/login?return_to=/portal", headers=BROWSER)).text
    assert 'method="post" action="/auth/start"' in html and 'value="/portal"' in html
    assert "create an account" not in html
    signed_in = await client.get("/login?return_to=/portal", headers=cookie(alice))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"


async def test_a_sign_in_that_cannot_start_is_said_on_the_login_page(client: AsyncClient) -> None:
    form = {"handle": "not a handle!"}
    own_page = {"Origin": PUBLIC_URL}
    response = await client.post("/auth/start", data=form, headers={**BROWSER, **own_page})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?error=")
    api = await client.post("/auth/start", data=form, headers=own_page)
    assert api.status_code == 400 and "detail" in api.json()


async def test_theme_and_accent_come_from_preferences(client: AsyncClient, alice: User) -> None:
    changed = await client.post(
        "/preferences",
        json={"theme": "light", "accent_color": "#ff8800"},
        headers=alice.auth,
    )
    assert changed.status_code == 200
    html = (await client.get("/", headers=cookie(alice))).text
    assert 'data-theme="light"' in html
    sheet = re.search(r'<link rel="stylesheet" href="(/accent\.css\?[^"]+)">', html)
    assert sheet is not None
    css = await client.get(sheet.group(1))
    assert css.headers["content-type"].startswith("text/css")
    assert css.text == "html:root { --accent: #ff8800; }\n"
    assert (await client.get("/accent.css", params={"color": "red;}"})).status_code == 422


async def test_terms_overlay_until_accepted(client: AsyncClient, alice: User) -> None:
    assert 'id="terms-dialog"' in (await client.get("/", headers=cookie(alice))).text
    accepted = await client.post("/preferences/terms", headers=alice.auth)
    assert accepted.status_code == 204
    assert 'id="terms-dialog"' not in (await client.get("/", headers=cookie(alice))).text
    assert 'id="terms-dialog"' not in (await client.get("/", headers=BROWSER)).text


async def test_static_assets_are_served_locally(client: AsyncClient) -> None:
    css = await client.get("/static/css/plyr.css")
    assert css.status_code == 200 and "--accent" in css.text
    htmx = await client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and b"htmx" in htmx.content[:2000]


async def test_api_docs_load_nothing_from_a_cdn(client: AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert (await client.get(source)).status_code == 200, source
    assert "/openapi.json" in docs.text


async def test_pages_refuse_to_be_framed_but_embeds_do_not(
    client: AsyncClient, three: list[dict[str, Any]]
) -> None:
    page = await client.get("/", headers=BROWSER)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    embed = await client.get(f"/embed/track/{three[0]['id']}")
    assert "frame-ancestors *" in embed.headers["content-security-policy"]


async def test_a_crash_is_a_500_page_inside_the_shell(
    app: Any, three: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from httpx import ASGITransport

    from plyr.web import pages

    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(pages, "stats", broken)
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        page = await client.get("/", headers=BROWSER)
        api = await client.get("/", headers={"Accept": "application/json"})
    assert page.status_code == 500 and 'id="player"' in page.text
    assert "something broke" in page.text and "disk caught fire" not in page.text
    assert api.status_code == 500 and api.json() == {"detail": "internal error"}


async def test_portal_shows_listening_stats_and_your_data(
    client: AsyncClient, alice: User, three: list[dict[str, Any]]
) -> None:
    html = (await client.get("/portal", headers=cookie(alice))).text
    assert 'aria-label="plays per day over the last 30 days"' in html
    assert html.count("<rect ") == 30
    assert "data-export" in html and "data-delete-account" in html
    assert 'data-page="portal"' in html


async def test_artists_you_know_loads_after_the_page(client: AsyncClient, alice: User) -> None:
    home = (await client.get("/", headers=cookie(alice))).text
    assert 'hx-get="/fragments/artists-you-know"' in home
    assert (
        'hx-get="/fragments/artists-you-know"' not in (await client.get("/", headers=BROWSER)).text
    )
    fragment = await client.get("/fragments/artists-you-know", headers=cookie(alice))
    assert fragment.status_code == 200 and fragment.text.strip() == ""  # no repo, no follows


@pytest.mark.parametrize("path", ["/", "/portal", "/settings", "/upload"])
async def test_ids_are_unique(client: AsyncClient, alice: User, path: str) -> None:
    ids = re.findall(r'\sid="([^"]+)"', (await client.get(path, headers=cookie(alice))).text)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


async def test_track_page_loads_five_other_tracks_not_all(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    """ "more from the artist" shows five: only five are read, however many there are."""
    track = await upload_tone(client, alice, tmp_path, "the one", 300)
    async with app.state.runtime.writer() as db:
        row = await db.get(Track, track["id"])
        assert row is not None
        for n in range(20):
            db.add(
                Track(
                    artist_did=alice.did,
                    title=f"other {n}",
                    upload_file_id=f"{n:016x}",
                    file_id=row.file_id,
                    file_type=row.file_type,
                    visibility="private" if n % 4 == 0 else "public",
                )
            )
        await db.commit()
    loaded: list[int] = []

    def count(target: Track, context: object) -> None:
        loaded.append(target.id)

    event.listen(Track, "load", count)
    try:
        page = await client.get(f"/track/{track['id']}")
    finally:
        event.remove(Track, "load", count)
    assert page.status_code == 200
    assert page.text.count("other 1") >= 1 and "other 0" not in page.text  # private hidden
    assert len(set(loaded)) <= 1 + 5


async def test_the_track_page_shows_the_artists_content_warnings(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "warned.mp3", "mp3", seconds=1.0)
    track = await upload_track(client, alice, path, title="Warned", self_labels=["sexual"])
    html = (await client.get(f"/track/{track['id']}", headers=BROWSER)).text
    assert 'title="the artist\'s content warning">sexual</span>' in html
