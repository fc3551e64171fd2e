"""For You: the collaborative filter ranks what co-engagers went on to like first; at most
two tracks per artist; hidden tags respected; a newcomer's cold start is filled from audio
similarity to what they liked or played; pages cover the feed without repeats."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.discovery.foryou import co_engagers, score
from plyr.discovery.recs.repository import Edge
from plyr.models import Artist, utcnow
from tests.app import User, make_user
from tests.discovery import synth
from tests.discovery.catalogue import (
    add_artist,
    add_to_own_playlist,
    add_track,
    analysed_embedding,
    direction,
    like,
    near,
    play,
    write_analysis_directly,
)


async def feed(
    client: AsyncClient, user: User, cursor: str | None = None, limit: int = 30
) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    response = await client.get("/for-you", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def ids(page: dict[str, Any]) -> list[int]:
    return [t["id"] for t in page["tracks"]]


async def test_a_co_liked_track_comes_first(app: FastAPI, client: AsyncClient, alice: User) -> None:
    now = utcnow()
    artists = [await add_artist(app, f"artist{i}.test") for i in range(4)]
    shared = await add_track(app, artists[0], "both liked this")
    co_liked = await add_track(app, artists[1], "the co-engager liked this too")
    late_liked = await add_track(app, artists[2], "liked by someone who came days later")
    popular = await add_track(app, artists[3], "liked by many")
    own = await add_track(app, alice.did, "alice's own")

    co, late = await add_artist(app, "co.test"), await add_artist(app, "late.test")
    await like(app, alice.did, shared, now - timedelta(days=5))
    await like(app, co, shared, now - timedelta(days=5) + timedelta(hours=3))  # within 24 h
    await add_to_own_playlist(app, co, co_liked, now - timedelta(days=1))
    await like(app, co, own, now - timedelta(days=1))
    await like(app, late, shared, now - timedelta(days=2))  # three days after alice
    await like(app, late, late_liked, now - timedelta(days=1))
    for i in range(5):
        await like(app, await add_artist(app, f"fan{i}.test"), popular, now)

    page = await feed(client, alice)
    assert page["cold_start"] is False
    # the filter's one track, then the most liked: the late liker is no co-engager, and
    # alice's own track and the one she liked are never shown
    assert ids(page) == [co_liked, popular, late_liked]


async def test_at_most_two_per_artist_and_hidden_tags_left_out(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    now = utcnow()
    prolific, other = await add_artist(app, "prolific.test"), await add_artist(app, "other.test")
    shared = await add_track(app, other, "shared")
    many = [await add_track(app, prolific, f"prolific {i}") for i in range(5)]
    slop = await add_track(app, other, "generated", tags=("ai",))
    lofi = await add_track(app, other, "lofi one", tags=("lofi",))
    co = await add_artist(app, "co.test")
    await like(app, alice.did, shared, now - timedelta(hours=10))
    await like(app, co, shared, now - timedelta(hours=9))
    for track in [*many, slop, lofi]:
        await like(app, co, track, now - timedelta(hours=1))

    page = await feed(client, alice)
    by_artist = Counter(t["artist_did"] for t in page["tracks"])
    assert by_artist[prolific] == 2
    assert slop not in ids(page)  # "ai" is hidden by default
    assert lofi in ids(page)

    async with app.state.runtime.writer() as db:
        artist = await db.get(Artist, alice.did)
        assert artist is not None
        artist.preferences = {"hidden_tags": ["lofi"]}
        await db.commit()
    page = await feed(client, alice)
    assert lofi not in ids(page) and slop in ids(page)


async def test_a_newcomer_with_one_like_gets_tracks_that_sound_alike(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    artists = [await add_artist(app, f"artist{i}.test") for i in range(4)]
    clips = {
        "pad": synth.ambient_pad(10),
        "another pad": synth.ambient_pad(12),
        "drums": synth.drums(10),
        "piano": synth.piano_arpeggio(10),
        "guitar": synth.distorted_guitar(10),
    }
    tracks = {}
    for i, title in enumerate(clips):
        tracks[title] = await add_track(app, artists[i % 4], title)
    await write_analysis_directly(
        app, {tracks[title]: analysed_embedding(samples) for title, samples in clips.items()}
    )
    # the drums are the most liked: the fill by popularity alone would put them first
    for i in range(3):
        await like(app, await add_artist(app, f"fan{i}.test"), tracks["drums"], utcnow())

    await like(app, alice.did, tracks["pad"], utcnow())
    page = await feed(client, alice)
    assert page["cold_start"] is True
    assert ids(page)[0] == tracks["another pad"]
    assert tracks["pad"] not in ids(page)

    # someone who only listened: their plays are their taste
    listener = await make_user(app, "listener.test")
    await play(app, listener.did, tracks["another pad"])
    page = await feed(client, listener)
    assert page["cold_start"] is True
    assert ids(page)[0] == tracks["pad"]


async def test_pages_cover_the_feed_without_repeats(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    now = utcnow()
    artists = [await add_artist(app, f"artist{i}.test") for i in range(12)]
    shared = await add_track(app, artists[0], "shared")
    co = await add_artist(app, "co.test")
    await like(app, alice.did, shared, now - timedelta(hours=5))
    await like(app, co, shared, now - timedelta(hours=4))
    embeddings = {shared: direction(1)}
    for i in range(36):
        track = await add_track(app, artists[i % 12], f"track {i}")
        embeddings[track] = near(direction(1), i, 0.5)
        if i % 3 == 0:
            await like(app, co, track, now - timedelta(hours=1))
    await write_analysis_directly(app, embeddings)

    whole = await feed(client, alice, limit=50)
    assert not whole["has_more"] and whole["next_cursor"] is None
    seen: list[int] = []
    cursor = None
    while True:
        page = await feed(client, alice, cursor=cursor, limit=7)
        seen += ids(page)
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == ids(whole)
    assert len(seen) == len(set(seen)) == 24  # 36 tracks of 12 artists: 2 each


async def test_signed_out_and_bad_input(client: AsyncClient, alice: User) -> None:
    assert (await client.get("/for-you")).status_code == 401
    for params in ({"limit": 0}, {"limit": 51}):
        assert (await client.get("/for-you", params=params, headers=alice.auth)).status_code == 422
    for cursor in ("x", "-1", "²", "9" * 30):
        bad = await client.get("/for-you", params={"cursor": cursor}, headers=alice.auth)
        assert bad.status_code == 400


def test_the_score_follows_plyr_fm() -> None:
    now = utcnow()
    fresh, old = now - timedelta(hours=1), now - timedelta(hours=49)
    base = score(1.0, 1, fresh, 1, now)
    assert score(1.0, 4, fresh, 1, now) == pytest.approx(base * 2)  # paths^0.5
    assert score(1.0, 1, old, 1, now) == pytest.approx(base / 2)  # 48 h half-life
    assert score(1.0, 1, fresh, 32, now) == pytest.approx(base / 32**0.3)  # popularity^0.3
    assert score(1.0, 1, fresh, 0, now) == base


def test_co_engagers_are_those_within_24_hours_after() -> None:
    now = utcnow()
    seeds = [Edge("did:me", 1, now), Edge("did:me", 2, now)]
    others = [
        Edge("did:before", 1, now - timedelta(days=30)),
        Edge("did:soon", 1, now + timedelta(hours=23)),
        Edge("did:soon", 2, now + timedelta(hours=1)),
        Edge("did:late", 2, now + timedelta(hours=25)),
    ]
    assert co_engagers(seeds, others) == ["did:soon", "did:before"]  # overlap first
