"""The embed player page and oEmbed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from tests.app import PUBLIC_URL, User
from tests.audio.media import make_audio
from tests.helpers import upload_track


@pytest.fixture
async def track(client: AsyncClient, alice: User, tmp_path: Path) -> dict[str, Any]:
    return await upload_track(
        client, alice, make_audio(tmp_path / "e.mp3", "mp3", seconds=1), title="Embed <me>"
    )


async def test_embed_page_works_without_sign_in(client: AsyncClient, track: dict[str, Any]) -> None:
    page = await client.get(f"/embed/track/{track['id']}")
    assert page.status_code == 200
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "Embed &lt;me&gt;" in page.text and 'id="player"' not in page.text
    assert f'data-audio="{track["audio_url"]}"' in page.text
    assert f'href="{PUBLIC_URL}/track/{track["id"]}"' in page.text


async def test_private_tracks_have_no_embed(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "p.mp3", "mp3", seconds=1, frequency=999)
    private = await upload_track(client, alice, path, visibility="private")
    assert (await client.get(f"/embed/track/{private['id']}")).status_code == 404
    url = f"{PUBLIC_URL}/track/{private['id']}"
    assert (await client.get("/oembed", params={"url": url})).status_code == 404


async def test_oembed(client: AsyncClient, track: dict[str, Any]) -> None:
    url = f"{PUBLIC_URL}/track/{track['id']}"
    body = (await client.get("/oembed", params={"url": url, "format": "json"})).json()
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert body["provider_name"] == "plyr" and body["title"] == "Embed <me>"
    assert body["author_name"] == "alice.test" and body["height"] == 165
    assert f'src="{PUBLIC_URL}/embed/track/{track["id"]}"' in body["html"]
    assert "Embed &lt;me&gt;" in body["html"]
    narrow = (await client.get("/oembed", params={"url": url, "maxwidth": 300})).json()
    assert narrow["width"] == 300 and 'width="300"' in narrow["html"]
    short = (await client.get("/oembed", params={"url": url, "maxheight": 100})).json()
    assert short["height"] == 100


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"url": "https://elsewhere.example/track/1"}, 404),
        ({"url": f"{PUBLIC_URL}/u/alice.test"}, 404),
        ({"url": f"{PUBLIC_URL}/track/99999999999"}, 404),
        ({"url": f"{PUBLIC_URL}/track/1", "format": "xml"}, 501),
        ({}, 422),
    ],
)
async def test_oembed_refusals(client: AsyncClient, params: dict[str, str], status: int) -> None:
    assert (await client.get("/oembed", params=params)).status_code == status
