"""The embed player inside other sites' iframes: it fits a tiny 180x80 frame and a wide
600x200 one, plays without signing in, and links back to the track page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import Browser, Page

from tests.atnet.network import Account
from tests.browser.helpers import (
    CatalogTrack,
    ConsoleErrors,
    LiveServer,
    shoot,
    sign_in_through_pages,
)

OTHER = b"<!doctype html><html><head><title>another site</title></head><body></body></html>"


class OtherSite(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(OTHER)))
        self.end_headers()
        self.wfile.write(OTHER)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def other_site() -> Iterator[str]:
    """A page on another origin (localhost, while plyr is 127.0.0.1) that frames embeds."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), OtherSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("width", "height"), [(180, 80), (600, 200)])
async def test_embed_fits_its_frame_and_plays(
    browser: Browser,
    live_server: LiveServer,
    catalog: list[CatalogTrack],
    other_site: str,
    width: int,
    height: int,
) -> None:
    context = await browser.new_context(viewport={"width": 800, "height": 400})
    page = await context.new_page()
    console = ConsoleErrors()
    console.watch(page)
    src = f"{live_server.url}/embed/track/{catalog[0].id}"
    # another site (another origin, without plyr's policy: plyr's own pages may frame
    # nothing and take no inline style)
    await page.goto(other_site)
    await page.evaluate(
        """([src, width, height]) => {
            document.body.innerHTML = `<iframe src="${src}" width="${width}"
                height="${height}" style="border:0"></iframe>`;
        }""",
        [src, width, height],
    )
    frame = page.frame_locator("iframe")
    play = frame.locator("button.play")
    await play.wait_for()
    box = await play.bounding_box()
    assert (
        box is not None and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
    )
    title = frame.locator(".title")
    if width >= 280:
        assert await title.is_visible()
        assert await title.get_attribute("href") == f"{live_server.url}/track/{catalog[0].id}"
    await play.click()
    embed = next(f for f in page.frames if "/embed/" in f.url)
    await embed.wait_for_function(
        "() => document.querySelector('.play').dataset.state === 'playing'"
    )
    await shoot(page, f"embed-iframe-{width}x{height}")
    assert not console.unexpected(), console.unexpected()
    await context.close()


async def test_a_playlist_embed_plays_its_tracks_in_order(
    page: Page, listener: Account, catalog: list[CatalogTrack]
) -> None:
    await sign_in_through_pages(page, listener)
    playlist_id = await page.evaluate(
        """async (ids) => {
            const json = { "Content-Type": "application/json" };
            const made = await fetch("/lists/playlists", { method: "POST", headers: json,
                body: JSON.stringify({ name: "for the embed" }) }).then((r) => r.json());
            for (const id of ids) await fetch(`/lists/playlists/${made.id}/tracks`,
                { method: "POST", headers: json, body: JSON.stringify({ track_id: id }) });
            return made.id;
        }""",
        [t.id for t in catalog if t.title.startswith("Short")],
    )
    await page.goto(f"/embed/playlist/{playlist_id}")
    await page.click("button.play")
    await page.wait_for_function(
        "() => document.querySelector('.play').dataset.state === 'playing'"
    )
    first = await page.locator(".list-track[aria-current=true]").inner_text()
    # the 2-second first track ends and the next one follows
    await page.wait_for_function(
        "() => document.querySelectorAll('.list-track')[1].getAttribute('aria-current') === 'true'",
        timeout=15_000,
    )
    assert first != await page.locator(".list-track[aria-current=true]").inner_text()
