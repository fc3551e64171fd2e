"""Sign in through the PDS's own pages, upload a FLAC through the form (title read from the
file's tags, progress, then the server's phases), and land on the new track's page."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.atnet.network import Account
from tests.audio.media import make_audio
from tests.browser.helpers import ConsoleErrors, shoot, sign_in_through_pages


async def test_sign_in_then_upload_a_flac(page: Page, listener: Account, tmp_path: Path) -> None:
    await sign_in_through_pages(page, listener)
    await expect(page.locator(".account summary")).to_be_visible()

    await page.click("nav >> text=upload")
    await page.wait_for_url("**/upload")
    flac = make_audio(
        tmp_path / "first-light.flac", "flac", seconds=3, tags={"title": "First Light"}
    )
    await page.set_input_files("#upload-file", str(flac))
    await expect(page.locator("#upload-title")).to_have_value("First Light")
    await page.fill("#upload-tags", "ambient, dawn")
    await shoot(page, "upload-filled-desktop")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-progress")).to_be_visible()

    await page.wait_for_url("**/track/*", timeout=60_000)
    await expect(page.locator("main h1")).to_have_text("First Light")
    await expect(page.locator("main .chips")).to_contain_text("ambient")
    await shoot(page, "track-after-upload-desktop")


async def test_an_upload_error_keeps_the_form(
    page: Page, listener: Account, tmp_path: Path, console: ConsoleErrors
) -> None:
    console.allow("status of 415")  # the browser logs the refused upload; that is the point
    await sign_in_through_pages(page, listener, return_to="/upload")
    not_audio = tmp_path / "notes.mp3"
    not_audio.write_text("these are not sounds " * 100)
    await page.set_input_files("#upload-file", str(not_audio))
    await page.fill("#upload-title", "Not a song")
    await page.fill("#upload-tags", "oops")
    await page.click("#upload-submit")
    error = page.locator("#upload-error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("mp3")  # the 415 names the accepted formats
    await expect(page.locator("#upload-title")).to_have_value("Not a song")
    await expect(page.locator("#upload-tags")).to_have_value("oops")
    await expect(page.locator("#upload-submit")).to_be_enabled()
