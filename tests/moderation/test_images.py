"""Sensitive artwork: uploaded artwork is scored in a task; at or above the threshold it is
marked sensitive and queued for review; a person's mark or clear stands; pages blur it for
those who did not ask to see it; `GET /moderation/sensitive-images` lists it. The threshold
logic runs with a stand-in scorer (no NSFW images ship with the tests); one test runs the
real classifier on a generated image."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.core.runtime import Runtime
from plyr.models import ModerationEvent, ModerationItem, SensitiveImage
from plyr.moderation.images import service
from plyr.moderation.images.classifier import SCORER_KEY, opennsfw_score
from plyr.moderation.images.tasks import run_scoring
from tests.app import PUBLIC_URL, User
from tests.audio.media import make_audio, make_image
from tests.helpers import new_album, poll, post_upload, wait_job
from tests.web.helpers import BROWSER, cookie

BLURRED = 'class="sensitive-art"'


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def score_with(app: FastAPI, scorer: Callable[[bytes], float]) -> None:
    runtime_of(app).process_state[SCORER_KEY] = scorer


async def image_row(app: FastAPI, image_id: str) -> SensitiveImage | None:
    async with runtime_of(app).sessionmaker() as db:
        return await db.get(SensitiveImage, image_id)


async def image_items(app: FastAPI) -> list[ModerationItem]:
    async with runtime_of(app).sessionmaker() as db:
        query = select(ModerationItem).where(ModerationItem.kind == "image")
        return list((await db.scalars(query)).all())


def image_id_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split(".")[0].removesuffix("_thumb")


async def album_with_cover(
    client: AsyncClient, user: User, title: str, color: int
) -> dict[str, Any]:
    album = await new_album(client, user, title)
    image = make_image("png", (40 + color, 40))
    response = await client.post(
        f"/albums/{album['id']}/cover",
        files={"image": ("cover.png", image, "image/png")},
        headers=user.auth,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def track_with_artwork(client: AsyncClient, user: User, tmp_path: Path) -> dict[str, Any]:
    audio = make_audio(tmp_path / "t.mp3", "mp3", 1, frequency=430)
    image = ("a.jpg", make_image("jpeg", (48, 48)), "image/jpeg")
    response = await post_upload(client, user, audio, image=image, title="With art")
    job = await wait_job(client, user, response.json()["upload_id"])
    track: dict[str, Any] = (await client.get(f"/tracks/{job['track_id']}")).json()
    return track


async def scored(app: FastAPI, image_id: str) -> SensitiveImage:
    return await poll(lambda: image_row(app, image_id), what=f"image {image_id} to be scored")


def test_the_real_classifier_scores_a_plain_image_low_and_stably() -> None:
    image = make_image("png", (64, 64))
    first, again = opennsfw_score(image), opennsfw_score(image)
    assert 0.0 <= first <= 1.0
    assert first == again
    assert first == pytest.approx(1.3e-4, abs=2e-3)  # a gradient is nothing like skin


async def test_artwork_at_the_threshold_is_marked_sensitive_and_queued(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    score_with(app, lambda data: 0.8)  # the default threshold: "at or above" flags
    album = await album_with_cover(client, alice, "Night", 0)
    image_id = image_id_of(album["image_url"])
    row = await scored(app, image_id)
    assert row.sensitive and row.score == 0.8 and row.decided_by is None
    [item] = await image_items(app)
    assert (item.status, item.target_type, item.target_id) == ("open", "image", image_id)
    assert item.score == 0.8 and item.details["album_ids"] == [album["id"]]
    listed = await client.get("/moderation/sensitive-images")
    assert listed.status_code == 200 and "max-age" in listed.headers["cache-control"]
    assert listed.json()["image_ids"] == [image_id]
    assert album["image_url"] in listed.json()["urls"]
    assert album["thumbnail_url"] in listed.json()["urls"]


async def test_artwork_below_the_threshold_is_kept_as_a_score_only(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    score_with(app, lambda data: 0.79)
    album = await album_with_cover(client, alice, "Day", 1)
    row = await scored(app, image_id_of(album["image_url"]))
    assert not row.sensitive and row.score == 0.79
    assert await image_items(app) == []
    assert (await client.get("/moderation/sensitive-images")).json()["image_ids"] == []


async def test_a_track_uploaded_with_artwork_is_scored(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    score_with(app, lambda data: 0.97)
    track = await track_with_artwork(client, alice, tmp_path)
    row = await scored(app, image_id_of(track["image_url"]))
    assert row.sensitive
    [item] = await image_items(app)
    assert item.track_id == track["id"] and item.details["track_ids"] == [track["id"]]


async def test_a_persons_decision_stands_against_a_later_score(
    app: FastAPI, client: AsyncClient, alice: User, bob: User
) -> None:
    score_with(app, lambda data: 0.99)
    album = await album_with_cover(client, alice, "Dusk", 2)
    image_id = image_id_of(album["image_url"])
    await scored(app, image_id)
    runtime = runtime_of(app)
    async with runtime.writer() as db:
        await service.clear_sensitive(db, image_id, actor=bob.did)
        await db.commit()
    assert await run_scoring(runtime, image_id, "png") == "known"
    row = await image_row(app, image_id)
    assert row is not None and not row.sensitive and row.decided_by == bob.did
    async with runtime.writer() as db:
        await service.record_score(db, image_id, "png", 0.99, threshold=0.8)
        await service.mark_sensitive(db, "0123456789abcdef", actor=bob.did)  # never scored
        await db.commit()
        events = (await db.scalars(select(ModerationEvent.action))).all()
    assert not (await image_row(app, image_id) or row).sensitive
    marked = await image_row(app, "0123456789abcdef")
    assert marked is not None and marked.sensitive
    assert {"clear_sensitive", "mark_sensitive"} <= set(events)


async def test_pages_blur_sensitive_artwork_unless_the_listener_asked(
    app: FastAPI, client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    score_with(app, lambda data: 0.95)
    track = await track_with_artwork(client, alice, tmp_path)
    album = await album_with_cover(client, alice, "Late", 3)
    order = {"track_ids": [track["id"]]}
    await client.put(f"/albums/{album['id']}/tracks", json=order, headers=alice.auth)
    await scored(app, image_id_of(album["image_url"]))
    await scored(app, image_id_of(track["image_url"]))
    pages = [
        f"/track/{track['id']}",  # the hero artwork, and the player's data
        "/u/alice.test/album/late",
        "/u/alice.test",  # cards and rows
        "/",
        f"/embed/track/{track['id']}",
        "/embed/album/alice.test/late",
    ]

    async def blurred_everywhere(headers: dict[str, str]) -> list[str] | None:
        htmls = [(await client.get(page, headers=headers)).text for page in pages]
        return htmls if all(BLURRED in html for html in htmls) else None

    htmls = await poll(lambda: blurred_everywhere(BROWSER), what="the artwork to be blurred")
    assert 'data-show-sensitive-artwork="false"' in htmls[0]
    assert "&#34;sensitive_art&#34;:true" in htmls[0] or '"sensitive_art":true' in htmls[0]
    assert 'property="og:image"' not in htmls[0]  # link previews do not show it either
    oembed = await client.get("/oembed", params={"url": f"{PUBLIC_URL}{pages[0]}"})
    assert oembed.status_code == 200 and "thumbnail_url" not in oembed.json()
    prefs = {"show_sensitive_artwork": True}
    assert (await client.post("/preferences", json=prefs, headers=bob.auth)).status_code == 200
    shown = (await client.get(pages[0], headers=cookie(bob))).text
    assert 'data-show-sensitive-artwork="true"' in shown  # the CSS does not blur then


async def test_unreadable_or_missing_artwork_gets_no_score(app: FastAPI) -> None:
    runtime = runtime_of(app)
    assert await run_scoring(runtime, "fedcba9876543210", "png") == "gone"
    assert await image_row(app, "fedcba9876543210") is None
