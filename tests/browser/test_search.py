"""Search in Chromium: the Cmd+K dialog lists mixed results as you type and opens them; its
last item leads to the full results page, whose track rows play."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser.helpers import CatalogTrack, shoot


async def test_the_dialog_and_the_results_page(page: Page, catalog: list[CatalogTrack]) -> None:
    await page.goto("/")
    await page.keyboard.press("Control+k")
    await page.keyboard.type("shoort")  # a typo still finds them
    results = page.locator("#search-results")
    await expect(results).to_contain_text("Short One — ")  # title — artist
    await expect(results.locator("li").last).to_have_text("all results for “shoort”")
    await page.keyboard.press("Control+a")
    await page.keyboard.type("long ro")
    await expect(results.locator("li").first).to_have_text(re.compile(r"^Long Road — \S+$"))
    await shoot(page, "search-dialog-desktop")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/track/{catalog[0].id}")
    await expect(page.locator("#search-dialog")).to_be_hidden()

    await page.keyboard.press("Control+k")
    await page.keyboard.press("Control+a")
    await page.keyboard.type("zzzqqq")
    await expect(results).to_have_text("nothing matches")
    await page.keyboard.press("Control+a")
    await page.keyboard.type("short")
    await expect(results.locator("li").last).to_have_text("all results for “short”")
    await page.keyboard.press("ArrowUp")  # from the first item round to the last
    await expect(results.locator('[aria-selected="true"]')).to_have_text("all results for “short”")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/search?q=short")
    await expect(page.locator("main input[name=q]")).to_have_value("short")
    rows = page.locator("main .track-row")
    await expect(rows).to_have_count(2)
    await expect(page.locator("main")).to_contain_text("tracks 2")
    await shoot(page, "search-page-desktop")
    await rows.filter(has_text="Short One").locator("[data-action=play]").click()
    await expect(page.locator("#player-title")).to_have_text("Short One")

    await page.goto("/search?q=catalog")
    await expect(page.locator('main a[href="/tag/catalog"]')).to_have_text("#catalog · 3")
    await page.goto("/search?q=a")
    await expect(page.locator("main")).to_contain_text("at least two characters")
