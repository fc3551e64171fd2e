"""Every page at desktop and phone size: it renders inside the shell, nothing overflows
sideways on a 360 px phone, no console errors, and a screenshot is saved to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.atnet.network import Account
from tests.audio.media import make_audio
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    CatalogTrack,
    ConsoleErrors,
    LiveServer,
    shoot,
    sign_in_through_pages,
)


async def upload_in_page(page: Page, path: Path, title: str, tags: str) -> str:
    """Upload through the form; returns the new track page's path."""
    await page.goto("/upload")
    await page.set_input_files("#upload-file", str(path))
    await page.fill("#upload-title", title)
    await page.fill("#upload-tags", tags)
    await page.click("#upload-submit")
    await page.wait_for_url("**/track/*", timeout=60_000)
    return "/" + page.url.split("/", 3)[3]


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
async def test_every_page_at_desktop_and_phone_size(
    browser: Browser,
    live_server: LiveServer,
    listener: Account,
    tmp_path: Path,
    size: str,
    viewport: dict[str, int],
) -> None:
    context = await browser.new_context(viewport=viewport, base_url=live_server.url)
    page = await context.new_page()
    console = ConsoleErrors()
    console.watch(page)
    console.allow("status of 404")  # the 404 page is one of the pages
    await sign_in_through_pages(page, listener)
    art = tmp_path / "cover.png"
    from PIL import Image

    Image.new("RGB", (600, 600), (40, 90, 160)).save(art)
    song = make_audio(
        tmp_path / f"{size}.mp3", "mp3", seconds=2, frequency=330 if size == "phone" else 550
    )
    track = await upload_in_page(page, song, f"Tour {size}", "tour, dusk")
    pages = {
        "home": "/",
        "track": track,
        "artist": f"/u/{listener.handle}",
        "tag": "/tag/tour",
        "upload": "/upload",
        "portal": "/portal",
        "settings": "/settings",
        "terms": "/terms",
        "not-found": "/no/such/page",
    }
    for name, path in pages.items():
        await page.goto(path)
        await page.wait_for_load_state("networkidle")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {size} size"
        duplicated = await page.evaluate(
            """() => { const seen = new Set(), twice = new Set();
                for (const el of document.querySelectorAll("[id]"))
                    (seen.has(el.id) ? twice : seen).add(el.id);
                return [...twice]; }"""
        )
        assert duplicated == [], f"{name} repeats the ids {duplicated}"
        assert await page.locator("#player").is_visible()
        await shoot(page, f"{name}-{size}")
    await context.close()
    signed_out = await browser.new_context(viewport=viewport, base_url=live_server.url)
    visitor = await signed_out.new_page()
    console.watch(visitor)
    await visitor.goto("/login")
    await shoot(visitor, f"login-{size}")
    await visitor.goto(f"/embed/track/{track.rsplit('/', 1)[1]}")
    await shoot(visitor, f"embed-{size}")
    await signed_out.close()
    assert not console.unexpected(), console.unexpected()


CONTRAST = """() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  const body = getComputedStyle(document.body);
  const dim = getComputedStyle(document.querySelector(".stats") || document.body).color;
  return { text: ratio(body.color, body.backgroundColor), dim: ratio(dim, body.backgroundColor) };
}"""


async def test_first_load_is_light_accessible_and_readable(
    page: Page, catalog: list[CatalogTrack]
) -> None:
    await page.goto("/")
    await page.wait_for_load_state("networkidle")
    sizes = await page.evaluate(
        """() => [...performance.getEntriesByType("navigation"),
                  ...performance.getEntriesByType("resource")]
            .filter((e) => /(navigation|script|link|css)/.test(e.initiatorType || e.entryType)
                           || /\\.(js|css)$/.test(e.name))
            .map((e) => [e.name, e.transferSize])"""
    )
    total = sum(size for _, size in sizes)
    assert total < 150_000, f"first load moved {total} bytes of HTML, CSS and JS: {sizes}"
    missing_alt = await page.evaluate(
        "[...document.images].filter((i) => !i.hasAttribute('alt')).map((i) => i.src)"
    )
    assert not missing_alt
    unlabeled = await page.evaluate(
        """[...document.querySelectorAll('button')].filter((b) =>
              !b.getAttribute('aria-label') && !b.textContent.trim()).map((b) => b.outerHTML)"""
    )
    assert not unlabeled
    for theme in ("dark", "light"):
        await page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        contrast = await page.evaluate(CONTRAST)
        assert contrast["text"] >= 7 and contrast["dim"] >= 4.5, (theme, contrast)
