"""Browser tests: Debian's Chromium driven by Playwright against a real `plyr serve` process
pointed at the local AT Protocol network, signing in through the PDS's own pages.

Every page a test visits can be saved with `shoot(page, name)` (desktop and phone
screenshots land in `test-artifacts/screenshots/`). A test fails on any console error or
uncaught exception in the page. Without Chromium the tests skip (fail in CI)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle
from tests.browser.helpers import DESKTOP, CatalogTrack, ConsoleErrors, LiveServer
from tests.servers import free_port, plyr_env, run_plyr, running_plyr
from tests.services import missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def live_server(
    atproto_net: AtprotoNet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`plyr serve` with embedded defaults, signing in against the local network."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    env = plyr_env(
        data_dir,
        PLYR_PUBLIC_URL=url,
        PLYR_PLC_URL=atproto_net.plc_url,
        PLYR_HANDLE_RESOLVERS=atproto_net.pds_url,
    )
    result = run_plyr("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    with running_plyr(env, port):
        yield LiveServer(url, data_dir)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not (shutil.which("chromium") or os.path.exists(CHROMIUM)):
        missing("Chromium (apt-get install chromium; ./scripts/test installs it)")
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
async def context(browser: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    yield ctx
    await ctx.close()


@pytest.fixture
def console() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
async def page(context: BrowserContext, console: ConsoleErrors) -> AsyncIterator[Page]:
    tab = await context.new_page()
    console.watch(tab)
    yield tab
    assert not console.unexpected(), f"console errors: {console.unexpected()}"


@pytest.fixture
def listener(atproto_net: AtprotoNet) -> Account:
    return create_account(atproto_net, unique_handle("lis"))


@pytest.fixture(scope="session")
def catalog(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> list[CatalogTrack]:
    """Tracks by `dj.test` (a local developer session), uploaded through the API: a long one
    to navigate while it plays, and two short ones for gapless playback."""
    import httpx

    from tests.audio.media import make_audio
    from tests.helpers import finished, poll_sync
    from tests.servers import dev_token

    env = plyr_env(live_server.data_dir, PLYR_PUBLIC_URL=live_server.url)
    token = dev_token(env)
    folder = tmp_path_factory.mktemp("catalog")
    songs = [("Long Road", 20.0, 220.0), ("Short One", 2.0, 440.0), ("Short Two", 2.0, 660.0)]
    auth = {"Authorization": f"Bearer {token}"}
    made = []
    with httpx.Client(base_url=live_server.url, timeout=60) as http:

        def finished_job(job_id: str) -> dict[str, Any] | None:
            return finished(http.get(f"/jobs/{job_id}", headers=auth).json())

        for title, seconds, frequency in songs:
            path = make_audio(folder / f"{frequency:.0f}.mp3", "mp3", seconds, frequency=frequency)
            with path.open("rb") as f:
                response = http.post(
                    "/tracks/",
                    headers=auth,
                    data={"title": title, "tags": '["catalog"]'},
                    files={"file": (path.name, f, "audio/mpeg")},
                )
            response.raise_for_status()
            job = poll_sync(
                partial(finished_job, response.json()["upload_id"]),
                timeout=30,
                interval=0.05,
                what=f"the upload of {title!r} to finish",
            )
            assert job["status"] == "completed", job
            made.append(CatalogTrack(job["track_id"], title, seconds))
    return made
