"""Jams in Chromium, two people in two browser contexts: the host starts a jam from the queue
panel while playing; the guest opens the link, signs in, joins, and sees the same track at the
same position (within 250 ms); the guest's pause pauses the host's sound; "play here" moves the
sound to the guest; leaving gives the guest their own queue back."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle
from tests.browser.helpers import (
    DESKTOP,
    CatalogTrack,
    ConsoleErrors,
    LiveServer,
    shoot,
    sign_in_through_pages,
)
from tests.helpers import poll

PHONE_390 = {"width": 390, "height": 844}
AUDIO_PAUSED = "window.plyr.player.audio.paused"
# [where the UI says the track is (s), the page's clock (ms)]: compared across two pages
POSITION = "[window.plyr.player.currentTime, Date.now()]"


async def position_gap(host: Page, guest: Page) -> float:
    """How far apart (s) the guest's shown position is from the host's audio, corrected for
    the moment between the two readings (both pages share this machine's clock)."""
    here, at_host = await host.evaluate(POSITION)
    there, at_guest = await guest.evaluate(POSITION)
    return abs(there - (here + (at_guest - at_host) / 1000))


async def new_tab(browser: Browser, server: LiveServer, viewport: dict[str, int]) -> Page:
    context: BrowserContext = await browser.new_context(viewport=viewport, base_url=server.url)
    return await context.new_page()


async def test_two_people_listen_together(
    browser: Browser,
    live_server: LiveServer,
    atproto_net: AtprotoNet,
    catalog: list[CatalogTrack],
) -> None:
    console = ConsoleErrors()
    host_account: Account = create_account(atproto_net, unique_handle("host"))
    guest_account: Account = create_account(atproto_net, unique_handle("guest"))
    host = await new_tab(browser, live_server, DESKTOP)
    guest = await new_tab(browser, live_server, PHONE_390)
    console.watch(host)
    console.watch(guest)

    # the guest has a queue of their own, which the jam must not overwrite
    short_two = next(t for t in catalog if t.title == "Short Two")
    await sign_in_through_pages(guest, guest_account, return_to=f"/track/{short_two.id}")
    await guest.locator(".track-hero [data-action=play]").first.click()
    await guest.wait_for_function("() => window.plyr.player.audio.currentTime > 0.1")
    await guest.click("#player-play")  # paused
    await guest.wait_for_timeout(1200)  # the debounced PUT /queue/
    own_queue = await guest.evaluate("window.plyr.queue.tracks.map((t) => t.title)")

    # the host plays, opens the queue panel and starts a jam
    await sign_in_through_pages(host, host_account, return_to="/tag/catalog")
    await host.locator(".track-row", has_text="Long Road").locator("[data-action=play]").click()
    await host.wait_for_function("() => window.plyr.player.audio.currentTime > 0.3")
    await host.click("#queue-toggle")
    await host.click("#jam-start")
    await expect(host.locator("#jam-bar")).to_be_visible()
    code = await host.evaluate("window.plyr.jams.jam.code")
    await expect(host.locator("#jam-speaker")).to_have_text("playing here")
    assert not await host.evaluate(AUDIO_PAUSED)  # starting the jam did not stop the music
    await shoot(host, "jam-host-desktop")

    # the guest opens the link and joins; the host keeps the sound (one speaker)
    await guest.goto(f"/jam/{code}")
    await expect(guest.locator("[data-jam-join]")).to_have_attribute("data-joined", "true")
    await expect(guest.locator("#jam-bar")).to_be_visible()
    await expect(guest.locator("#player-title")).to_have_text("Long Road")
    await expect(guest.locator("#player-play")).to_have_attribute("data-state", "playing")
    await expect(guest.locator("#jam-people li")).to_have_count(2)
    assert await guest.evaluate(AUDIO_PAUSED)  # a remote: the host's device plays
    gaps = [await position_gap(host, guest) for _ in range(5)]
    assert max(gaps) < 0.25, gaps
    await shoot(guest, "jam-guest-phone")

    # the guest pauses: the host's audio pauses
    await guest.click("#player-play")
    await host.wait_for_function(f"() => {AUDIO_PAUSED}", timeout=5000)
    await expect(host.locator("#player-play")).to_have_attribute("data-state", "paused")

    # the guest resumes, then takes the sound: "play here"
    await guest.click("#player-play")
    await host.wait_for_function(f"() => !{AUDIO_PAUSED}", timeout=5000)
    await guest.click("#jam-play-here")
    await guest.wait_for_function(f"() => !{AUDIO_PAUSED}", timeout=5000)
    await host.wait_for_function(f"() => {AUDIO_PAUSED}", timeout=5000)
    await expect(host.locator("#player-play")).to_have_attribute("data-state", "playing")
    await expect(guest.locator("#jam-speaker")).to_have_text("playing here")
    before = await guest.evaluate("window.plyr.player.audio.currentTime")
    await guest.wait_for_function(
        f"() => window.plyr.player.audio.currentTime > {before + 0.5}", timeout=5000
    )
    assert max([await position_gap(guest, host) for _ in range(3)]) < 0.25
    await shoot(guest, "jam-guest-speaker-phone")
    await shoot(host, "jam-host-remote-desktop")

    # the guest leaves: their own queue comes back, the jam goes on at the host
    await guest.click("#jam-leave")
    await expect(guest.locator("#jam-bar")).to_be_hidden()

    async def own_queue_back() -> bool:
        titles = await guest.evaluate("window.plyr.queue.tracks.map((t) => t.title)")
        return bool(titles == own_queue)

    await poll(own_queue_back, timeout=15, what="the guest's own queue to come back")
    assert own_queue == ["Short Two"]
    await expect(guest.locator("#player-title")).to_have_text("Short Two")
    await expect(host.locator("#jam-people li")).to_have_count(1)

    await host.context.close()
    await guest.context.close()
    assert not console.unexpected(), console.unexpected()


async def test_a_dropped_socket_catches_up_and_a_refused_autoplay_asks_for_a_tap(
    browser: Browser,
    live_server: LiveServer,
    atproto_net: AtprotoNet,
    catalog: list[CatalogTrack],
) -> None:
    console = ConsoleErrors()
    host = await new_tab(browser, live_server, DESKTOP)
    guest = await new_tab(browser, live_server, PHONE_390)
    console.watch(host)
    console.watch(guest)
    await sign_in_through_pages(host, create_account(atproto_net, unique_handle("host")), "/")
    await host.goto("/tag/catalog")
    await host.locator(".track-row", has_text="Long Road").locator("[data-action=play]").click()
    await host.wait_for_function("() => window.plyr.player.audio.currentTime > 0.2")
    await host.click("#queue-toggle")
    await host.click("#jam-start")
    await expect(host.locator("#jam-bar")).to_be_visible()
    code = await host.evaluate("window.plyr.jams.jam.code")

    # signed out, the link shows a preview and a sign-in that comes back to it
    await guest.goto(f"/jam/{code}")
    await expect(guest.locator("main h1")).to_contain_text("jam")
    sign_in = guest.get_by_role("link", name="sign in to join")
    assert await sign_in.get_attribute("href") == f"/login?return_to=/jam/{code}"
    await shoot(guest, "jam-preview-signed-out-phone")
    account = create_account(atproto_net, unique_handle("guest"))
    await sign_in_through_pages(guest, account, return_to=f"/jam/{code}")
    await expect(guest.locator("#jam-bar")).to_be_visible()
    await expect(guest.locator("#player-title")).to_have_text("Long Road")

    # the socket drops; a pause sent meanwhile reaches the guest after it reconnects, by
    # replay from the last stream id it saw
    await guest.evaluate(
        """() => {
            window.__sent = [];
            const send = WebSocket.prototype.send;
            WebSocket.prototype.send = function (data) {
                window.__sent.push(JSON.parse(data));
                return send.call(this, data);
            };
            const socket = window.plyr.jams.socket;
            socket.attempt = 2;  // a 1-2 s wait before reconnecting
            socket.ws.close();
        }"""
    )
    await host.click("#player-play")
    await host.wait_for_function(f"() => {AUDIO_PAUSED}")
    await expect(guest.locator("#player-play")).to_have_attribute(
        "data-state", "paused", timeout=10_000
    )
    sync = await guest.evaluate("window.__sent.find((m) => m.type === 'sync')")
    assert sync["last_id"], sync  # it asked for what it missed

    # "play here" where the browser refuses to start audio: a button asks for a tap
    await guest.evaluate(
        """() => {
            window.__play = HTMLMediaElement.prototype.play;
            const refused = new DOMException("not without a gesture", "NotAllowedError");
            HTMLMediaElement.prototype.play = () => Promise.reject(refused);
        }"""
    )
    await host.click("#player-play")  # the jam plays again, on the host
    await host.wait_for_function(f"() => !{AUDIO_PAUSED}")
    await guest.click("#jam-play-here")
    await expect(guest.locator("#jam-unmute")).to_be_visible()
    await host.wait_for_function(f"() => {AUDIO_PAUSED}")  # the sound moved away from it
    await shoot(guest, "jam-tap-to-join-phone")
    await guest.evaluate("() => { HTMLMediaElement.prototype.play = window.__play; }")
    await guest.click("#jam-unmute")
    await guest.wait_for_function(f"() => !{AUDIO_PAUSED}")
    await expect(guest.locator("#jam-unmute")).to_be_hidden()
    assert max([await position_gap(guest, host) for _ in range(3)]) < 0.25

    # the host lets every device play: its own sound comes back, the guest's goes on
    await host.click("#jam-mode")
    await host.wait_for_function(f"() => !{AUDIO_PAUSED}")
    await expect(host.locator("#jam-speaker")).to_have_text("playing on everyone's device")
    await expect(guest.locator("#jam-speaker")).to_have_text("playing on everyone's device")
    assert not await guest.evaluate(AUDIO_PAUSED)
    await expect(guest.locator("#jam-mode")).to_be_hidden()  # the host's choice

    await host.context.close()
    await guest.context.close()
    assert not console.unexpected(), console.unexpected()
