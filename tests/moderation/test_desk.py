"""The review desk: admins only (others 404); each action resolves its item, is logged, and
where it changes visibility asks the labeler for a label (or its negation), or hides an
item without a record directly. The labeler, effects and images parts are stood in for
here (`plyr.moderation.links`) until they are merged."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.core.runtime import Runtime
from plyr.models import Track
from plyr.moderation import desk, links, queue, repository
from tests.app import User
from tests.moderation.helpers import make_admin

Calls = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """What the desk asked of the labeler, effects and images parts."""
    made: Calls = []

    def recording(name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> bool:
            made.append((name, {k: v for k, v in kwargs.items() if k != "actor"}))
            return True

        return call

    for name in ("issue_label", "takedown", "restore", "mark_sensitive", "clear_sensitive"):
        monkeypatch.setattr(links, name, recording(name))
    return made


async def _open(app: FastAPI, **fields: Any) -> int:
    async with app.state.runtime.writer() as db:
        item = await queue.open_item(db, **fields)
        await db.commit()
        return item.id


async def _report(app: FastAPI, song: dict[str, Any], who: User) -> int:
    return await _open(
        app,
        kind="report",
        target_type="track",
        target_id=song["id"],
        track_id=song["id"],
        reporter_did=who.did,
        reason="abuse",
    )


async def _act(client: AsyncClient, admin: User, item_id: int, action: str, **extra: Any) -> Any:
    data = {"action": action, "reason": "decided"}
    return await client.post(
        f"/moderation/items/{item_id}/actions", data=data, headers=admin.auth, **extra
    )


async def test_only_admins_see_the_desk(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User
) -> None:
    await _report(app, song, bob)
    admin = await make_admin(app)
    page = await client.get("/admin", headers=admin.auth)
    assert page.status_code == 200
    assert "1 reports" in page.text and 'id="item-' in page.text and "take down" in page.text
    assert (await client.get("/admin", headers=bob.auth)).status_code == 404
    assert (await client.get("/admin")).status_code == 404


async def test_take_down_labels_the_record_and_resolves(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User, calls: Calls
) -> None:
    item_id = await _report(app, song, bob)
    admin = await make_admin(app)
    uri = await _uri(app, song["id"])
    response = await _act(client, admin, item_id, "take_down")
    assert response.status_code == 200, response.text
    assert response.json() == {"id": item_id, "status": "resolved", "resolution": "take_down"}
    assert calls == [("issue_label", {"uri": uri, "val": "!takedown", "neg": False})]
    again = await _act(client, admin, item_id, "dismiss")
    assert again.status_code == 409
    async with app.state.runtime.sessionmaker() as db:
        events = await repository.events_about(db, "track", str(song["id"]))
    assert [(e.actor, e.action, e.reason) for e in events][-1] == (
        admin.did,
        "take_down",
        "decided",
    )


async def test_each_action_does_what_it_says(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User, calls: Calls
) -> None:
    admin = await make_admin(app)
    uri = await _uri(app, song["id"])
    scan = {"kind": "scan", "target_type": "track", "target_id": song["id"]}
    expected: list[tuple[dict[str, Any], str, Calls]] = [
        (
            {**scan, "reason": "likely", "details": {"matched_track_id": song["id"]}},
            "uphold_copyright",
            [("issue_label", {"uri": uri, "val": "copyright-violation", "neg": False})],
        ),
        ({**scan, "reason": "possible"}, "false_positive", []),
        ({**scan, "reason": "x"}, "original_artist", []),
        (
            {"kind": "image", "target_type": "image", "target_id": "abc123"},
            "mark_sensitive",
            [("mark_sensitive", {})],
        ),
        (
            {"kind": "image", "target_type": "image", "target_id": "def456"},
            "clear_sensitive",
            [("clear_sensitive", {})],
        ),
        (
            {
                "kind": "report",
                "target_type": "track",
                "target_id": song["id"],
                "reason": "explicit",
            },
            "mark_sensitive",
            [("issue_label", {"uri": uri, "val": "sexual", "neg": False})],
        ),
        (
            {"kind": "report", "target_type": "tag", "target_id": "spam", "reason": "spam"},
            "dismiss",
            [],
        ),
        ({"kind": "report", "target_type": "artist", "target_id": bob.did}, "dismiss", []),
    ]
    for fields, action, made in expected:
        calls.clear()
        item_id = await _open(app, **fields)
        response = await _act(client, admin, item_id, action)
        assert response.status_code == 200, (action, response.text)
        assert calls == made, action
    async with app.state.runtime.sessionmaker() as db:
        assert await repository.open_counts(db) == {}


async def test_actions_that_do_not_fit_are_refused(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User, calls: Calls
) -> None:
    admin = await make_admin(app)
    report = await _report(app, song, bob)
    assert (await _act(client, admin, report, "original_artist")).status_code == 422
    assert (await _act(client, admin, report, "explode")).status_code == 422
    assert (await _act(client, admin, 999_999, "dismiss")).status_code == 404
    assert calls == []


async def test_htmx_gets_the_resolved_card(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User, calls: Calls
) -> None:
    admin = await make_admin(app)
    item_id = await _report(app, song, bob)
    response = await _act(client, admin, item_id, "dismiss")
    assert response.status_code == 200
    card = await client.post(
        f"/moderation/items/{await _report(app, song, bob)}/actions",
        data={"action": "dismiss"},
        headers={**admin.auth, "HX-Request": "true"},
    )
    assert card.status_code == 200 and "resolved: <strong>dismiss</strong>" in card.text


async def test_restore_withdraws_both_hiding_labels(
    app: FastAPI, song: dict[str, Any], calls: Calls
) -> None:
    runtime: Runtime = app.state.runtime
    uri = await _uri(app, song["id"])
    async with runtime.writer() as db:
        await desk.restore(db, runtime, "track", str(song["id"]), actor="did:plc:a", reason="ok")
        await db.commit()
    assert calls == [
        ("issue_label", {"uri": uri, "val": "!takedown", "neg": True}),
        ("issue_label", {"uri": uri, "val": "copyright-violation", "neg": True}),
    ]


async def _uri(app: FastAPI, track_id: int) -> str:
    """The track's record URI (test users have no PDS: one is given here)."""
    async with app.state.runtime.writer() as db:
        track = await db.get(Track, track_id)
        assert track is not None
        track.atproto_record_uri = f"at://{track.artist_did}/fm.plyr.track/t{track_id}"
        await db.commit()
        uri = await repository.label_uri(db, "track", str(track_id))
    assert uri == f"at://{track.artist_did}/fm.plyr.track/t{track_id}"
    return uri


async def test_a_track_without_a_record_is_hidden_directly(
    app: FastAPI, client: AsyncClient, song: dict[str, Any], bob: User, calls: Calls
) -> None:
    admin = await make_admin(app)
    item_id = await _report(app, song, bob)
    assert (await _act(client, admin, item_id, "take_down")).status_code == 200
    assert calls == [
        ("takedown", {"target_type": "track", "target_id": str(song["id"]), "reason": "decided"})
    ]


async def test_the_artist_sees_a_takedown_and_why_in_the_portal(
    app: FastAPI,
    client: AsyncClient,
    song: dict[str, Any],
    alice: User,
    bob: User,
    calls: Calls,
) -> None:
    admin = await make_admin(app)
    item_id = await _report(app, song, bob)
    assert (await client.get("/portal", headers=alice.auth)).text.count("takedown-notice") == 0
    data = {"action": "take_down", "reason": "stolen recording"}
    await client.post(f"/moderation/items/{item_id}/actions", data=data, headers=admin.auth)
    portal = await client.get("/portal", headers=alice.auth)
    assert "taken down: stolen recording" in portal.text
    runtime: Runtime = app.state.runtime
    async with runtime.writer() as db:
        await desk.restore(db, runtime, "track", str(song["id"]), actor=admin.did, reason="ok")
        await db.commit()
    assert "takedown-notice" not in (await client.get("/portal", headers=alice.auth)).text
