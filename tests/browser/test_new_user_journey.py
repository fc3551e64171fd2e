"""A new user's whole journey in Chromium, against the real PDS: sign in, upload an album of
three tracks, build a playlist of another artist's tracks, like one and comment on it at a
moment, search, share a link and see its listen receipt once a second account plays it,
export their tracks, and delete their account with their records. Every record involved is
checked in their repo on the PDS while it exists, and gone after."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.atnet.network import Account, AtprotoNet, create_account, list_records, unique_handle
from tests.audio.media import make_audio
from tests.browser.helpers import DESKTOP, ConsoleErrors, LiveServer, shoot, sign_in_through_pages
from tests.helpers import finished, poll

COLLECTIONS = ("track", "list", "like", "comment")
CURRENT_TIME = "window.plyr.player.audio.currentTime"


def repo(net: AtprotoNet, did: str) -> dict[str, list[dict[str, Any]]]:
    """Every fm.plyr.* record in the repo, by collection name."""
    return {name: list_records(net, did, f"fm.plyr.{name}") for name in COLLECTIONS}


def did_of(net: AtprotoNet, handle: str) -> str:
    response = httpx.get(
        f"{net.pds_xrpc}/com.atproto.identity.resolveHandle", params={"handle": handle}
    )
    response.raise_for_status()
    did: str = response.json()["did"]
    return did


async def upload_via_api(page: Page, live: LiveServer, path: Path, title: str) -> int:
    """Set-up for the other artist: an upload through the API with their browser session."""
    with path.open("rb") as f:
        response = await page.request.post(
            "/tracks/",
            headers={"Origin": live.url},
            multipart={
                "title": title,
                "file": {"name": path.name, "mimeType": "audio/mpeg", "buffer": f.read()},
            },
        )
    assert response.ok, await response.text()
    job_id = (await response.json())["upload_id"]

    async def finished_job() -> dict[str, Any] | None:
        return finished(await (await page.request.get(f"/jobs/{job_id}")).json())

    job = await poll(finished_job, what=f"the upload of {title!r} to finish")
    assert job["status"] == "completed", job
    return int(job["track_id"])


async def new_tab(browser: Browser, live: LiveServer) -> tuple[BrowserContext, Page, ConsoleErrors]:
    context = await browser.new_context(base_url=live.url, viewport=DESKTOP)
    page = await context.new_page()
    console = ConsoleErrors()
    console.watch(page)
    return context, page, console


async def test_a_new_users_whole_journey(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    atproto_net: AtprotoNet,
    tmp_path: Path,
) -> None:
    maker = create_account(atproto_net, unique_handle("new"))
    friend = create_account(atproto_net, unique_handle("other"))
    maker_did, friend_did = did_of(atproto_net, maker.handle), did_of(atproto_net, friend.handle)

    # another artist, with two tracks (set-up, in a browser of their own)
    friend_context, friend_page, friend_console = await new_tab(browser, live_server)
    await sign_in_through_pages(friend_page, friend)
    theirs = {
        title: await upload_via_api(
            friend_page,
            live_server,
            make_audio(tmp_path / f"{n}.mp3", "mp3", 6.0, frequency=300 + 90 * n),
            title,
        )
        for n, title in enumerate(["Harbour Lights", "Night Ferry"])
    }

    await sign_in_through_pages(page, maker)
    album_tracks = await upload_album(page, tmp_path)
    await build_playlist(page, friend.handle)
    comment_ms = await like_and_comment(page, theirs["Harbour Lights"])
    await search_finds_the_album(page)

    records = repo(atproto_net, maker_did)
    assert sorted(r["value"]["title"] for r in records["track"]) == sorted(album_tracks)
    lists = {r["value"]["listType"]: r["value"] for r in records["list"]}
    assert set(lists) == {"album", "playlist", "liked"}
    assert lists["album"]["name"] == "First Light" and len(lists["album"]["items"]) == 3
    assert lists["playlist"]["name"] == "Ferry Songs" and len(lists["playlist"]["items"]) == 2
    assert all(
        i["subject"]["uri"].startswith(f"at://{friend_did}/") for i in lists["playlist"]["items"]
    )
    (like,) = records["like"]
    (comment,) = records["comment"]
    assert like["value"]["subject"]["uri"] == lists["liked"]["items"][0]["subject"]["uri"]
    assert comment["value"]["timestampMs"] == comment_ms

    await share_and_see_the_receipt(page, friend_page, album_tracks[0])
    await export_my_tracks(page, tmp_path, album_tracks)
    await delete_my_account(page, maker)

    assert repo(atproto_net, maker_did) == {name: [] for name in COLLECTIONS}
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        assert (await http.get(f"/u/{maker.handle}")).status_code == 404
        liked = (await http.get(f"/tracks/{theirs['Harbour Lights']}")).json()
        assert (liked["like_count"], liked["comment_count"]) == (0, 0)
    await friend_context.close()
    assert not friend_console.unexpected(), friend_console.unexpected()


async def upload_album(page: Page, tmp_path: Path) -> list[str]:
    titles = ["Dawn Chorus", "Morning Tide", "Noon Haze"]
    files = [
        make_audio(tmp_path / f"a{n}.mp3", "mp3", 2.0, tags={"title": t}, frequency=500 + 70 * n)
        for n, t in enumerate(titles)
    ]
    await page.goto("/upload")
    await page.click("[data-upload-mode=album]")
    await page.fill("#album-upload-title", "First Light")
    await page.set_input_files("#album-files", [str(f) for f in files])
    await expect(page.locator("#album-file-list input[type=text]")).to_have_count(3)
    await page.click("#album-upload-submit")
    await page.wait_for_url("**/album/first-light", timeout=120_000)
    await expect(page.locator("main .track-row .row-title")).to_have_text(titles)
    return titles


async def build_playlist(page: Page, artist_handle: str) -> None:
    await page.goto("/library")
    await page.fill("#new-playlist-name", "Ferry Songs")
    await page.click("[data-create-playlist] button[type=submit]")
    await expect(page.locator(".collection-card", has_text="Ferry Songs")).to_be_visible()
    await page.goto(f"/u/{artist_handle}")
    for title in ("Night Ferry", "Harbour Lights"):
        row = page.locator(".track-row", has_text=title).first
        await row.locator("[data-action=playlist-menu]").click()
        await page.locator("#playlist-menu").get_by_role("menuitem", name="Ferry Songs").click()
        await expect(page.locator("#toasts")).to_contain_text("added to Ferry Songs")
        await expect(page.locator("#playlist-menu")).to_be_hidden()
    await page.goto("/library")
    await page.locator(".collection-card .card-title", has_text="Ferry Songs").click()
    await expect(page.locator("main .track-row .row-title")).to_have_text(
        ["Night Ferry", "Harbour Lights"]
    )


async def like_and_comment(page: Page, track_id: int) -> int:
    """Like the track, and comment on it while it plays; returns the comment's moment."""
    await page.goto(f"/track/{track_id}")
    like = page.locator(".track-actions [data-like]")
    await like.click()
    await expect(like).to_have_attribute("aria-pressed", "true")
    await page.click(".track-actions [data-action=play]")
    await page.wait_for_function(f"() => {CURRENT_TIME} > 1.2", timeout=15_000)
    form = page.locator("form[data-comment-form]")
    await form.locator("textarea").click()
    await form.locator("textarea").type("the horn here")
    await form.locator("button[type=submit]").click()
    posted = page.locator(".comment", has_text="the horn here")
    await expect(posted).to_have_count(1)
    await page.evaluate("window.plyr.player.audio.pause()")
    await page.wait_for_load_state("networkidle")
    return int(await posted.locator("[data-comment-seek]").get_attribute("data-comment-seek") or 0)


async def search_finds_the_album(page: Page) -> None:
    await page.keyboard.press("Control+k")
    await page.keyboard.type("first ligh")
    results = page.locator("#search-results")
    await expect(results).to_contain_text("First Light")
    await results.locator("li", has_text="First Light").first.click()
    await page.wait_for_url("**/album/first-light")
    await expect(page.locator("#search-dialog")).to_be_hidden()


async def share_and_see_the_receipt(page: Page, other: Page, title: str) -> None:
    """Share my track; the other account opens the link and plays it; my portal shows the
    listen."""
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.locator("main .track-row .row-title", has_text=title).click()
    await page.wait_for_url("**/track/*")
    await page.click(".track-actions [data-share]")
    await expect(page.locator(".toast", has_text="share link copied")).to_be_visible()
    url = await page.evaluate("navigator.clipboard.readText()")
    code = url.rsplit("=", 1)[1]
    async with other.expect_response(lambda r: "/ref/" in r.url and r.status == 204):
        await other.goto(url)
    async with other.expect_response(lambda r: r.url.endswith("/play") and r.ok, timeout=15_000):
        await other.click(".track-actions [data-action=play]")
    await page.goto("/portal")
    row = page.locator(f'tr[data-share-code="{code}"]')
    await expect(row.locator("td.num")).to_have_text(["1", "1", "0"])  # visitors, listeners, anon
    await shoot(page, "journey-portal-stats")
    await row.scroll_into_view_if_needed()
    await shoot(page, "journey-portal-receipt")


async def export_my_tracks(page: Page, tmp_path: Path, titles: list[str]) -> None:
    async with page.expect_download(timeout=60_000) as started:
        await page.click("[data-export]")
    download = await started.value
    await expect(page.locator("#export-progress")).to_be_visible()
    saved = tmp_path / "export.zip"
    await download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
    assert len(names) == 3, names
    assert all(any(t in n for n in names) for t in titles), names


async def delete_my_account(page: Page, account: Account) -> None:
    await page.click(".danger-zone summary")
    form = page.locator("form[data-delete-account]")
    await form.locator("input[name=confirmation]").fill(account.handle)
    await form.locator("input[name=delete_atproto_records]").check()
    await form.locator("button[type=submit]").click()
    await page.wait_for_url(lambda url: url.rstrip("/").count("/") == 2, timeout=60_000)
    await expect(page.locator("a[href^='/login']").first).to_be_visible()  # signed out
