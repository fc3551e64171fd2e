"""The review queue: flags of one kind about one target are one item; every report is its
own; every opening and resolution is in the append-only log."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from plyr.core.runtime import Runtime
from plyr.models import ModerationEvent, ModerationItem
from plyr.moderation import queue, repository
from tests.app import User


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def test_a_flag_raised_again_updates_the_open_item(
    app: FastAPI, song: dict[str, Any]
) -> None:
    async with runtime_of(app).writer() as db:
        first = await queue.open_item(
            db, kind="scan", target_type="track", target_id=song["id"], reason="likely", score=0.1
        )
        again = await queue.open_item(
            db, kind="scan", target_type="track", target_id=song["id"], reason="likely", score=0.05
        )
        assert again.id == first.id and again.score == 0.05
        other = await queue.open_item(
            db, kind="scan", target_type="track", target_id=song["id"], reason="possible"
        )
        assert other.id != first.id
        assert await repository.open_counts(db) == {"scan": 2}


async def test_reports_are_each_their_own_item_and_resolutions_are_logged(
    app: FastAPI, song: dict[str, Any], alice: User, bob: User
) -> None:
    async with runtime_of(app).writer() as db:
        items = [
            await queue.open_item(
                db,
                kind="report",
                target_type="track",
                target_id=song["id"],
                reporter_did=who.did,
                reason="spam",
            )
            for who in (alice, bob)
        ]
        assert items[0].id != items[1].id
        await queue.resolve_item(db, items[0], actor=bob.did, resolution="dismiss", reason="ok")
        assert items[0].status == "resolved" and items[0].resolved_by == bob.did
        events = await repository.events_about(db, "track", str(song["id"]))
        assert [(e.actor, e.action) for e in events] == [
            (alice.did, "report_opened"),
            (bob.did, "report_opened"),
            (bob.did, "dismiss"),
        ]
        open_reports = await db.scalar(select(func.count()).where(ModerationItem.status == "open"))
        assert open_reports == 1
        assert await db.scalar(select(func.count()).select_from(ModerationEvent)) == 3
