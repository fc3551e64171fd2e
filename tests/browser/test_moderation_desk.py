"""Reports and the review desk in Chromium: a listener reports a track from its page (the
dialog asks why), an admin sees it on /admin (the counts in the header, the report's
context, a player) and takes the track down with a reason, the card turns resolved in place,
and the artist reads the takedown and its reason in their portal. Someone else gets 404."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.audio.media import make_audio
from tests.browser.helpers import DESKTOP, ConsoleErrors, shoot
from tests.helpers import finished, poll_sync
from tests.servers import free_port, plyr_env, run_plyr, running_plyr

ADMIN = "did:plc:deskadmin000000000000000"


class Desk:
    def __init__(self, url: str, tokens: dict[str, str], track_id: int) -> None:
        self.url, self.tokens, self.track_id = url, tokens, track_id


def _session(env: dict[str, str], handle: str, did: str | None = None) -> str:
    args = ["dev", "session", "--handle", handle, *(["--did", did] if did else [])]
    result = run_plyr(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _upload(url: str, token: str, folder: Path) -> int:
    auth = {"Authorization": f"Bearer {token}"}
    path = make_audio(folder / "take.mp3", "mp3", 2.0, frequency=330.0)
    with httpx.Client(base_url=url, timeout=60) as http, path.open("rb") as f:
        sent = http.post(
            "/tracks/", headers=auth, data={"title": "Borrowed"}, files={"file": (path.name, f)}
        )
        sent.raise_for_status()
        job = poll_sync(
            lambda: finished(http.get(f"/jobs/{sent.json()['upload_id']}", headers=auth).json()),
            timeout=30,
            what="the upload to finish",
        )
    assert job["status"] == "completed", job
    return int(job["track_id"])


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    folder = tmp_path_factory.mktemp("desk")
    env = plyr_env(folder / "data", PLYR_PUBLIC_URL=url, PLYR_ADMIN_DIDS=ADMIN)
    assert run_plyr("db", "upgrade", env=env).returncode == 0
    tokens = {
        "artist": _session(env, "taker.test"),
        "listener": _session(env, "ears.test"),
        "admin": _session(env, "mod.test", ADMIN),
    }
    with running_plyr(env, port):
        for token in tokens.values():  # past the welcome overlay
            terms = httpx.post(
                f"{url}/preferences/terms", headers={"Authorization": f"Bearer {token}"}
            )
            assert terms.status_code < 300, terms.text
        yield Desk(url, tokens, _upload(url, tokens["artist"], folder))


async def _as(browser: Browser, desk: Desk, who: str) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport=DESKTOP, base_url=desk.url)
    cookie = {"name": "session_id", "value": desk.tokens[who], "url": desk.url}
    await context.add_cookies([cookie])  # type: ignore[list-item]
    yield context
    await context.close()


async def test_report_review_take_down_and_the_artist_is_told(
    browser: Browser, desk_server: Desk, console: ConsoleErrors
) -> None:
    desk = desk_server
    async for listener in _as(browser, desk, "listener"):
        page = await listener.new_page()
        console.watch(page)
        await page.goto(f"/track/{desk.track_id}")
        await page.click(".track-actions [data-report=track]")
        dialog = page.locator("#report-dialog")
        await expect(dialog).to_be_visible()
        await dialog.locator("select[name=reason]").select_option("copyright")
        await dialog.locator("textarea").fill("this is my recording")
        await shoot(page, "report-dialog")
        await dialog.locator("[data-report-send]").click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator(".toast", has_text="reviewers")).to_be_visible()
        console.allow("404")  # the desk is not there for a listener
        assert (await page.goto("/admin")).status == 404  # type: ignore[union-attr]
        await expect(page.locator("h1", has_text="nothing here")).to_be_visible()

    async for admin in _as(browser, desk, "admin"):
        page = await admin.new_page()
        console.watch(page)
        await page.goto("/admin")
        await expect(page.locator(".desk-counts [data-kind=report]")).to_have_text("1 reports")
        card = page.locator("article.desk-item", has_text="this is my recording")
        await expect(card.locator("h2")).to_have_text("report: copyright")
        await expect(card.locator("audio")).to_have_count(1)
        await shoot(page, "admin-desk")
        await card.locator("input[name=reason]").fill("not theirs to publish")
        await card.locator("button[value=take_down]").click()
        resolved = page.locator("article.desk-resolved")
        await expect(resolved).to_contain_text("resolved: take down")
        await expect(resolved).to_contain_text("not theirs to publish")

    async for artist in _as(browser, desk, "artist"):
        page = await artist.new_page()
        console.watch(page)
        await page.goto("/portal")
        notice = page.locator(f"#portal-track-{desk.track_id} .takedown-notice")
        await expect(notice).to_contain_text("taken down: not theirs to publish")
    assert not console.unexpected(), console.unexpected()
