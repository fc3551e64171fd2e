"""Reports: anyone signed in may report what they can see; each report is an item in the
review queue; at most 10 an hour per account."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from plyr.models import ModerationItem
from plyr.moderation import repository
from tests.app import User


async def test_a_report_lands_in_the_queue(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User
) -> None:
    body = {
        "target_type": "track",
        "target_id": str(song["id"]),
        "reason": "copyright",
        "description": "this is my song",
    }
    response = await client.post("/moderation/reports", json=body, headers=bob.auth)
    assert response.status_code == 201, response.text
    async with app.state.runtime.sessionmaker() as db:
        item = await db.get(ModerationItem, response.json()["id"])
        assert item is not None
        assert (item.kind, item.status, item.target_type, item.target_id) == (
            "report",
            "open",
            "track",
            str(song["id"]),
        )
        assert (item.reporter_did, item.reason, item.track_id) == (bob.did, "copyright", song["id"])
        assert item.description == "this is my song"
        assert await repository.open_counts(db) == {"report": 1}


async def test_reports_about_every_kind_of_target(
    client: AsyncClient, song: dict[str, Any], alice: User, bob: User
) -> None:
    comment = await client.post(
        f"/tracks/{song['id']}/comments",
        json={"text": "hey", "timestamp_ms": 0},
        headers=alice.auth,
    )
    album = await client.post("/albums/", json={"title": "Alb"}, headers=alice.auth)
    playlist = await client.post("/lists/playlists", json={"name": "Pl"}, headers=alice.auth)
    targets = {
        "artist": alice.did,
        "comment": str(comment.json()["id"]),
        "album": str(album.json()["id"]),
        "playlist": str(playlist.json()["id"]),
    }
    for target_type, target_id in targets.items():
        body = {"target_type": target_type, "target_id": target_id, "reason": "abuse"}
        response = await client.post("/moderation/reports", json=body, headers=bob.auth)
        assert response.status_code == 201, (target_type, response.text)


async def test_what_cannot_be_seen_cannot_be_reported(
    client: AsyncClient, alice: User, bob: User
) -> None:
    hidden = await client.post(
        "/lists/playlists", json={"name": "Secret", "is_private": True}, headers=alice.auth
    )
    for target_type, target_id in [
        ("playlist", str(hidden.json()["id"])),
        ("track", "999999"),
        ("track", "not-a-number"),
        ("artist", "did:plc:nobody"),
        ("tag", "no-such-tag"),
    ]:
        body = {"target_type": target_type, "target_id": target_id, "reason": "spam"}
        response = await client.post("/moderation/reports", json=body, headers=bob.auth)
        assert response.status_code == 404, (target_type, target_id, response.text)


async def test_bad_reports_are_refused(
    client: AsyncClient, song: dict[str, Any], bob: User
) -> None:
    for body in [
        {"target_type": "track", "target_id": str(song["id"]), "reason": "boring"},
        {"target_type": "planet", "target_id": "1", "reason": "spam"},
        {
            "target_type": "track",
            "target_id": str(song["id"]),
            "reason": "spam",
            "description": "x" * 1001,
        },
    ]:
        response = await client.post("/moderation/reports", json=body, headers=bob.auth)
        assert response.status_code == 422, body
    anonymous = {"target_type": "track", "target_id": str(song["id"]), "reason": "spam"}
    assert (await client.post("/moderation/reports", json=anonymous)).status_code == 401


async def test_at_most_ten_reports_an_hour(
    client: AsyncClient, song: dict[str, Any], bob: User, alice: User
) -> None:
    body = {"target_type": "track", "target_id": str(song["id"]), "reason": "spam"}
    for _ in range(10):
        response = await client.post("/moderation/reports", json=body, headers=bob.auth)
        assert response.status_code == 201
    refused = await client.post("/moderation/reports", json=body, headers=bob.auth)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    # the budget is per account
    assert (
        await client.post("/moderation/reports", json=body, headers=alice.auth)
    ).status_code == 201
