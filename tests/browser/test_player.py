"""The player, in Chromium: it plays, keeps playing while pages change, moves through the
queue, plays gaplessly, answers the keyboard, and restores itself after a reload."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.helpers import CatalogTrack, shoot

CURRENT_TIME = "window.plyr.player.audio.currentTime"


async def play_row(page: Page, title: str) -> None:
    await page.locator(".track-row", has_text=title).first.locator("[data-action=play]").click()


async def wait_playing(page: Page, past: float = 0.3) -> float:
    await page.wait_for_function(f"() => {CURRENT_TIME} > {past}", timeout=15_000)
    return float(await page.evaluate(CURRENT_TIME))


async def test_play_and_keep_playing_across_pages(page: Page, catalog: list[CatalogTrack]) -> None:
    await page.goto("/tag/catalog")
    await play_row(page, "Long Road")
    await wait_playing(page)
    await expect(page.locator("#player-title")).to_have_text("Long Road")
    await expect(page.locator("#player-play")).to_have_attribute("data-state", "playing")
    assert (await page.title()).startswith("Long Road - ")  # the tab says what plays
    await page.evaluate("window.__audio = window.plyr.player.audio")
    await shoot(page, "playing-desktop")

    before = await wait_playing(page)
    await page.click("#player-title")  # to the track page, inside the shell
    await page.wait_for_url(f"**/track/{catalog[0].id}")
    await expect(page.locator("main h1")).to_have_text("Long Road")
    await page.click("nav >> text=home")
    await page.wait_for_url("**/")
    assert await page.evaluate("window.__audio === window.plyr.player.audio")
    assert await page.evaluate("!window.__audio.paused")
    after = await wait_playing(page, before + 0.5)
    assert after > before

    await page.go_back()
    await page.wait_for_url(f"**/track/{catalog[0].id}")
    assert await page.evaluate("window.__audio === window.plyr.player.audio")
    await page.wait_for_function(f"() => {CURRENT_TIME} > {after}")


async def test_next_previous_and_the_queue(page: Page, catalog: list[CatalogTrack]) -> None:
    await page.goto("/tag/catalog")
    titles = await page.locator(".track-row .row-title").all_inner_texts()
    await play_row(page, titles[0])
    await wait_playing(page, 0.1)
    await page.click("#player-next")
    await expect(page.locator("#player-title")).to_have_text(titles[1])
    await page.click("#player-prev")  # at the start of a track: the previous one
    await expect(page.locator("#player-title")).to_have_text(titles[0])
    await page.keyboard.press("q")
    await expect(page.locator("#queue-panel")).to_be_visible()
    await expect(page.locator("#queue-list li")).to_have_count(len(titles))
    await shoot(page, "queue-desktop")


async def test_gapless_second_track_starts_within_50ms(
    page: Page, catalog: list[CatalogTrack]
) -> None:
    await page.goto("/tag/catalog")
    shorts = [t for t in catalog if t.title.startswith("Short")]
    await page.evaluate(
        """() => new Promise((resolve) => {
            window.__gaps = [];
            document.addEventListener("plyr:trackchange", (e) => {
                const gap = e.detail.gapMs;
                if (gap !== null && gap !== undefined) window.__gaps.push(gap);
            });
            resolve();
        })"""
    )
    rows = page.locator(".track-row", has_text="Short")
    tracks = [await rows.nth(i).get_attribute("data-track") for i in range(await rows.count())]
    await page.evaluate(
        "(tracks) => window.plyr.player.playList(tracks.map((t) => JSON.parse(t)), 0)", tracks
    )
    await page.wait_for_function("() => window.__gaps.length >= 1", timeout=20_000)
    gaps = await page.evaluate("window.__gaps")
    assert len(shorts) == 2
    assert gaps[0] < 50, f"the second track started {gaps[0]:.1f} ms after the first ended"


async def test_keyboard_shortcuts(page: Page, catalog: list[CatalogTrack]) -> None:
    await page.goto("/tag/catalog")
    await play_row(page, "Long Road")
    await wait_playing(page, 0.2)
    await page.locator("body").click(position={"x": 5, "y": 300})  # focus off the buttons
    await page.keyboard.press("Space")
    await page.wait_for_function("() => window.plyr.player.audio.paused")
    await page.keyboard.press("Space")
    await page.wait_for_function("() => !window.plyr.player.audio.paused")
    at = float(await page.evaluate(CURRENT_TIME))
    await page.keyboard.press("ArrowRight")
    await page.wait_for_function(f"() => {CURRENT_TIME} >= {at + 9}")
    await page.keyboard.press("m")
    assert await page.evaluate("window.plyr.player.muted")
    await page.keyboard.press("m")
    await page.keyboard.press("Control+k")
    await expect(page.locator("#search-dialog")).to_be_visible()
    await page.keyboard.type("cata")
    await expect(page.locator("#search-results")).to_contain_text("catalog")
    await page.keyboard.press("Escape")
    await expect(page.locator("#search-dialog")).to_be_hidden()


async def test_deep_link_starts_at_t(page: Page, catalog: list[CatalogTrack]) -> None:
    await page.goto(f"/track/{catalog[0].id}?t=5")
    await page.click("main [data-action=play][data-start]")
    await page.wait_for_function(f"() => {CURRENT_TIME} >= 5")


async def test_a_reload_restores_the_queue_and_position(
    page: Page, catalog: list[CatalogTrack]
) -> None:
    await page.goto("/tag/catalog")
    await play_row(page, "Long Road")
    position = await wait_playing(page, 1.5)
    await page.evaluate("window.plyr.player.pause()")
    await page.wait_for_timeout(300)
    await page.reload()
    await page.wait_for_function("() => window.plyr && window.plyr.player.track")
    await expect(page.locator("#player-title")).to_have_text("Long Road")
    # the position applies once the restored audio's metadata has loaded
    await page.wait_for_function(f"() => {CURRENT_TIME} > 0.5", timeout=10_000)
    restored = float(await page.evaluate(CURRENT_TIME))
    assert abs(restored - position) < 1.5
    assert await page.evaluate("window.plyr.player.audio.paused")  # restored, not blaring


async def test_loudness_normalization_sets_the_gain(
    page: Page, catalog: list[CatalogTrack]
) -> None:
    """Every track at -14 LUFS: the gain of the playing deck is 10^((-14 - loudness)/20),
    clamped to [0.1, 2], from the loudness measured at upload (Web Audio, same origin)."""
    await page.goto("/tag/catalog")
    await play_row(page, "Long Road")
    await wait_playing(page, 0.2)
    loudness = await page.evaluate("window.plyr.player.track.loudness_lufs")
    assert isinstance(loudness, float)
    expected = min(2.0, max(0.1, 10 ** ((-14 - loudness) / 20)))
    await page.wait_for_function("() => window.plyr.player.deck.gain !== null")
    gain = await page.evaluate("window.plyr.player.deck.gain.gain.value")
    assert abs(gain - expected) < 0.02, (loudness, gain, expected)
