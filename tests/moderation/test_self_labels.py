"""Creators' self-labels become Label rows (origin "self", src = the artist) on the track's
record URI, following the track: a value dropped is negated, only content warnings count,
and the track pipeline queues the sync by name after the record is synced."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from plyr.core.runtime import Runtime
from plyr.models import Label, Track
from plyr.moderation.labeler import self_labels, service
from plyr.tracks import publishing
from tests.app import User
from tests.helpers import poll
from tests.jams.sockets import add_tracks


async def labelled_track(runtime: Runtime, artist: User, values: list[str]) -> tuple[int, str]:
    (track_id,) = await add_tracks(runtime.settings.resolved_database_url, artist.did, 1)
    uri = f"at://{artist.did}/fm.plyr.track/3k{track_id}"
    await set_labels(runtime, track_id, values, uri=uri)
    return track_id, uri


async def set_labels(runtime: Runtime, track_id: int, values: list[str], uri: str = "") -> None:
    async with runtime.writer() as db:
        track = await db.get(Track, track_id)
        assert track is not None
        track.self_labels = values
        track.atproto_record_uri = uri or track.atproto_record_uri
        await db.commit()


async def rows(runtime: Runtime, uri: str) -> list[tuple[str, str, bool, str]]:
    async with runtime.sessionmaker() as db:
        found = await db.execute(select(Label).where(Label.uri == uri).order_by(Label.seq))
        return [(x.origin, x.val, x.neg, x.src) for x in found.scalars().all()]


async def test_self_labels_follow_the_track(
    app: FastAPI, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied: list[dict[str, Any]] = []

    async def apply_label(db: Any, **label: Any) -> None:
        applied.append(label)

    monkeypatch.setattr(service, "apply_effect", apply_label)
    runtime: Runtime = app.state.runtime
    track_id, uri = await labelled_track(runtime, alice, ["sexual", "!takedown", "nudity"])
    await self_labels.sync(runtime, track_id)
    assert await self_labels.sync(runtime, track_id) == []  # nothing changed: nothing added
    await set_labels(runtime, track_id, ["porn", "nudity"])
    await self_labels.sync(runtime, track_id)
    assert await rows(runtime, uri) == [
        ("self", "nudity", False, alice.did),
        ("self", "sexual", False, alice.did),
        ("self", "porn", False, alice.did),
        ("self", "sexual", True, alice.did),
    ]
    assert [(x["val"], x["neg"], x["src"]) for x in applied][-2:] == [
        ("porn", False, alice.did),
        ("sexual", True, alice.did),
    ]


async def test_the_track_pipeline_queues_the_sync_by_name(app: FastAPI, alice: User) -> None:
    runtime: Runtime = app.state.runtime
    track_id, uri = await labelled_track(runtime, alice, ["graphic-media"])
    await publishing.sync_record(runtime, track_id)
    await poll(lambda: rows(runtime, uri), what="the self-label")
    assert await rows(runtime, uri) == [("self", "graphic-media", False, alice.did)]
