"""Playlists and albums in Chromium: a listener makes a playlist in the library, adds tracks
to it from their rows' playlist menu, opens it and plays it all, and reorders it by dragging;
an artist uploads an album from the upload page, in the order they set."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.atnet.network import Account
from tests.audio.media import make_audio
from tests.browser.helpers import PHONE, CatalogTrack, ConsoleErrors, shoot, sign_in_through_pages


async def add_to(page: Page, title: str, playlist: str) -> None:
    row = page.locator(".track-row", has_text=title).first
    await row.locator("[data-action=playlist-menu]").click()
    menu = page.locator("#playlist-menu")
    await expect(menu).to_be_visible()
    await menu.get_by_role("menuitem", name=playlist).click()
    await expect(page.locator("#toasts")).to_contain_text(f"added to {playlist}")
    await expect(menu).to_be_hidden()


async def test_make_a_playlist_add_tracks_and_play_it(
    page: Page, listener: Account, catalog: list[CatalogTrack], console: ConsoleErrors
) -> None:
    console.allow("status of 409")  # adding a track twice is refused on purpose below
    await sign_in_through_pages(page, listener, "/library")
    await expect(page.locator("main h1")).to_have_text("library")
    await page.fill("#new-playlist-name", "Evening Walk")
    await page.click("[data-create-playlist] button[type=submit]")
    card = page.locator(".collection-card", has_text="Evening Walk")
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("0 tracks")
    await shoot(page, "library-desktop")

    await page.goto("/tag/catalog")
    row = page.locator(".track-row", has_text="Short Two").first
    await row.locator("[data-action=playlist-menu]").click()
    await expect(page.locator("#playlist-menu")).to_contain_text("+ new playlist")
    await shoot(page, "playlist-menu-desktop")
    await page.keyboard.press("Escape")
    await expect(page.locator("#playlist-menu")).to_be_hidden()
    await add_to(page, "Short Two", "Evening Walk")
    await add_to(page, "Short One", "Evening Walk")
    # the same track again: the menu says so, and nothing is added twice
    row = page.locator(".track-row", has_text="Short One").first
    await row.locator("[data-action=playlist-menu]").click()
    await page.locator("#playlist-menu").get_by_role("menuitem", name="Evening Walk").click()
    await expect(page.locator("#toasts")).to_contain_text("already in Evening Walk")

    await page.goto("/library")
    await page.locator(".collection-card .card-title", has_text="Evening Walk").click()
    await page.wait_for_url("**/playlist/*")
    titles = page.locator("main .track-row .row-title")
    await expect(titles).to_have_text(["Short Two", "Short One"])
    await expect(page.locator("main h1")).to_have_text("Evening Walk")

    # drag the second track above the first: the new order is saved
    rows = page.locator("main .track-row")
    await rows.nth(1).drag_to(rows.nth(0), target_position={"x": 200, "y": 5})
    await expect(page.locator("#toasts")).to_contain_text("order saved")
    await page.reload()
    await expect(titles).to_have_text(["Short One", "Short Two"])

    await page.click("main [data-action=play-all]")
    await expect(page.locator("#player-title")).to_have_text("Short One")
    await page.wait_for_function("() => window.plyr.player.audio.currentTime > 0.2", timeout=15_000)
    await expect(page.locator("#player-title")).to_have_text("Short Two", timeout=15_000)
    await shoot(page, "playlist-desktop")
    await page.set_viewport_size(PHONE)
    await shoot(page, "playlist-phone")
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")


async def test_upload_an_album_in_the_order_set(
    page: Page, listener: Account, tmp_path: Path
) -> None:
    await sign_in_through_pages(page, listener)
    await page.goto("/upload")
    await page.click("[data-upload-mode=album]")
    await expect(page.locator("#album-upload-form")).to_be_visible()
    await expect(page.locator("#upload-form")).to_be_hidden()
    parts = ["Opening", "Middle", "Closing"]
    files = [
        make_audio(tmp_path / f"{n}.mp3", "mp3", 1.0, tags={"title": title}, frequency=250 + 60 * n)
        for n, title in enumerate(parts, 1)
    ]
    await page.fill("#album-upload-title", "Three Parts")
    await page.set_input_files("#album-files", [str(f) for f in files])
    titles = page.locator("#album-file-list input[type=text]")
    await expect(titles).to_have_count(3)
    for n, title in enumerate(parts):  # read from the files' tags
        await expect(titles.nth(n)).to_have_value(title)
    await page.get_by_role("button", name="move Closing up").click()
    await expect(titles.nth(1)).to_have_value("Closing")
    await titles.nth(2).fill("Middle (reprise)")
    await shoot(page, "album-upload-desktop")
    await page.click("#album-upload-submit")
    await page.wait_for_url("**/album/three-parts", timeout=120_000)
    await expect(page.locator("main h1")).to_have_text("Three Parts")
    rows = page.locator("main .track-row .row-title")
    await expect(rows).to_have_text(["Opening", "Closing", "Middle (reprise)"])
    await expect(page.locator("main a[download]")).to_have_text("download zip")
    await shoot(page, "album-desktop")
    await page.set_viewport_size(PHONE)
    await shoot(page, "album-phone")
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
