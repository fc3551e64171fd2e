"""Likes, comments and share links in Chromium: like a track (the count follows), see who
liked it (a popover on desktop, a bottom sheet on a phone), comment while it plays (the
comment lands at the playback position), click the timestamp to seek there, and share a
link whose visit shows in the portal."""

from __future__ import annotations

from urllib.parse import unquote

from playwright.async_api import Browser, Page, expect

from tests.atnet.network import Account
from tests.browser.helpers import (
    PHONE,
    CatalogTrack,
    ConsoleErrors,
    LiveServer,
    shoot,
    sign_in_through_pages,
)

CURRENT_TIME = "window.plyr.player.audio.currentTime"


async def test_like_comment_and_seek_from_a_comment(
    page: Page, listener: Account, catalog: list[CatalogTrack]
) -> None:
    song = next(t for t in catalog if t.title == "Long Road")
    await sign_in_through_pages(page, listener)
    await page.goto(f"/track/{song.id}")
    like = page.locator(".track-actions [data-like]")
    count = like.locator("[data-like-count]")
    before = int(await count.inner_text())

    await like.click()
    await expect(like).to_have_attribute("aria-pressed", "true")
    await expect(count).to_have_text(str(before + 1))
    await page.wait_for_load_state("networkidle")
    await page.reload()  # the server kept it
    await expect(like).to_have_attribute("aria-pressed", "true")
    await expect(count).to_have_text(str(before + 1))

    await page.click(".track-actions [data-likers]")  # who liked it: a popover
    likers = page.locator("dialog.likers")
    await expect(likers).to_be_visible()
    await expect(likers.locator(".liker-name")).to_contain_text([listener.handle])
    await shoot(page, "track-likers-desktop")
    await page.keyboard.press("Escape")
    await expect(likers).to_be_hidden()

    await page.click(".track-actions [data-action=play]")
    await page.wait_for_function(f"() => {CURRENT_TIME} > 1.3", timeout=15_000)
    form = page.locator("form[data-comment-form]")
    await form.locator("textarea").click()
    await form.locator("textarea").type("this bit right here")
    position = await form.locator("[data-comment-position]").inner_text()
    assert position != "0:00"  # captured from the player when typing began
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".comment", has_text="this bit right here")).to_have_count(1)
    comment_id = await page.locator(".comment", has_text="this bit right here").get_attribute(
        "data-comment-id"
    )
    posted = page.locator(f'.comment[data-comment-id="{comment_id}"]')
    stamp = posted.locator("[data-comment-seek]")
    await expect(stamp).to_have_text(position)
    at = int(await stamp.get_attribute("data-comment-seek") or "0") / 1000
    assert at > 1.0
    await shoot(page, "track-comments-desktop")

    await page.evaluate("window.plyr.player.seek(12)")
    await page.wait_for_function(f"() => {CURRENT_TIME} > 11.5")
    await stamp.click()
    await page.wait_for_function(
        f"() => Math.abs({CURRENT_TIME} - {at}) < 1.0", timeout=5_000
    )  # jumped back to the comment's moment
    assert await page.evaluate("!window.plyr.player.audio.paused")

    # a comment's own link: the page at its second
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await posted.locator("[data-comment-share]").click()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f"/track/{song.id}?t={int(at)}")

    # and it is the listener's own comment: edit, then delete it
    await posted.locator("[data-comment-edit]").click()
    await posted.locator("form textarea").fill("this bit, right here")
    await posted.locator("form button[type=submit]").click()
    await expect(posted.locator("[data-comment-text]")).to_have_text("this bit, right here")
    page.once("dialog", lambda d: d.accept())
    await posted.locator("[data-comment-delete]").click()
    await expect(posted).to_have_count(0)

    await like.click()  # unlike: back where it was
    await expect(like).to_have_attribute("aria-pressed", "false")
    await expect(count).to_have_text(str(before))
    await page.wait_for_load_state("networkidle")


async def test_a_shared_link_counts_its_visit_in_the_portal(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    listener: Account,
    catalog: list[CatalogTrack],
) -> None:
    song = next(t for t in catalog if t.title == "Short Two")
    await sign_in_through_pages(page, listener)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.goto(f"/track/{song.id}")
    await page.click(".track-actions [data-share]")
    await expect(page.locator(".toast", has_text="share link copied")).to_be_visible()
    url = await page.evaluate("navigator.clipboard.readText()")
    assert f"/track/{song.id}?ref=" in url

    code = url.rsplit("=", 1)[1]
    # someone else opens it, signed out: the page reports the visit
    other = await browser.new_context(base_url=live_server.url)
    visitor = await other.new_page()
    console = ConsoleErrors()
    console.watch(visitor)
    async with visitor.expect_response(lambda r: "/ref/" in r.url and r.status == 204):
        await visitor.goto(url)
    # and listens: the player sends the ref with the play it reports
    async with visitor.expect_response(
        lambda r: r.url.endswith(f"/tracks/{song.id}/play") and r.ok, timeout=15_000
    ) as played:
        await visitor.click(".track-actions [data-action=play]")
    assert (await played.value).request.post_data_json == {"ref": code}
    # a signed-out like asks to sign in, and comes back here
    await visitor.click(".track-actions [data-like]")
    await visitor.wait_for_url("**/login?return_to=*")
    assert unquote(visitor.url).endswith(f"return_to=/track/{song.id}?ref={code}")
    await other.close()
    assert not console.unexpected(), console.unexpected()

    await page.goto("/portal")
    row = page.locator(f'tr[data-share-code="{code}"]')
    await expect(row).to_be_visible()
    await expect(row.locator("td.num")).to_have_text(["1", "1", "1"])  # visitors, listeners, anon
    await shoot(page, "portal-share-links")


async def test_likers_are_a_bottom_sheet_on_a_phone(
    browser: Browser, live_server: LiveServer, listener: Account, catalog: list[CatalogTrack]
) -> None:
    song = next(t for t in catalog if t.title == "Short One")
    context = await browser.new_context(viewport=PHONE, base_url=live_server.url)
    page = await context.new_page()
    console = ConsoleErrors()
    console.watch(page)
    await sign_in_through_pages(page, listener)
    await page.goto(f"/track/{song.id}")
    like = page.locator(".track-actions [data-like]")
    # a like the server refuses is rolled back, with a toast saying so
    console.allow("status of 503")
    await page.route(
        "**/tracks/*/like", lambda route: route.fulfill(status=503, json={"detail": "busy"})
    )
    await like.click()
    await expect(page.locator(".toast-error", has_text="could not like it")).to_be_visible()
    await expect(like).to_have_attribute("aria-pressed", "false")
    await expect(like.locator("[data-like-count]")).to_have_text("0")
    await page.unroute("**/tracks/*/like")

    await like.click()
    likers_button = page.locator(".track-actions [data-likers]")
    await expect(likers_button).to_be_visible()
    await likers_button.click()
    sheet = page.locator("dialog.likers")
    await expect(sheet).to_be_visible()
    await expect(sheet.locator(".liker-name")).to_contain_text([listener.handle])
    await page.wait_for_timeout(400)  # the slide-in
    box = await sheet.bounding_box()
    assert box is not None
    assert abs(box["y"] + box["height"] - PHONE["height"]) < 2  # at the bottom edge
    assert box["width"] >= PHONE["width"] - 2  # the full width
    await shoot(page, "track-likers-phone")
    await page.keyboard.press("Escape")
    await expect(sheet).to_be_hidden()
    await page.click(".track-actions [data-like]")  # unlike: leave the catalog as it was
    await expect(page.locator(".track-actions [data-like]")).to_have_attribute(
        "aria-pressed", "false"
    )
    await page.wait_for_load_state("networkidle")
    await context.close()
    assert not console.unexpected(), console.unexpected()
