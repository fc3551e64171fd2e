"""Discovery on the pages: a track page lists the tracks that sound like it once it has been
analysed (and leaves the section out before); home has a "for you" row for a signed-in
listener, and none for a visitor or when there is nothing to recommend."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.discovery import service as discovery_service
from plyr.models import utcnow
from tests.app import User
from tests.discovery.catalogue import (
    add_artist,
    add_track,
    direction,
    like,
    near,
    write_analysis_directly,
)
from tests.web.helpers import BROWSER, cookie, data_tracks


def section(html: str, title_id: str) -> str | None:
    """The markup of the section a heading id labels (None when the page leaves it out)."""
    found = re.search(rf'<section[^>]*aria-labelledby="{title_id}".*?</section>', html, re.S)
    return found.group(0) if found else None


def titles(markup: str) -> list[str]:
    return [t["title"] for t in data_tracks(markup)]


async def test_a_track_page_lists_similar_tracks_once_analysed(
    app: FastAPI, client: AsyncClient
) -> None:
    artists = [await add_artist(app, f"artist{i}.test") for i in range(3)]
    base = direction(1)
    seed = await add_track(app, artists[0], "Seed")
    alike = {f"Alike {i}": await add_track(app, artists[1 + i % 2], f"Alike {i}") for i in range(8)}
    far = await add_track(app, artists[1], "Far")

    before = (await client.get(f"/track/{seed}", headers=BROWSER)).text
    assert section(before, "similar-title") is None and "similar tracks" not in before

    embeddings: dict[int, Any] = {seed: base, far: -base}
    embeddings |= {track: near(base, i) for i, track in enumerate(alike.values())}
    await write_analysis_directly(app, embeddings)
    page = await client.get(f"/track/{seed}", headers=BROWSER)
    assert page.status_code == 200
    similar = section(page.text, "similar-title")
    assert similar is not None and "similar tracks" in similar
    listed = titles(similar)
    assert len(listed) == 6 and set(listed) <= set(alike)
    assert 'class="track-list"' in similar and f'href="/track/{alike[listed[0]]}"' in similar


async def test_a_track_not_analysed_has_no_similar_section_while_others_are(
    app: FastAPI, client: AsyncClient
) -> None:
    artist = await add_artist(app, "someone.test")
    analysed = await add_track(app, artist, "Analysed")
    other = await add_track(app, artist, "Other")
    await write_analysis_directly(app, {analysed: direction(2)})
    html = (await client.get(f"/track/{other}", headers=BROWSER)).text
    assert section(html, "similar-title") is None


async def test_home_has_a_for_you_row_when_signed_in(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    artist = await add_artist(app, "maker.test")
    made = [await add_track(app, artist, f"Made {i}") for i in range(3)]
    fan = await add_artist(app, "fan.test")
    await like(app, fan, made[1], utcnow())

    signed_in = (await client.get("/", headers=cookie(alice))).text
    row = section(signed_in, "for-you-title")
    assert row is not None and 'class="cards"' in row
    listed = titles(row)
    # at most two tracks per artist in For You; the most liked first
    assert (
        listed[0] == "Made 1"
        and 1 <= len(listed) <= 8
        and set(listed)
        <= {
            "Made 0",
            "Made 1",
            "Made 2",
        }
    )

    visitor = (await client.get("/", headers=BROWSER)).text
    assert section(visitor, "for-you-title") is None


async def test_no_for_you_row_with_nothing_to_recommend(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    await add_track(app, alice.did, "My own")  # never recommended to its artist
    html = (await client.get("/", headers=cookie(alice))).text
    assert section(html, "for-you-title") is None
    assert "My own" in html  # the feed still shows it


async def test_a_failing_vector_store_leaves_the_section_out(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    artist = await add_artist(app, "someone.test")
    seed = await add_track(app, artist, "Seed")
    other = await add_track(app, await add_artist(app, "else.test"), "Other")
    await write_analysis_directly(app, {seed: direction(3), other: near(direction(3), 1)})

    async def broken(*_: Any) -> Any:
        raise RuntimeError("the vector store is down")

    monkeypatch.setattr(discovery_service, "vector_store", broken)
    page = await client.get(f"/track/{seed}", headers=BROWSER)
    assert page.status_code == 200 and "Seed" in page.text
    assert section(page.text, "similar-title") is None
