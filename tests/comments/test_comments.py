"""Timed comments through the API: ordering, validation, the limit of 20 per track, the
artist's switch, author-only edits and deletes, and the count on the track."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User, make_user
from tests.audio.media import make_audio
from tests.helpers import upload_track


def comments_url(song: dict[str, Any]) -> str:
    return f"/tracks/{song['id']}/comments"


async def post(
    client: AsyncClient, user: User, song: dict[str, Any], text: str, at: int
) -> dict[str, Any]:
    response = await client.post(
        comments_url(song), headers=user.auth, json={"text": text, "timestamp_ms": at}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_comments_are_ordered_by_position_then_age(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    late = await post(client, bob, song, "the drop!", 2500)
    first = await post(client, alice, song, "  intro  ", 0)
    same_spot = await post(client, bob, song, "me too", 0)
    assert first["text"] == "intro"  # trimmed
    assert first["author"] == {
        "did": alice.did,
        "handle": "alice.test",
        "display_name": "alice.test",
        "avatar_url": None,
    }
    assert first["updated_at"] is None and first["created_at"]
    listed = (await client.get(comments_url(song))).json()
    assert [c["id"] for c in listed] == [first["id"], same_spot["id"], late["id"]]
    assert set(listed[0]) == {"id", "text", "timestamp_ms", "created_at", "updated_at", "author"}
    assert (await client.get(f"/tracks/{song['id']}")).json()["comment_count"] == 3


async def test_bad_comments_are_refused(
    client: AsyncClient, bob: User, song: dict[str, Any]
) -> None:
    url = comments_url(song)
    assert (await client.post(url, json={"text": "hi", "timestamp_ms": 0})).status_code == 401
    for body, status in (
        ({"text": "   ", "timestamp_ms": 0}, 422),
        ({"text": "", "timestamp_ms": 0}, 422),
        ({"text": "x" * 1001, "timestamp_ms": 0}, 422),
        ({"text": "é" * 600, "timestamp_ms": 0}, 422),  # 1200 bytes: too long for the record
        ({"text": "hi", "timestamp_ms": -1}, 422),
        ({"text": "hi"}, 422),
        ({"text": "hi", "timestamp_ms": 3000 + 1001}, 400),  # past the end of a 3 s track
    ):
        response = await client.post(url, headers=bob.auth, json=body)
        assert response.status_code == status, (body, response.text)
    ok = await client.post(url, headers=bob.auth, json={"text": "x" * 1000, "timestamp_ms": 4000})
    assert ok.status_code == 201  # within a second past the end is still the end
    assert (
        await client.post(
            "/tracks/99999/comments", headers=bob.auth, json={"text": "hi", "timestamp_ms": 0}
        )
    ).status_code == 404


async def test_at_most_20_comments_per_track(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    for i in range(20):  # the artist has no per-person cap on their own track
        await post(client, bob if i < 3 else alice, song, f"comment {i}", i * 100)
    carol = await make_user(app, "carol.test")
    refused = await client.post(
        comments_url(song), headers=carol.auth, json={"text": "one more", "timestamp_ms": 0}
    )
    assert refused.status_code == 400 and "maximum" in refused.json()["detail"]
    assert len((await client.get(comments_url(song))).json()) == 20
    assert (await client.get(f"/tracks/{song['id']}")).json()["comment_count"] == 20
    first = (await client.get(comments_url(song))).json()[0]
    assert (
        await client.delete(f"/tracks/comments/{first['id']}", headers=bob.auth)
    ).status_code == 204
    await post(client, carol, song, "a place freed", 0)


async def test_one_person_posts_at_most_3_of_a_tracks_comments(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    mine = [await post(client, bob, song, f"spam {i}", i * 100) for i in range(3)]
    refused = await client.post(
        comments_url(song), headers=bob.auth, json={"text": "spam 3", "timestamp_ms": 0}
    )
    assert refused.status_code == 400
    assert "3 comments on this track" in refused.json()["detail"]
    assert (await client.get(f"/tracks/{song['id']}")).json()["comment_count"] == 3
    # editing stays allowed; deleting one frees the person's place
    url = f"/tracks/comments/{mine[0]['id']}"
    assert (await client.patch(url, headers=bob.auth, json={"text": "fixed"})).status_code == 200
    assert (await client.delete(url, headers=bob.auth)).status_code == 204
    await post(client, bob, song, "spam 3", 0)
    await post(client, alice, song, "the artist is not capped", 0)


async def test_the_artist_deletes_any_comment_on_their_track(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    spam = await post(client, bob, song, "buy followers", 500)
    carol = await make_user(app, "carol.test")
    url = f"/tracks/comments/{spam['id']}"
    assert (await client.delete(url, headers=carol.auth)).status_code == 403  # not hers
    assert (await client.patch(url, headers=alice.auth, json={"text": "x"})).status_code == 403
    assert (await client.delete(url, headers=alice.auth)).status_code == 204
    assert (await client.get(comments_url(song))).json() == []
    assert (await client.get(f"/tracks/{song['id']}")).json()["comment_count"] == 0
    # the track page offers the artist the delete control on others' comments only
    kept = await post(client, bob, song, "nice", 600)
    alices_page = (await client.get(f"/track/{song['id']}", headers=alice.auth)).text
    item = alices_page[alices_page.index(f'data-comment-id="{kept["id"]}"') :]
    item = item[: item.index("</li>")]
    assert "data-comment-delete" in item and "data-comment-edit" not in item
    carols_page = (await client.get(f"/track/{song['id']}", headers=carol.auth)).text
    item = carols_page[carols_page.index(f'data-comment-id="{kept["id"]}"') :]
    assert "data-comment-delete" not in item[: item.index("</li>")]


async def test_the_artist_can_turn_comments_off(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    await post(client, bob, song, "before", 100)
    off = await client.post("/preferences", headers=alice.auth, json={"allow_comments": False})
    assert off.status_code == 200
    assert (await client.get(comments_url(song))).json() == []
    refused = await client.post(
        comments_url(song), headers=bob.auth, json={"text": "after", "timestamp_ms": 0}
    )
    assert refused.status_code == 403
    await client.post("/preferences", headers=alice.auth, json={"allow_comments": True})
    assert [c["text"] for c in (await client.get(comments_url(song))).json()] == ["before"]


async def test_only_the_author_edits_or_deletes(
    client: AsyncClient, alice: User, bob: User, song: dict[str, Any]
) -> None:
    mine = await post(client, alice, song, "first take", 1200)
    url = f"/tracks/comments/{mine['id']}"
    assert (await client.patch(url, json={"text": "x"})).status_code == 401
    assert (await client.delete(url)).status_code == 401
    assert (await client.patch(url, headers=bob.auth, json={"text": "mine now"})).status_code == 403
    assert (await client.delete(url, headers=bob.auth)).status_code == 403
    assert (
        await client.patch("/tracks/comments/987654", headers=alice.auth, json={"text": "x"})
    ).status_code == 404
    assert (await client.delete("/tracks/comments/987654", headers=alice.auth)).status_code == 404
    assert (await client.patch(url, headers=alice.auth, json={"text": " "})).status_code == 422

    edited = await client.patch(url, headers=alice.auth, json={"text": "second take"})
    assert edited.status_code == 200
    body = edited.json()
    assert body["text"] == "second take" and body["timestamp_ms"] == 1200
    assert body["updated_at"] is not None and body["updated_at"] > body["created_at"]
    listed = (await client.get(comments_url(song))).json()
    assert [c["text"] for c in listed] == ["second take"]

    assert (await client.delete(url, headers=alice.auth)).status_code == 204
    assert (await client.get(comments_url(song))).json() == []
    assert (await client.get(f"/tracks/{song['id']}")).json()["comment_count"] == 0
    assert (await client.delete(url, headers=alice.auth)).status_code == 404


async def test_comments_of_an_invisible_track_are_hidden(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "p.mp3", "mp3", seconds=1, frequency=390)
    private = await upload_track(client, alice, path, title="Private", visibility="private")
    url = f"/tracks/{private['id']}/comments"
    assert (await client.get(url, headers=bob.auth)).status_code == 404
    body = {"text": "hi", "timestamp_ms": 0}
    assert (await client.post(url, headers=bob.auth, json=body)).status_code == 404
    assert (await client.post(url, headers=alice.auth, json=body)).status_code == 201
