"""Security headers on every kind of response (pages, embeds, JSON, audio, images), and
audio served with a Content-Type from plyr's allow-list, whatever a record claimed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import update

from plyr.atproto.lexicon import LexiconError, Lexicons
from plyr.core.config import Settings
from plyr.core.headers import page_policy
from plyr.models import Artist, AudioFile
from plyr.tracks.indexing import index_track_record
from tests.app import PUBLIC_URL, User, running_app
from tests.audio.media import make_audio, make_image
from tests.helpers import upload_track

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
SANDBOX = "default-src 'none'; frame-ancestors 'none'; sandbox"
HOSTILE_MIME = "audio/mpeg, text/html"


@pytest.fixture
async def track(client: AsyncClient, alice: User, tmp_path: Path) -> dict[str, Any]:
    path = make_audio(tmp_path / "h.mp3", "mp3", seconds=1)
    image = ("cover.jpg", make_image("jpeg"), "image/jpeg")
    return await upload_track(client, alice, path, title="headers", image=image)


def assert_always(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in response.headers  # http://plyr.test


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    pairs = (d.strip().split(" ", 1) for d in policy.split(";"))
    return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}


def nonce_of(response: httpx.Response) -> str:
    match = re.search(r"'nonce-([^']+)'", directives(response)["script-src"])
    assert match, response.headers["content-security-policy"]
    return match.group(1)


async def test_pages_get_a_strict_nonce_policy(
    client: AsyncClient, alice: User, track: dict[str, Any]
) -> None:
    signed_in = {**BROWSER, "Cookie": f"session_id={alice.token}"}
    first = await client.get(f"/track/{track['id']}", headers=signed_in)
    second = await client.get(f"/track/{track['id']}", headers=signed_in)
    for page in (first, second):
        assert page.status_code == 200
        assert_always(page)
        policy = directives(page)
        nonce = nonce_of(page)
        assert policy["script-src"] == f"'self' 'nonce-{nonce}'"
        assert policy["style-src"] == f"'self' 'nonce-{nonce}'"
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["form-action"] == "'self' https: http:"  # an http instance: the devnet
        assert "unsafe-inline" not in page.headers["content-security-policy"]
        assert "unsafe-eval" not in page.headers["content-security-policy"]
    assert nonce_of(first) != nonce_of(second)


async def test_no_page_has_inline_code_without_its_nonce(
    client: AsyncClient, alice: User, track: dict[str, Any]
) -> None:
    """Every inline <script>/<style> carries the response's nonce; no inline event handler
    or style attribute (the policy would block them)."""
    signed_in = {**BROWSER, "Cookie": f"session_id={alice.token}"}
    paths = [
        "/",
        f"/track/{track['id']}",
        "/u/alice.test",
        "/tag/calm",
        "/search?q=head",
        "/upload",
        "/portal",
        "/settings",
        "/liked",
        "/library",
        "/terms",
        "/docs",
        f"/embed/track/{track['id']}",
    ]
    pages = [(p, await client.get(p, headers=signed_in)) for p in paths]
    pages.append(("/login", await client.get("/login", headers=BROWSER)))
    for path, page in pages:
        assert page.status_code == 200, path
        nonce = nonce_of(page)
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", page.text):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, (path, tag)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", page.text), path
        assert not re.search(r"<[^>]+\sstyle\s*=", page.text), path


async def test_embeds_may_be_framed_by_anyone(client: AsyncClient, track: dict[str, Any]) -> None:
    embed = await client.get(f"/embed/track/{track['id']}")
    assert embed.status_code == 200
    assert_always(embed)
    assert directives(embed)["frame-ancestors"] == "*"
    assert directives(embed)["script-src"] == f"'self' 'nonce-{nonce_of(embed)}'"


async def test_json_and_media_get_a_sandbox_policy(
    client: AsyncClient, track: dict[str, Any]
) -> None:
    responses = [
        await client.get("/tracks/"),
        await client.get("/health"),
        await client.get("/tracks/999999"),  # an error is JSON too
        await client.get(track["audio_url"]),  # routed: it fills the public-audio cache
        await client.get(track["audio_url"]),  # the fast path, in front of the middleware
        await client.get(track["audio_url"], headers={"Range": "bytes=0-9"}),
        await client.get(track["image_url"]),
        await client.get(track["thumbnail_url"]),
        await client.get("/static/js/app.js"),
    ]
    for response in responses:
        assert_always(response)
        assert response.headers["content-security-policy"] == SANDBOX, response.url


async def test_a_304_keeps_the_policy_of_what_is_cached(
    client: AsyncClient, track: dict[str, Any]
) -> None:
    """A 304's headers replace the cached response's: it sends no policy of its own."""
    for url in ("/static/js/app.js", track["audio_url"], track["audio_url"]):
        etag = (await client.get(url)).headers["etag"]
        again = await client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert "content-security-policy" not in again.headers
        assert again.headers["x-content-type-options"] == "nosniff"


async def test_https_instances_send_hsts(settings: Settings) -> None:
    settings.public_url = "https://plyr.example"
    async with running_app(settings, with_worker=False) as app:
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="https://plyr.example") as client:
            for response in (await client.get("/health"), await client.get("/login")):
                assert response.headers["strict-transport-security"] == "max-age=31536000"
                assert response.headers["x-content-type-options"] == "nosniff"
            page = await client.get("/login")
            assert directives(page)["form-action"] == "'self' https:"


def test_the_policy_names_the_media_host_and_the_report_uri(settings: Settings) -> None:
    settings.storage_backend = "s3"
    settings.s3_endpoint_url = "http://127.0.0.1:9000"
    settings.public_media_base_url = "https://cdn.example.com/media"
    settings.csp_report_uri = "https://reports.example/csp"
    policy = page_policy(settings, framable=False)
    assert "img-src 'self' data: blob: http://127.0.0.1:9000 https://cdn.example.com;" in policy
    assert "media-src 'self' blob: http://127.0.0.1:9000 https://cdn.example.com" in policy
    assert policy.endswith("report-uri https://reports.example/csp")


def test_the_policy_names_a_published_media_folder_on_another_host(settings: Settings) -> None:
    """Local storage with PUBLIC_MEDIA_BASE_URL: players follow /audio's 307 there."""
    settings.public_media_base_url = "https://media.example.com/media"
    policy = page_policy(settings, framable=False)
    assert "media-src 'self' blob: https://media.example.com" in policy


async def test_audio_content_type_never_comes_from_the_stored_mime_type(
    client: AsyncClient, app: FastAPI, alice: User, track: dict[str, Any]
) -> None:
    """A row indexed before the allow-list (or any other way) holding a record's hostile
    mimeType is still served as the type of its format, with nosniff."""
    async with app.state.runtime.writer() as db:
        await db.execute(
            update(AudioFile)
            .where(AudioFile.file_id == track["file_id"])
            .values(content_type=HOSTILE_MIME)
        )
        await db.commit()
    routed = await client.get(track["audio_url"])
    fast = await client.get(track["audio_url"])
    download = await client.get(f"{track['audio_url']}/download")
    for response in (routed, fast, download):
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/mpeg"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_blob_mime_type_must_be_one_bare_type() -> None:
    lexicons = Lexicons()
    record = {
        "$type": lexicons.nsid("track"),
        "title": "t",
        "artist": "a",
        "fileType": "mp3",
        "createdAt": "2026-01-01T00:00:00.000Z",
    }
    blob = {"$type": "blob", "ref": {"$link": "bafkreia"}, "size": 10}
    lexicons.validate(record["$type"], {**record, "audioBlob": {**blob, "mimeType": "audio/mpeg"}})
    for hostile in (HOSTILE_MIME, "audio/mpeg;x=1", "audio/mpeg\n", "audio/", "text/html"):
        with pytest.raises(LexiconError):
            lexicons.validate(
                record["$type"], {**record, "audioBlob": {**blob, "mimeType": hostile}}
            )


async def test_indexing_keeps_the_type_of_the_format_not_the_record(
    app: FastAPI, alice: User
) -> None:
    lexicons = Lexicons()
    record = {
        "$type": lexicons.nsid("track"),
        "title": "elsewhere",
        "artist": "a",
        "fileType": "flac",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "audioBlob": {
            "$type": "blob",
            "ref": {"$link": "bafkreihostile"},
            "mimeType": "audio/x-anything",
            "size": 10,
        },
    }
    async with app.state.runtime.writer() as db:
        artist = await db.get(Artist, alice.did)
        assert artist is not None
        uri = f"at://{alice.did}/{record['$type']}/3kabcdefghijk"
        track = await index_track_record(
            db, lexicons, artist, uri=uri, cid="bafyrecord", record=record, public_url=PUBLIC_URL
        )
        assert track is not None
        audio = await db.get(AudioFile, track.file_id)
        assert audio is not None and audio.content_type == "audio/flac"
        await db.rollback()
