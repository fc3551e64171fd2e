"""The catalog: feed, visibility, top, tags, edits, deletes, plays, stats."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from PIL import Image

from plyr.core.config import Settings
from tests.app import PUBLIC_URL, User, make_user, running_app
from tests.audio.media import make_audio
from tests.helpers import media_files, row_counts, upload_track


async def make_track(
    client: AsyncClient,
    user: User,
    tmp_path: Path,
    title: str,
    seconds: float = 1.0,
    fmt: str = "mp3",
    **fields: object,
) -> dict:
    # distinct durations give distinct bytes, so no two uploads are duplicates
    path = make_audio(tmp_path / f"{title}.{fmt}", fmt, seconds=seconds)
    return await upload_track(client, user, path, title=title, **fields)


async def test_feed_pages_newest_first(client: AsyncClient, alice: User, tmp_path: Path) -> None:
    ids = [(await make_track(client, alice, tmp_path, f"t{i}", 1 + i / 10))["id"] for i in range(5)]
    first = (await client.get("/tracks/", params={"limit": 2})).json()
    assert [t["id"] for t in first["tracks"]] == ids[::-1][:2] and first["has_more"]
    second = (
        await client.get("/tracks/", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    third = (
        await client.get("/tracks/", params={"limit": 2, "cursor": second["next_cursor"]})
    ).json()
    seen = [t["id"] for page in (first, second, third) for t in page["tracks"]]
    assert seen == ids[::-1]
    assert third["has_more"] is False and third["next_cursor"] is None
    assert (await client.get("/tracks/", params={"cursor": "garbage!"})).status_code == 400
    assert (await client.get("/tracks/", params={"limit": 101})).status_code == 422


async def test_visibility_rules(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    public = await make_track(client, alice, tmp_path, "public", 1.0)
    unlisted = await make_track(client, alice, tmp_path, "unlisted", 1.1, visibility="unlisted")
    private = await make_track(client, alice, tmp_path, "private", 1.2, visibility="private")

    feed = [t["id"] for t in (await client.get("/tracks/", headers=bob.auth)).json()["tracks"]]
    assert feed == [public["id"]]
    by_artist = (await client.get("/tracks/", params={"artist_did": alice.did})).json()["tracks"]
    assert [t["id"] for t in by_artist] == [public["id"]]
    own = (
        await client.get("/tracks/", params={"artist_did": alice.did}, headers=alice.auth)
    ).json()
    assert {t["id"] for t in own["tracks"]} == {public["id"], unlisted["id"], private["id"]}

    assert (await client.get(f"/tracks/{unlisted['id']}")).status_code == 200
    assert (await client.get(unlisted["audio_url"])).status_code == 200
    assert (await client.get(f"/tracks/{private['id']}", headers=bob.auth)).status_code == 404
    assert (await client.get(private["audio_url"], headers=bob.auth)).status_code == 404
    assert (await client.get(private["audio_url"], headers=alice.auth)).status_code == 200
    mine = (await client.get("/tracks/me", headers=alice.auth)).json()
    assert len(mine) == 3
    stats = (await client.get("/stats")).json()
    assert stats["total_tracks"] == 1


async def test_tags_listing_and_tag_pages(client: AsyncClient, alice: User, tmp_path: Path) -> None:
    a = await make_track(client, alice, tmp_path, "a", 1.0, tags=["lo-fi", "genre/ambient"])
    b = await make_track(client, alice, tmp_path, "b", 1.1, tags=["lo-fi"])
    await make_track(client, alice, tmp_path, "c", 1.2, tags=["lo-fi"], visibility="private")
    tags = (await client.get("/tracks/tags")).json()
    assert tags == [
        {"name": "lo-fi", "track_count": 2},
        {"name": "genre/ambient", "track_count": 1},
    ]
    assert [t["name"] for t in (await client.get("/tracks/tags", params={"q": "GEN"})).json()] == [
        "genre/ambient"
    ]
    nested = (await client.get("/tracks/tags/genre/ambient")).json()
    assert [t["id"] for t in nested["tracks"]] == [a["id"]]
    both = (
        await client.get("/tracks/", params=[("tags", "lo-fi"), ("tags", "genre/ambient")])
    ).json()
    assert [t["id"] for t in both["tracks"]] == [a["id"]]
    assert {t["id"] for t in (await client.get("/tracks/tags/lo-fi")).json()["tracks"]} == {
        a["id"],
        b["id"],
    }


async def test_hidden_tags_filter(client: AsyncClient, alice: User, tmp_path: Path) -> None:
    await make_track(client, alice, tmp_path, "human", 1.0, tags=["folk"])
    await make_track(client, alice, tmp_path, "generated", 1.1, tags=["suno"])
    titles = [
        t["title"]
        for t in (await client.get("/tracks/", params={"filter_hidden_tags": True})).json()[
            "tracks"
        ]
    ]
    assert titles == ["human"]


async def test_edit_is_for_the_owner_only(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path, settings: Settings
) -> None:
    track = await make_track(client, alice, tmp_path, "draft")
    denied = await client.patch(
        f"/tracks/{track['id']}", data={"title": "mine now"}, headers=bob.auth
    )
    assert denied.status_code == 403
    assert (await client.patch(f"/tracks/{track['id']}", data={"title": "x"})).status_code == 401
    assert (await client.get(f"/tracks/{track['id']}")).json()["title"] == "draft"

    png = io.BytesIO()
    Image.new("RGB", (64, 64), "purple").save(png, "PNG")
    edited = await client.patch(
        f"/tracks/{track['id']}",
        headers=alice.auth,
        data={"title": "final", "tags": '["Dream Pop"]', "album": "EP", "description": "hi"},
        files={"image": ("c.png", png.getvalue(), "image/png")},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["tags"], body["album"]["title"]) == ("final", ["dream pop"], "EP")
    assert body["image_url"] is not None
    assert len([k for k in media_files(settings) if k.startswith("images/")]) == 2

    cleared = await client.patch(
        f"/tracks/{track['id']}", headers=alice.auth, data={"remove_image": "true", "album": ""}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["image_url"] is None and cleared.json()["album"] is None
    assert [k for k in media_files(settings) if k.startswith("images/")] == []
    too_long = await client.patch(
        f"/tracks/{track['id']}", headers=alice.auth, data={"title": "y" * 300}
    )
    assert too_long.status_code == 422


async def test_private_track_edit_by_another_user_is_404(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    track = await make_track(client, alice, tmp_path, "secret", visibility="private")
    assert (
        await client.patch(f"/tracks/{track['id']}", data={"title": "x"}, headers=bob.auth)
    ).status_code == 404
    assert (await client.delete(f"/tracks/{track['id']}", headers=bob.auth)).status_code == 404


async def test_delete_removes_row_and_unshared_media(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path, settings: Settings
) -> None:
    path = make_audio(tmp_path / "shared.aiff", "aiff")
    mine = await upload_track(client, alice, path, title="mine")
    theirs = await upload_track(client, bob, path, title="theirs")
    assert (await client.delete(f"/tracks/{mine['id']}", headers=bob.auth)).status_code == 403
    assert (await client.delete(f"/tracks/{mine['id']}", headers=alice.auth)).status_code == 204
    assert (await client.get(f"/tracks/{mine['id']}")).status_code == 404
    # bob's track uses the same files: they stay
    assert (await client.get(theirs["audio_url"])).status_code == 200
    assert (await client.delete(f"/tracks/{theirs['id']}", headers=bob.auth)).status_code == 204
    assert media_files(settings) == []
    assert await row_counts(app) == {"tracks": 0, "audio_files": 0}
    assert (await client.delete(f"/tracks/{theirs['id']}", headers=bob.auth)).status_code == 404


async def test_plays_are_deduplicated_per_listener(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path
) -> None:
    track = await make_track(client, alice, tmp_path, "hit", seconds=2.0)
    url = f"/tracks/{track['id']}/play"
    assert (await client.post(url, headers=bob.auth)).json() == {"play_count": 1}
    assert (await client.post(url, headers=bob.auth)).json() == {"play_count": 1}
    anonymous = await client.post(url)
    assert anonymous.json() == {"play_count": 2}
    assert "plyr_play_id" in anonymous.headers["set-cookie"]
    assert "HttpOnly" in anonymous.headers["set-cookie"]
    assert (await client.post(url)).json() == {"play_count": 2}  # same cookie, same listener
    client.cookies.clear()
    # no cookie, but the same address as the anonymous play before: not a new listener
    assert (await client.post(url)).json() == {"play_count": 2}
    async with AsyncClient(
        transport=ASGITransport(app=app, client=("192.0.2.7", 4321)), base_url=PUBLIC_URL
    ) as elsewhere:
        counted = await elsewhere.post(url, json={"ref": "abc12345"})
        assert counted.json() == {"play_count": 3}
        elsewhere.cookies.clear()  # a script dropping its cookie adds nothing from there
        assert (await elsewhere.post(url)).json() == {"play_count": 3}
    assert (await client.get("/stats")).json()["total_plays"] == 3


async def test_the_play_cookie_is_secure_when_the_public_url_is_https(
    settings: Settings, tmp_path: Path
) -> None:
    """Behind a TLS-terminating proxy the request reaches plyr as plain http: the cookie's
    Secure flag follows PLYR_PUBLIC_URL, not the request's scheme."""
    https = settings.model_copy(update={"public_url": "https://plyr.test"})
    async with running_app(https) as app:
        artist = await make_user(app, "artist.test")
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://plyr.test") as proxied:
            track = await make_track(proxied, artist, tmp_path, "secure")
            played = await proxied.post(f"/tracks/{track['id']}/play")
    assert played.status_code == 200
    assert "plyr_play_id" in played.headers["set-cookie"]
    assert "secure" in played.headers["set-cookie"].lower()


async def test_plays_count_when_the_cache_is_down(
    client: AsyncClient,
    app: FastAPI,
    alice: User,
    bob: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    track = await make_track(client, alice, tmp_path, "resilient")

    async def down(*_: object) -> bool:
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(app.state.runtime.cache, "add", down)
    response = await client.post(f"/tracks/{track['id']}/play", headers=bob.auth)
    assert response.status_code == 200 and response.json() == {"play_count": 1}


async def test_play_window_follows_duration() -> None:
    from plyr.tracks.service import play_window_seconds

    assert [play_window_seconds(d) for d in (None, 10, 200, 7200)] == [300, 30, 200, 3600]


async def test_top_by_likes_in_period(
    client: AsyncClient, app: FastAPI, alice: User, bob: User, tmp_path: Path
) -> None:
    from datetime import timedelta

    from plyr.models import Like, Track, utcnow

    old = await make_track(client, alice, tmp_path, "old favourite", 1.0)
    new = await make_track(client, alice, tmp_path, "new", 1.1)
    async with app.state.runtime.writer() as db:
        db.add(Like(track_id=old["id"], did=alice.did, created_at=utcnow() - timedelta(days=40)))
        db.add(Like(track_id=old["id"], did=bob.did, created_at=utcnow() - timedelta(days=40)))
        db.add(Like(track_id=new["id"], did=bob.did))
        (await db.get(Track, old["id"])).like_count = 2  # type: ignore[union-attr]
        (await db.get(Track, new["id"])).like_count = 1  # type: ignore[union-attr]
        await db.commit()
    all_time = (await client.get("/tracks/top")).json()
    assert [t["id"] for t in all_time] == [old["id"], new["id"]]
    week = (await client.get("/tracks/top", params={"period": "week", "limit": 1})).json()
    assert [t["id"] for t in week] == [new["id"]]
    assert (await client.get("/tracks/top", params={"period": "year"})).status_code == 422


async def test_waveform_is_served(client: AsyncClient, alice: User, tmp_path: Path) -> None:
    track = await make_track(client, alice, tmp_path, "wave", seconds=2.0)
    wave = (await client.get(f"/tracks/{track['id']}/waveform")).json()
    assert len(wave["peaks"]) == 1000
    assert all(-1 <= lo <= hi <= 1 for lo, hi in wave["peaks"])
    assert max(hi for _, hi in wave["peaks"]) > 0.1


async def test_meta_endpoints(client: AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    config = (await client.get("/config")).json()
    assert config["max_upload_size_mb"] == 64
    assert "flac" in config["accepted_audio_formats"]
    assert config["default_hidden_tags"] == ["ai", "ai-slop", "suno"]
    assert (await client.get("/stats")).json() == {
        "total_plays": 0,
        "total_tracks": 0,
        "total_artists": 0,
        "total_duration_seconds": 0.0,
    }
    assert (await client.get("/tracks/999")).status_code == 404
    assert (await client.get("/tracks/abc")).status_code == 422


async def test_health_reports_an_unreachable_database(app: FastAPI, client: AsyncClient) -> None:
    from plyr.core.db import create_engine

    runtime = app.state.runtime
    original = runtime.engine
    runtime.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        response = await client.get("/health")
    finally:
        await runtime.engine.dispose()
        runtime.engine = original
    assert response.status_code == 503


async def test_making_a_track_private_stops_its_stream_at_once(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    track = await make_track(client, alice, tmp_path, "was public")
    assert (await client.get(track["audio_url"], headers=bob.auth)).status_code == 200  # cached
    edited = await client.patch(
        f"/tracks/{track['id']}", headers=alice.auth, data={"visibility": "private"}
    )
    assert edited.json()["visibility"] == "private"
    assert (await client.get(track["audio_url"], headers=bob.auth)).status_code == 404
    assert (await client.get(track["audio_url"], headers=alice.auth)).status_code == 200
