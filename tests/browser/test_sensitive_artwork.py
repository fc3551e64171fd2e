"""Sensitive artwork in a real browser: blurred for a signed-out visitor on the track page,
in the player and in the embed; a click reveals it (and does not follow the click's usual
action); a listener who turned on "show sensitive artwork" in settings sees it unblurred."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.db import create_engine
from plyr.moderation.images import service
from tests.atnet.network import Account
from tests.audio.media import make_audio, make_image
from tests.browser.helpers import ConsoleErrors, LiveServer, shoot, sign_in_through_pages
from tests.helpers import finished, poll, poll_sync
from tests.servers import dev_token, plyr_env

HERO = "main img.sensitive-art"
FREQUENCIES = iter(range(700, 1000, 7))  # each upload its own audio: no duplicate refused


def upload_with_artwork(live_server: LiveServer, folder: Path) -> dict[str, Any]:
    """A track by the developer session, with (generated) artwork."""
    env = plyr_env(live_server.data_dir, PLYR_PUBLIC_URL=live_server.url)
    auth = {"Authorization": f"Bearer {dev_token(env)}"}
    path = make_audio(folder / "art.mp3", "mp3", 2, frequency=next(FREQUENCIES))
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        response = http.post(
            "/tracks/",
            headers=auth,
            data={"title": "Covered"},
            files={
                "file": (path.name, path.read_bytes(), "audio/mpeg"),
                "image": ("cover.png", make_image("png", (300, 300)), "image/png"),
            },
        )
        response.raise_for_status()
        job_url = f"/jobs/{response.json()['upload_id']}"
        job = poll_sync(
            lambda: finished(http.get(job_url, headers=auth).json()),
            timeout=30,
            what="the upload to finish",
        )
        assert job["status"] == "completed", job
        track: dict[str, Any] = http.get(f"/tracks/{job['track_id']}").json()
    return track


async def mark_in_live_server(live_server: LiveServer, image_id: str) -> None:
    """What an admin's "mark sensitive" does, on the server's own database."""
    engine = create_engine(f"sqlite+aiosqlite:///{live_server.data_dir.resolve() / 'plyr.db'}")

    async def mark() -> bool:
        try:
            async with AsyncSession(engine) as db:
                await service.mark_sensitive(db, image_id, actor="did:plc:admin")
                await db.commit()
        except OperationalError:  # the server's worker holds the write lock: again
            return False
        return True

    try:
        await poll(mark, timeout=30, interval=0.2, what="the database to take the mark")
    finally:
        await engine.dispose()


@pytest.fixture
async def sensitive_track(live_server: LiveServer, tmp_path: Path) -> dict[str, Any]:
    track = upload_with_artwork(live_server, tmp_path)
    image_id = track["image_url"].rsplit("/", 1)[1].split(".")[0]
    await mark_in_live_server(live_server, image_id)
    return track


async def filter_of(page: Page, selector: str) -> str:
    value: str = await page.eval_on_selector(selector, "el => getComputedStyle(el).filter")
    return value


async def reload_until_blurred(page: Page, url: str, selector: str = HERO) -> None:
    async def blurred() -> bool:
        await page.goto(url)
        return await page.locator(selector).count() > 0

    await poll(blurred, timeout=30, interval=0.5, what="the artwork to be marked sensitive")


async def test_signed_out_visitors_see_it_blurred_until_they_click(
    page: Page, console: ConsoleErrors, sensitive_track: dict[str, Any]
) -> None:
    url = f"/track/{sensitive_track['id']}"
    await reload_until_blurred(page, url)
    assert "blur" in await filter_of(page, HERO)
    await shoot(page, "sensitive-artwork-blurred")
    await page.click(HERO)
    assert await page.locator("main img.sensitive-art.revealed").count() == 1
    assert await filter_of(page, HERO) == "none"
    assert page.url.endswith(url)
    await page.click("main [data-action=play]")
    player_art = "#player-art.sensitive-art"
    await page.locator(player_art).wait_for(state="attached")
    assert "blur" in await filter_of(page, player_art)  # the player blurs it too
    # artwork from the JSON API (a restored queue, recommendations) is looked up by URL
    console.allow("status of 404")  # the made-up image of the second lookup
    looked_up = await page.evaluate(
        """async (urls) => {
            const { markIfSensitive } = await import("/static/js/sensitive.js");
            return Promise.all(urls.map(async (url) => {
                const img = Object.assign(document.createElement("img"), { src: url, alt: "" });
                await markIfSensitive(img, url);
                return img.classList.contains("sensitive-art");
            }));
        }""",
        [sensitive_track["thumbnail_url"], "/media/images/0000000000000000.png"],
    )
    assert looked_up == [True, False]


async def test_the_embed_blurs_it(
    browser: Browser, live_server: LiveServer, sensitive_track: dict[str, Any]
) -> None:
    context = await browser.new_context(base_url=live_server.url)
    page = await context.new_page()
    console = ConsoleErrors()
    console.watch(page)
    art = "img.sensitive-art"
    await reload_until_blurred(page, f"/embed/track/{sensitive_track['id']}", art)
    assert "blur" in await filter_of(page, art)
    await page.click(art)
    assert await filter_of(page, art) == "none"
    assert not console.unexpected()
    await context.close()


async def test_a_listener_who_asked_sees_it_unblurred(
    page: Page, listener: Account, sensitive_track: dict[str, Any]
) -> None:
    url = f"/track/{sensitive_track['id']}"
    await sign_in_through_pages(page, listener, url)
    await reload_until_blurred(page, url)
    assert "blur" in await filter_of(page, HERO)  # the preference is off by default
    await page.goto("/settings")
    await page.check("input[name=show_sensitive_artwork]")
    await page.click("#settings-form button[type=submit]")
    await page.get_by_text("settings saved").wait_for()
    await page.goto(url)
    assert await page.get_attribute("html", "data-show-sensitive-artwork") == "true"
    assert await filter_of(page, HERO) == "none"
    await shoot(page, "sensitive-artwork-shown")
