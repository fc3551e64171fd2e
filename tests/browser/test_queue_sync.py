"""The queue follows a signed-in listener to another device (GET/PUT /queue/)."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.atnet.network import Account
from tests.browser.helpers import CatalogTrack, ConsoleErrors, LiveServer, sign_in_through_pages


async def test_the_queue_is_the_same_on_another_device(
    browser: Browser, live_server: LiveServer, listener: Account, catalog: list[CatalogTrack]
) -> None:
    console = ConsoleErrors()
    laptop = await browser.new_context(base_url=live_server.url)
    phone = await browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}
    )
    first, second = await laptop.new_page(), await phone.new_page()
    console.watch(first)
    console.watch(second)
    await sign_in_through_pages(first, listener, return_to="/tag/catalog")
    await first.locator(".track-row", has_text="Long Road").locator("[data-action=play]").click()
    await first.wait_for_function("() => window.plyr.player.audio.currentTime > 0.2")
    await first.wait_for_timeout(1500)  # the debounced PUT /queue/

    await sign_in_through_pages(second, listener)
    await second.wait_for_function("() => window.plyr && window.plyr.player.track")
    await expect(second.locator("#player-title")).to_have_text("Long Road")
    titles = await second.evaluate("window.plyr.queue.tracks.map((t) => t.title)")
    assert set(titles) == {t.title for t in catalog}
    assert await second.evaluate("window.plyr.player.audio.paused")  # not blaring on arrival
    await laptop.close()
    await phone.close()
    assert not console.unexpected(), console.unexpected()
