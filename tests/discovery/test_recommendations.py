"""Playlist recommendations (seed 003): each strategy branch (1 track: direct; 2-5: RRF;
6+: k-means centroids, RRF) recommends tracks that sound like the playlist's, never its
members nor tracks not everyone may be shown; answers are cached under the playlist's
revision; the owner only; `available: false` rather than an error."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.discovery import recommendations
from plyr.discovery.recommendations import kmeans, query_vectors, rrf_merge
from plyr.discovery.vectors import Neighbour, Vector
from plyr.discovery.vectors.base import unit
from tests.app import User
from tests.discovery import synth
from tests.discovery.catalogue import (
    add_artist,
    add_track,
    analysed_embedding,
    direction,
    near,
    write_analysis_directly,
)
from tests.helpers import add_to_playlist, new_playlist

HIDDEN = {
    "private": {"visibility": "private"},
    "unlisted": {"visibility": "unlisted"},
    "gated": {"support_gate": "any"},
    "unpublished": {"status": "pending"},
}


async def hidden_neighbours(app: FastAPI, artist: str, base: Vector, seed: int) -> set[int]:
    """Tracks nearer to `base` than anything public, in every standing discovery must not
    recommend."""
    ids = set()
    for i, (name, columns) in enumerate(HIDDEN.items()):
        track_id = await add_track(app, artist, f"{name} {seed}", **columns)
        await write_analysis_directly(app, {track_id: near(base, seed * 10 + i, 0.97)})
        ids.add(track_id)
    return ids


async def recommend(
    client: AsyncClient, user: User, playlist_id: int, limit: int = 3
) -> dict[str, Any]:
    response = await client.get(
        f"/lists/playlists/{playlist_id}/recommendations",
        params={"limit": limit},
        headers=user.auth,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def playlist_of(client: AsyncClient, user: User, track_ids: list[int], **kw: Any) -> int:
    playlist = await new_playlist(client, user, "mix", **kw)
    for track_id in track_ids:
        assert await add_to_playlist(client, user, playlist["id"], track_id) == 200
    return int(playlist["id"])


class Catalogue:
    """Members by sound region, three close public neighbours per region, hidden
    look-alikes even closer, and public noise far from everything."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.members: list[int] = []
        self.neighbours: dict[int, list[int]] = {}  # region -> its close public tracks
        self.hidden: set[int] = set()

    async def build(self, regions: list[int], per_region: int, artist: str, other: str) -> None:
        embeddings: dict[int, Vector] = {}
        for region in regions:
            base = direction(region)
            for i in range(per_region):
                member = await add_track(self.app, artist, f"member {region}.{i}")
                embeddings[member] = near(base, region * 100 + i, 0.9)
                self.members.append(member)
            for i in range(3):
                neighbour = await add_track(self.app, other, f"neighbour {region}.{i}")
                embeddings[neighbour] = near(base, region * 100 + 50 + i, 0.9)
                self.neighbours.setdefault(region, []).append(neighbour)
            self.hidden |= await hidden_neighbours(self.app, other, base, region)
        for i in range(30):
            noise = await add_track(self.app, other, f"noise {i}")
            embeddings[noise] = direction(5000 + i)
        await write_analysis_directly(self.app, embeddings)


@pytest.fixture
async def other_artist(app: FastAPI) -> str:
    return await add_artist(app, "carol.test")


def ids(answer: dict[str, Any]) -> list[int]:
    return [t["id"] for t in answer["tracks"]]


def assert_visible_non_members(
    answer: dict[str, Any], catalogue: Catalogue, members: list[int]
) -> None:
    assert answer["available"] is True
    found = ids(answer)
    assert found and len(found) == len(set(found))
    assert not set(found) & set(members)
    assert not set(found) & catalogue.hidden
    assert all(t["visibility"] == "public" and t["support_gate"] is None for t in answer["tracks"])


async def test_one_track_recommends_its_direct_neighbours(
    app: FastAPI, client: AsyncClient, alice: User, other_artist: str
) -> None:
    catalogue = Catalogue(app)
    await catalogue.build([1], 1, alice.did, other_artist)
    playlist = await playlist_of(client, alice, catalogue.members)
    answer = await recommend(client, alice, playlist, limit=5)
    assert_visible_non_members(answer, catalogue, catalogue.members)
    assert len(ids(answer)) == 5
    assert set(ids(answer)[:3]) == set(catalogue.neighbours[1])


async def test_three_tracks_fuse_one_query_each(
    app: FastAPI, client: AsyncClient, alice: User, other_artist: str
) -> None:
    catalogue = Catalogue(app)
    await catalogue.build([1], 3, alice.did, other_artist)
    playlist = await playlist_of(client, alice, catalogue.members)
    answer = await recommend(client, alice, playlist, limit=3)
    assert_visible_non_members(answer, catalogue, catalogue.members)
    # near every member: high in all three lists, so first after the fusion
    assert set(ids(answer)) == set(catalogue.neighbours[1])


async def test_seven_tracks_query_their_centroids(
    app: FastAPI, client: AsyncClient, alice: User, other_artist: str
) -> None:
    catalogue = Catalogue(app)
    await catalogue.build([1, 2], 4, alice.did, other_artist)
    members = catalogue.members[:7]  # 4 + 3 in two sound regions: three centroids
    left_out = catalogue.members[7]  # region 2's fourth track, not in the playlist
    playlist = await playlist_of(client, alice, members)
    answer = await recommend(client, alice, playlist, limit=10)
    assert_visible_non_members(answer, catalogue, members)
    near_either = {*catalogue.neighbours[1], *catalogue.neighbours[2], left_out}
    # both regions are asked: every close track of either is among the ten (where they
    # rank among noise found by all three lists is RRF's business, not asserted)
    assert near_either <= set(ids(answer))


async def test_answers_are_cached_until_the_playlist_changes(
    app: FastAPI,
    client: AsyncClient,
    alice: User,
    other_artist: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalogue = Catalogue(app)
    await catalogue.build([1], 1, alice.did, other_artist)
    playlist = await playlist_of(client, alice, catalogue.members)
    first = await recommend(client, alice, playlist)

    computed: list[list[int]] = []
    similar_to = recommendations.similar_to

    async def counted(*args: Any, **kwargs: Any) -> list[int] | None:
        found = await similar_to(*args, **kwargs)
        computed.append(found or [])
        return found

    monkeypatch.setattr(recommendations, "similar_to", counted)
    assert await recommend(client, alice, playlist) == first
    assert computed == []  # served from the cache

    top = ids(first)[0]
    assert await add_to_playlist(client, alice, playlist, top) == 200
    after = await recommend(client, alice, playlist)
    assert len(computed) == 1  # a new revision: computed afresh
    assert top not in ids(after) and after["available"] is True


async def test_a_private_playlist_is_keyed_by_its_revision(
    app: FastAPI, client: AsyncClient, alice: User, other_artist: str
) -> None:
    catalogue = Catalogue(app)
    await catalogue.build([1], 2, alice.did, other_artist)
    playlist = await playlist_of(client, alice, catalogue.members[:1], is_private=True)
    before = await recommend(client, alice, playlist, limit=5)
    # the second member is as close to the first as the neighbours: recommended until added
    assert catalogue.members[1] in ids(before)[:4]
    assert await add_to_playlist(client, alice, playlist, catalogue.members[1]) == 200
    assert catalogue.members[1] not in ids(await recommend(client, alice, playlist, limit=5))


async def test_only_the_owner_may_ask(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, other_artist: str
) -> None:
    track = await add_track(app, other_artist, "a song")
    public = await playlist_of(client, alice, [track])
    private = await playlist_of(client, alice, [track], is_private=True)
    path = "/lists/playlists/{}/recommendations"
    assert (await client.get(path.format(public), headers=bob.auth)).status_code == 403
    assert (await client.get(path.format(private), headers=bob.auth)).status_code == 404
    assert (await client.get(path.format(999_999), headers=alice.auth)).status_code == 404
    assert (await client.get(path.format(public))).status_code == 401
    for limit in (0, 11):
        response = await client.get(
            path.format(public), params={"limit": limit}, headers=alice.auth
        )
        assert response.status_code == 422


async def test_unavailable_without_analysis_or_when_the_store_fails(
    app: FastAPI,
    client: AsyncClient,
    alice: User,
    other_artist: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = await playlist_of(client, alice, [])
    assert await recommend(client, alice, empty) == {"tracks": [], "available": False}
    unanalysed = await add_track(app, other_artist, "not analysed yet")
    playlist = await playlist_of(client, alice, [unanalysed])
    assert await recommend(client, alice, playlist) == {"tracks": [], "available": False}

    await write_analysis_directly(app, {unanalysed: direction(1)})

    async def broken(*_: Any) -> Any:
        raise RuntimeError("the vector store is down")

    monkeypatch.setattr(recommendations, "vector_store", broken)
    assert await recommend(client, alice, playlist) == {"tracks": [], "available": False}


# --- the strategy, on its own ---------------------------------------------------------------


def test_query_vectors_follow_the_playlist_size() -> None:
    vectors = [direction(i) for i in range(12)]
    assert [len(query_vectors(vectors[:n])) for n in (1, 2, 5, 6, 7, 12)] == [1, 2, 5, 3, 3, 3]
    assert np.array_equal(query_vectors(vectors[:1])[0], vectors[0])


def test_kmeans_is_deterministic_and_finds_the_regions() -> None:
    regions = [direction(1), direction(2), direction(3)]
    points = np.stack([near(regions[i % 3], i, 0.9) for i in range(9)])
    first, again = kmeans(points, 3), kmeans(points, 3)
    assert np.array_equal(first, again)
    closest = {int(np.argmax([float(unit(c) @ r) for r in regions])) for c in first}
    assert closest == {0, 1, 2}


def test_rrf_sums_reciprocal_ranks_with_k_60() -> None:
    a = [Neighbour(1, 0.9), Neighbour(2, 0.8), Neighbour(3, 0.7)]
    b = [Neighbour(3, 0.95), Neighbour(2, 0.6)]
    # 3: 1/63 + 1/61 = 0.032266 > 2: 1/62 + 1/62 = 0.032258 > 1: 1/61
    assert rrf_merge([a, b]) == [3, 2, 1]
    assert rrf_merge([a, b], k=0) == [3, 1, 2]  # 1/3 + 1/1, 1/1, 1/2 + 1/2 (a tie: 0.9)
    assert rrf_merge([b, a]) == rrf_merge([a, b])
    # a tie goes to the better similarity
    assert rrf_merge([[Neighbour(7, 0.5)], [Neighbour(8, 0.9)]]) == [8, 7]


async def test_a_pad_playlist_recommends_the_other_pad_before_the_drums(
    app: FastAPI, client: AsyncClient, alice: User, other_artist: str
) -> None:
    """On generated audio through the real models: what sounds alike is recommended."""
    clips = {
        "pad": synth.ambient_pad(10),
        "another pad": synth.ambient_pad(12),
        "drums": synth.drums(10),
        "piano": synth.piano_arpeggio(10),
    }
    tracks = {title: await add_track(app, other_artist, title) for title in clips}
    await write_analysis_directly(
        app, {tracks[title]: analysed_embedding(samples) for title, samples in clips.items()}
    )
    playlist = await playlist_of(client, alice, [tracks["pad"]])
    answer = await recommend(client, alice, playlist)
    assert ids(answer)[0] == tracks["another pad"]
    assert ids(answer).index(tracks["another pad"]) < ids(answer).index(tracks["drums"])
