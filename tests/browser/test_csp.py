"""plyr's Content-Security-Policy in Chromium: it is enforced (an injected inline script does
not run), and no page breaks it: every page, signed in and out, the embeds, the API docs,
an htmx navigation and playback report no `securitypolicyviolation`."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page

from tests.atnet.network import Account
from tests.audio.media import make_audio
from tests.browser.helpers import ConsoleErrors, LiveServer, sign_in_through_pages

# an init script runs through the DevTools protocol, before the page's own scripts, and is
# not subject to the page's policy
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
));
"""
INJECT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.__ran = true";
    document.head.append(script);
    return window.__ran === true;
}"""


async def watched(browser: Browser, live_server: LiveServer) -> BrowserContext:
    context = await browser.new_context(base_url=live_server.url)
    await context.add_init_script(WATCH)
    return context


async def violations(page: Page) -> list[str]:
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(100)  # violation events are queued as tasks
    found: list[str] = await page.evaluate("window.__csp ?? []")
    return found


async def test_the_policy_is_enforced(browser: Browser, live_server: LiveServer) -> None:
    context = await watched(browser, live_server)
    page = await context.new_page()
    await page.goto("/terms")
    assert not await violations(page)
    assert await page.evaluate(INJECT) is False  # blocked: it has no nonce
    found = await violations(page)
    assert found and found[0].startswith("script-src-elem blocked inline"), found
    await context.close()


async def test_no_page_violates_the_policy(
    browser: Browser, live_server: LiveServer, listener: Account, tmp_path: Path
) -> None:
    context = await watched(browser, live_server)
    page = await context.new_page()
    console = ConsoleErrors()
    console.watch(page)
    console.allow("status of 404")  # the 404 page is one of the pages
    await sign_in_through_pages(page, listener)
    accent = await page.evaluate(
        """async () => (await fetch("/preferences", { method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ accent_color: "#ff8800" }) })).status"""
    )
    assert accent == 200  # pages then link /accent.css
    track = await upload(page, make_audio(tmp_path / "csp.mp3", "mp3", 3, frequency=520))
    track_id = int(track.rsplit("/", 1)[1])
    playlist_id = await page.evaluate(
        """async (id) => {
            const json = { "Content-Type": "application/json" };
            const made = await fetch("/lists/playlists", { method: "POST", headers: json,
                body: JSON.stringify({ name: "csp list" }) }).then((r) => r.json());
            await fetch(`/lists/playlists/${made.id}/tracks`,
                { method: "POST", headers: json, body: JSON.stringify({ track_id: id }) });
            return made.id;
        }""",
        track_id,
    )
    album = f"/u/{listener.handle}/album/csp-tour"
    pages = [
        "/",
        track,
        f"/u/{listener.handle}",
        "/tag/csp",
        album,
        f"/playlist/{playlist_id}",
        "/search?q=csp",
        "/upload",
        "/upload?mode=album",
        "/portal",
        "/settings",
        "/liked",
        "/library",
        "/terms",
        "/privacy",
        "/docs",
        f"/embed/track/{track_id}",
        f"/embed/album/{listener.handle}/csp-tour",
        f"/embed/playlist/{playlist_id}",
        "/no/such/page",
    ]
    seen: dict[str, list[str]] = {}
    for path in pages:
        response = await page.goto(path)
        assert response is not None and "nonce-" in response.headers["content-security-policy"]
        seen[path] = await violations(page)
    seen["playing, then an htmx navigation"] = await play_and_navigate(page, track)
    visitor = await watched(browser, live_server)
    signed_out = await visitor.new_page()
    console.watch(signed_out)
    for path in ("/login", "/", track, album):
        await signed_out.goto(path)
        seen[f"signed out {path}"] = await violations(signed_out)
    await visitor.close()
    await context.close()
    assert {path: found for path, found in seen.items() if found} == {}
    assert not console.unexpected(), console.unexpected()


async def upload(page: Page, path: Path) -> str:
    """Upload through the form, into the album "CSP Tour"; returns the track page's path."""
    await page.goto("/upload")
    await page.set_input_files("#upload-file", str(path))
    await page.fill("#upload-title", "CSP song")
    await page.fill("#upload-tags", "csp")
    await page.fill("#upload-album", "CSP Tour")
    await page.click("#upload-submit")
    await page.wait_for_url("**/track/*", timeout=60_000)
    return "/" + page.url.split("/", 3)[3]


async def play_and_navigate(page: Page, track: str) -> list[str]:
    """Play from the track page (player, waveform, Web Audio), follow a link (htmx swaps
    the page in, under the policy of the first load), and go back."""
    await page.goto(track)
    await page.locator("main .button-play").first.click()
    await page.wait_for_function("() => window.plyr.player.audio.currentTime > 0.2")
    await page.locator("main a[href^='/u/']").first.click()
    await page.wait_for_url("**/u/**")
    found = await violations(page)
    # back: htmx restores the page from a full response parsed in this document (a nonce
    # of another response would not match this page's policy)
    await page.go_back()
    await page.wait_for_url(f"**{track}")
    return found + await violations(page)
