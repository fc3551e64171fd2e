"""GET /search/: ranking (exact > prefix > substring > fuzzy), normalization (accents,
quotes, apostrophes), only listed things, counts, limits, type filters and validation. Runs on
SQLite (FTS5) and PostgreSQL (pg_trgm) alike."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User, make_user
from tests.search.catalog import (
    add_album,
    add_playlist,
    add_track,
    search,
    set_display_name,
    titles,
)


async def test_exact_before_prefix_before_word_before_substring_before_fuzzy(
    client: AsyncClient, app: FastAPI, alice: User
) -> None:
    for title in ("unrelated", "fore you", "therefor you", "all for you", "for you (demo)"):
        await add_track(app, alice.did, title, play_count=100)  # popularity does not win
    await add_track(app, alice.did, "For You")
    body = await search(client, "for you", type="tracks")
    assert titles(body) == [
        "For You",  # exact (case folded)
        "for you (demo)",  # prefix
        "all for you",  # a word starts with it
        "therefor you",  # substring
        "fore you",  # similar (trigram)
    ]
    relevance = [r["relevance"] for r in body["results"]]
    assert relevance == sorted(relevance, reverse=True)
    assert relevance[0] == 4 and 3 < relevance[1] < 4 and 2 < relevance[2] < 3
    assert 1 < relevance[3] < 2 and 0 < relevance[4] < 1
    assert body["counts"] == {"tracks": 5}


async def test_closer_matches_first_within_a_class(
    client: AsyncClient, app: FastAPI, alice: User
) -> None:
    await add_track(app, alice.did, "night drive through the city lights", play_count=50)
    await add_track(app, alice.did, "night drive")
    await add_track(app, alice.did, "night drives")
    assert titles(await search(client, "night dr")) == [
        "night drive",
        "night drives",
        "night drive through the city lights",
    ]


@pytest.mark.parametrize(
    "query", ["dont kn", "don't kn", "don\u2019t kn", "DON\u02bcT KN", "Don`t"]
)
async def test_apostrophes_and_typographic_quotes_are_one(
    client: AsyncClient, app: FastAPI, alice: User, query: str
) -> None:
    await add_track(app, alice.did, "I Don\u2019t Know Why")
    await add_track(app, alice.did, "don't look back")
    body = await search(client, query, type="tracks")
    assert "I Don\u2019t Know Why" in titles(body)


async def test_straight_apostrophes_in_titles_match_typographic_queries(
    client: AsyncClient, app: FastAPI, alice: User
) -> None:
    await add_track(app, alice.did, "Rock 'n' Roll Don't Stop")
    for query in ("dont stop", "don\u2019t stop", "rock n roll"):
        assert titles(await search(client, query)) == ["Rock 'n' Roll Don't Stop"], query


async def test_accents_fold_both_ways(client: AsyncClient, app: FastAPI, alice: User) -> None:
    album = await add_album(app, alice.did, "Café Society")
    await add_track(app, alice.did, "Café Society", album_id=album)
    await add_track(app, alice.did, "Naïve Crème Brûlée")
    for query in ("cafe", "CAFÉ", "café soc", "Cafe\u0301"):
        body = await search(client, query)
        assert titles(body) == ["Café Society"], query
        assert titles(body, "albums") == ["Café Society"], query
    assert titles(await search(client, "creme brulee")) == ["Naïve Crème Brûlée"]
    assert titles(await search(client, "NAIVE")) == ["Naïve Crème Brûlée"]


async def test_a_one_letter_typo_still_finds_an_artist(client: AsyncClient, app: FastAPI) -> None:
    aurora = await make_user(app, "aurora.test")
    await set_display_name(app, aurora.did, "Northern Lights")
    marguerite = await make_user(app, "mg.test")
    await set_display_name(app, marguerite.did, "Marguerite Duras")
    other = await make_user(app, "somebody.test")
    for user in (aurora, marguerite, other):
        await add_track(app, user.did, f"a song by {user.handle}")

    body = await search(client, "aurorra", type="artists")  # a letter too many, in the handle
    assert [r["handle"] for r in body["results"]] == ["aurora.test"]
    assert body["results"][0] == {
        "type": "artist",
        "did": aurora.did,
        "handle": "aurora.test",
        "display_name": "Northern Lights",
        "avatar_url": None,
        "relevance": body["results"][0]["relevance"],
    }
    assert 0 < body["results"][0]["relevance"] < 1
    for typo in ("auora", "aurara", "AURÖRA"):  # a letter missing, or another one
        found = await search(client, typo, type="artists")
        assert [r["handle"] for r in found["results"]] == ["aurora.test"], typo
    for typo in ("margeurite", "marguerita", "durass"):  # in the display name
        found = await search(client, typo, type="artists")
        assert [r["handle"] for r in found["results"]] == ["mg.test"], typo
    # an exact display name beats a handle that merely starts with the query
    exact = await search(client, "northern lights", type="artists")
    assert exact["results"][0]["handle"] == "aurora.test" and exact["results"][0]["relevance"] == 4


async def test_only_listed_things_appear_even_to_their_owner(
    client: AsyncClient, app: FastAPI, alice: User, bob: User
) -> None:
    await set_display_name(app, bob.did, "Hidden Bob")
    hidden_album = await add_album(app, bob.did, "hidden album")
    for visibility, status in (("private", "published"), ("unlisted", "published")):
        await add_track(
            app,
            bob.did,
            f"hidden {visibility}",
            visibility=visibility,
            status=status,
            album_id=hidden_album,
            tags=["hiddentag"],
        )
    pending = await add_track(app, bob.did, "hidden pending", status="pending", tags=["hiddentag"])
    await add_track(app, bob.did, "hidden supporters", visibility="supporters")
    shown = await add_track(app, alice.did, "hidden in plain sight", tags=["shown"])
    await add_playlist(app, alice.did, "hidden mixtape", [shown], private=True)
    await add_playlist(app, bob.did, "hidden treasures", [shown, pending])

    for headers in ({}, bob.auth, alice.auth):
        response = await client.get("/search/", params={"q": "hidden"}, headers=headers)
        assert response.status_code == 200
        body = response.json()
        assert titles(body) == ["hidden in plain sight"]
        assert titles(body, "playlists") == ["hidden treasures"]
        assert body["counts"] == {
            "tracks": 1,
            "artists": 0,
            "albums": 0,
            "tags": 0,
            "playlists": 1,
        }
        playlist = next(r for r in body["results"] if r["type"] == "playlist")
        assert playlist["owner_handle"] == "bob.test"
        assert playlist["track_count"] == 1  # the pending track is not counted
    assert (await search(client, "hiddentag"))["counts"]["tags"] == 0
    # bob has no public track: not listed as an artist (alice.test is, a fuzzy match)
    assert "bob.test" not in titles(await search(client, "bob.test"), "artists")
    assert titles(await search(client, "Hidden Bob"), "artists") == []


async def test_results_carry_their_objects_fields(
    client: AsyncClient, app: FastAPI, alice: User
) -> None:
    await set_display_name(app, alice.did, "Alice Liddell")
    album = await add_album(app, alice.did, "Wonderland Tapes")
    track = await add_track(app, alice.did, "Wonderland", album_id=album, tags=["wonderland"])
    playlist = await add_playlist(app, alice.did, "wonderland mix", [track])
    body = await search(client, "wonderland")
    by_type: dict[str, dict[str, Any]] = {r["type"]: r for r in body["results"]}
    assert by_type["track"] == {
        "type": "track",
        "id": track,
        "title": "Wonderland",
        "artist_handle": "alice.test",
        "artist_display_name": "Alice Liddell",
        "image_url": None,
        "thumbnail_url": None,
        "relevance": 4.0,
    }
    assert by_type["album"] == {
        "type": "album",
        "id": album,
        "slug": "wonderland-tapes",
        "title": "Wonderland Tapes",
        "artist_handle": "alice.test",
        "image_url": None,
        "relevance": by_type["album"]["relevance"],
    }
    assert by_type["tag"] == {
        "type": "tag",
        "name": "wonderland",
        "track_count": 1,
        "relevance": 4.0,
    }
    assert by_type["playlist"] == {
        "type": "playlist",
        "id": playlist,
        "name": "wonderland mix",
        "owner_handle": "alice.test",
        "track_count": 1,
        "relevance": by_type["playlist"]["relevance"],
    }
    # best first across types: the exact track and tag, then the prefixes
    assert [r["relevance"] for r in body["results"]] == sorted(
        (r["relevance"] for r in body["results"]), reverse=True
    )
    assert [r["type"] for r in body["results"][:2]] == ["track", "tag"]


async def test_track_images(client: AsyncClient, app: FastAPI, alice: User) -> None:
    track = await add_track(app, alice.did, "with artwork")
    async with app.state.runtime.writer() as db:
        from plyr.models import Track

        row = await db.get(Track, track)
        assert row is not None
        row.image_id, row.image_type = "abcdef0123456789", "jpg"
        await db.commit()
    result = (await search(client, "with artwork"))["results"][0]
    assert result["image_url"].endswith("abcdef0123456789.jpg")
    assert result["thumbnail_url"] and result["thumbnail_url"] != result["image_url"]


async def test_counts_limit_and_type_filters(
    client: AsyncClient, app: FastAPI, alice: User
) -> None:
    await set_display_name(app, alice.did, "Loop Queen")
    for i in range(7):
        await add_track(app, alice.did, f"loop {i}", tags=[f"loop{i}"] if i < 3 else ())
    body = await search(client, "loop", limit=4)
    assert len(body["results"]) == 4
    assert body["counts"] == {"tracks": 7, "artists": 1, "albums": 0, "tags": 3, "playlists": 0}
    only = await search(client, "loop", type="tags,artists")
    assert {r["type"] for r in only["results"]} == {"tag", "artist"}
    assert only["counts"] == {"artists": 1, "tags": 3}
    singular = await search(client, "loop", type="tag,artist")  # a result's own `type`
    assert singular["counts"] == only["counts"]
    assert len(only["results"]) == 4
    one = await search(client, "loop", type=" Tracks ", limit=50)
    assert one["counts"] == {"tracks": 7} and len(one["results"]) == 7
    assert (await search(client, "loop", limit=1, type="tracks"))["counts"] == {"tracks": 7}


async def test_short_queries_and_no_matches(client: AsyncClient, app: FastAPI, alice: User) -> None:
    await add_track(app, alice.did, "ok computer")
    assert titles(await search(client, "ok")) == ["ok computer"]  # 2 characters: a prefix
    assert titles(await search(client, "mp")) == ["ok computer"]  # 2 characters: inside
    empty = await search(client, "zzzzqqq")
    assert empty == {
        "results": [],
        "counts": {"tracks": 0, "artists": 0, "albums": 0, "tags": 0, "playlists": 0},
    }
    # nothing searchable left once normalized: no results, not an error
    assert (await search(client, "\u2019\u2019"))["results"] == []
    assert (await search(client, '100% "_x_" \\'))["results"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a"},
        {"q": "a" * 101},
        {},
        {"q": "loop", "type": "tracks,songs"},
        {"q": "loop", "limit": 51},
        {"q": "loop", "limit": 0},
    ],
)
async def test_invalid_requests_are_422(client: AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/search/", params=params)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()


async def test_boundaries_of_q(client: AsyncClient) -> None:
    assert (await client.get("/search/", params={"q": "ab"})).status_code == 200
    assert (await client.get("/search/", params={"q": "a" * 100})).status_code == 200
    unknown = await client.get("/search/", params={"q": "ab", "type": "songs"})
    assert "songs" in unknown.json()["detail"]
