"""Discovery in Chromium, on generated audio (tests/discovery/synth.py) uploaded and analysed
by the server under test: the Cmd+K dialog appends mood results (badge, matched tags, no
duplicates, stale answers ignored, failures silent); the owner's playlist page recommends
tracks to add with "+"; the portal's track form suggests tags as chips; the upload form
sends `auto_tag`."""

from __future__ import annotations

import asyncio
import wave
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest
from playwright.async_api import Page, Route, expect

from tests.atnet.network import Account
from tests.browser.helpers import PHONE, ConsoleErrors, LiveServer, shoot, sign_in_through_pages
from tests.discovery import synth
from tests.helpers import finished, poll, poll_sync
from tests.servers import dev_token, plyr_env

SECONDS = 6.0


def mixed(seconds: float) -> np.ndarray:
    return np.asarray(0.5 * synth.ambient_pad(seconds) + 0.5 * synth.piano_arpeggio(seconds))


# title, samples, tags: six analysed tracks, so a playlist of one still has suggestions left
# after one of them is added
SONGS = [
    ("Ambient Pad", synth.ambient_pad, "ambient"),
    ("Drum Machine", synth.drums, "beat"),
    ("Piano Arpeggio", synth.piano_arpeggio, "piano"),
    ("Loud Guitar", synth.distorted_guitar, "rock"),
    ("Pad And Keys", mixed, "ambient"),
    ("Wall Of Noise", synth.very_loud, "noise"),
]


def write_wav(path: Path, samples: np.ndarray) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(synth.RATE)
        out.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="module")
def analysed(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """The songs, uploaded by `dj.test` through the API and analysed: title → track id."""
    token = dev_token(plyr_env(live_server.data_dir, PLYR_PUBLIC_URL=live_server.url))
    auth = {"Authorization": f"Bearer {token}"}
    folder = tmp_path_factory.mktemp("moods")
    made: dict[str, int] = {}
    with httpx.Client(base_url=live_server.url, timeout=60, headers=auth) as http:

        def finished_job(job_id: str) -> dict[str, Any] | None:
            return finished(http.get(f"/jobs/{job_id}").json())

        for title, clip, tag in SONGS:
            path = write_wav(folder / f"{len(made)}.wav", clip(SECONDS))
            with path.open("rb") as f:
                response = http.post(
                    "/tracks/",
                    data={"title": title, "tags": f'["{tag}"]'},
                    files={"file": (path.name, f, "audio/wav")},
                )
            response.raise_for_status()
            job = poll_sync(
                partial(finished_job, response.json()["upload_id"]),
                timeout=60,
                what=f"the upload of {title!r}",
            )
            assert job["status"] == "completed", job
            made[title] = job["track_id"]

        def similar_available(track_id: int) -> bool:
            return bool(http.get(f"/tracks/{track_id}/similar").json()["available"])

        for title, track_id in made.items():
            poll_sync(partial(similar_available, track_id), timeout=120, what=f"{title} analysed")
    return made


async def shown(page: Page) -> list[str]:
    return list(
        await page.eval_on_selector_all("#search-results li a", "els => els.map(a => a.pathname)")
    )


def path_of(result: dict[str, Any]) -> str:
    """Where the dialog links a keyword result (as search.js does)."""
    q = partial(quote, safe="")
    return {
        "track": lambda r: f"/track/{r['id']}",
        "artist": lambda r: f"/u/{q(r['handle'])}",
        "album": lambda r: f"/u/{q(r['artist_handle'])}/album/{q(r['slug'])}",
        "tag": lambda r: f"/tag/{q(r['name'])}",
        "playlist": lambda r: f"/playlist/{r['id']}",
    }[result["type"]](result)


async def expected(page: Page, q: str) -> tuple[list[str], list[dict[str, Any]]]:
    """What the dialog should list for `q`, from the API: the keyword results' paths, and the
    mood results that are not among them."""
    keyword = await (await page.request.get(f"/search/?q={q}&limit=8")).json()
    mood = await (await page.request.get(f"/search/semantic?q={q}&limit=5")).json()
    tracks = {r["id"] for r in keyword["results"] if r["type"] == "track"}
    extra = [r for r in mood["results"] if r["id"] not in tracks]
    return [path_of(r) for r in keyword["results"]], extra


async def search_settled(page: Page, q: str) -> tuple[list[str], list[dict[str, Any]]] | None:
    """Type `q` into the dialog and wait for both answers; what the API says for `q` when
    it said the same before and after (other tests' uploads may still be being analysed,
    which changes the mood results), else None to try again."""
    before = await expected(page, q)
    await page.fill("#search-input", "")
    async with page.expect_response(f"**/search/semantic?q={q}*"):
        await page.fill("#search-input", q)
    await page.wait_for_load_state("networkidle")
    after = await expected(page, q)
    return after if after == before else None


async def test_cmd_k_appends_mood_results(
    page: Page, analysed: dict[str, int], console: ConsoleErrors
) -> None:
    await page.goto("/")
    await page.keyboard.press("Control+k")
    keyword_paths, extra = await poll(
        partial(search_settled, page, "ambient"), timeout=30, what="settled answers"
    )
    mood = page.locator("#search-results li.search-mood")
    # the ambient pad matches both ways: it is listed once, without the badge
    ambient = f"/track/{analysed['Ambient Pad']}"
    assert ambient in keyword_paths
    assert ambient not in [f"/track/{r['id']}" for r in extra] and extra
    mood_paths = [f"/track/{r['id']}" for r in extra]
    await expect(mood).to_have_count(len(extra))
    assert await shown(page) == [*keyword_paths, *mood_paths, "/search"]
    for n, result in enumerate(extra):
        await expect(mood.nth(n).locator(".badge")).to_have_text("mood")
        await expect(mood.nth(n)).to_contain_text(" · ".join(result["matched_tags"]))
    await shoot(page, "search-mood-desktop")
    await page.set_viewport_size(PHONE)
    await shoot(page, "search-mood-phone")
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    # the arrow keys go on from the keyword results into the mood results
    for _ in keyword_paths:
        await page.keyboard.press("ArrowDown")
    await expect(page.locator('#search-results [aria-selected="true"]')).to_have_class(
        "search-mood"
    )
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**{mood_paths[0]}")


async def test_cmd_k_ignores_stale_and_failed_mood_answers(
    page: Page, analysed: dict[str, int], console: ConsoleErrors
) -> None:
    released = asyncio.Event()

    async def slow(route: Route) -> None:  # the answer for "piano" comes after "ambient"'s
        await asyncio.sleep(1.5)
        await route.continue_()
        released.set()

    await page.route("**/search/semantic?q=piano*", slow)
    await page.goto("/")
    await page.keyboard.press("Control+k")
    async with page.expect_request("**/search/semantic?q=piano*"):
        await page.keyboard.type("piano")
    await page.keyboard.press("Control+a")
    mood = page.locator("#search-results li.search-mood")
    async with page.expect_response("**/search/semantic?q=ambient*"):
        await page.keyboard.type("ambient")
    await expect(mood.first).to_be_visible()
    settled = await shown(page)
    assert f"/track/{analysed['Ambient Pad']}" in settled
    await asyncio.wait_for(released.wait(), 10)
    await page.wait_for_load_state("networkidle")
    assert await shown(page) == settled  # piano's late answer changed nothing

    # a failing mood search, or one with nothing analysed, adds nothing and says nothing
    console.allow("status of 500")
    await page.route("**/search/semantic?q=drum*", lambda r: r.fulfill(status=500, body="{}"))
    piano = {
        "type": "track",
        "id": analysed["Piano Arpeggio"],
        "title": "Piano Arpeggio",
        "artist_handle": "someone.test",
        "artist_display_name": None,
        "image_url": None,
        "similarity": 1.0,
        "matched_tags": ["beat"],
    }
    fake = {"results": [piano], "query": "beat", "available": False, "mode": "bridge"}
    await page.route("**/search/semantic?q=beat*", lambda r: r.fulfill(json=fake))
    for q in ("drum", "beat"):
        await page.keyboard.press("Control+a")
        async with page.expect_response(f"**/search/semantic?q={q}*"):
            await page.keyboard.type(q)
        await page.wait_for_load_state("networkidle")
        await expect(page.locator("#search-results li").last).to_have_text(f"all results for “{q}”")
        await expect(mood).to_have_count(0)
    await expect(page.locator("#toasts")).not_to_contain_text("wrong")


async def create_playlist(page: Page, name: str, track_id: int) -> int:
    return int(
        await page.evaluate(
            """async ([name, trackId]) => {
                const post = (url, body) => fetch(url, {method: "POST", body: JSON.stringify(body),
                    headers: {"Content-Type": "application/json"}}).then(r => r.json());
                const playlist = await post("/lists/playlists", {name, is_private: false});
                await post(`/lists/playlists/${playlist.id}/tracks`, {track_id: trackId});
                return playlist.id;
            }""",
            [name, track_id],
        )
    )


async def test_the_playlist_editor_recommends_tracks_to_add(
    page: Page, listener: Account, analysed: dict[str, int]
) -> None:
    await sign_in_through_pages(page, listener)
    playlist = await create_playlist(page, "Calm", analysed["Ambient Pad"])
    gate = asyncio.Event()

    async def held(route: Route) -> None:  # the first answer waits: the loading state shows
        await gate.wait()
        await route.continue_()

    await page.route("**/recommendations*", held)
    await page.goto(f"/playlist/{playlist}")
    section = page.locator("[data-playlist-recommendations]")
    status = section.locator("[data-recommended-status]")
    await expect(status).to_be_visible()
    await expect(section).to_have_attribute("aria-busy", "true")
    gate.set()
    rows = section.locator(".recommended-row")
    await expect(rows).to_have_count(3, timeout=10_000)
    await expect(status).to_be_hidden()
    before = await rows.locator(".row-title").all_text_contents()
    assert "Ambient Pad" not in before
    await shoot(page, "playlist-recommended-desktop")
    await page.set_viewport_size(PHONE)
    await section.evaluate("el => el.scrollIntoView({block: 'center'})")  # clear of the player
    await shoot(page, "playlist-recommended-phone")
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    await rows.first.get_by_role("button", name=f"add {before[0]} to this playlist").click()
    await expect(page.locator("#toasts")).to_contain_text("added to this playlist")
    titles = page.locator("main [data-tracklist] .track-row .row-title")
    await expect(titles).to_have_text(["Ambient Pad", before[0]])
    # asked again: the added track has left the suggestions and another has come in
    await expect(rows).to_have_count(3, timeout=10_000)
    after = await rows.locator(".row-title").all_text_contents()
    assert before[0] not in after and set(after) - set(before)

    # nothing to suggest (no track analysed, or the store failing): no section at all
    await page.unroute("**/recommendations*")
    nothing = {"tracks": [], "available": False}
    await page.route("**/recommendations*", lambda r: r.fulfill(json=nothing))
    async with page.expect_response("**/recommendations*"):
        await page.reload()
    await expect(section).to_be_hidden()
    await expect(titles).to_have_count(2)


async def upload_through_the_form(page: Page, path: Path, title: str, *, auto_tag: bool) -> int:
    await page.goto("/upload")
    await page.set_input_files("#upload-file", str(path))
    await page.fill("#upload-title", title)
    if auto_tag:
        await page.check("#upload-form input[name=auto_tag]")
    await page.click("#upload-submit")
    await expect(page.locator("#upload-error")).to_be_hidden()
    await page.wait_for_url("**/track/*", timeout=60_000)
    return int(page.url.rsplit("/", 1)[1])


async def test_the_track_editor_suggests_tags(
    page: Page, listener: Account, analysed: dict[str, int], tmp_path: Path
) -> None:
    await sign_in_through_pages(page, listener)
    keys = write_wav(tmp_path / "keys.wav", synth.piano_arpeggio(SECONDS))
    pad = write_wav(tmp_path / "pad.wav", mixed(SECONDS - 1))
    auto = await upload_through_the_form(page, pad, "Auto Pad", auto_tag=True)
    mine = await upload_through_the_form(page, keys, "My Keys", auto_tag=False)

    async def suggestions(track_id: int) -> list[str] | None:
        found = await (await page.request.get(f"/tracks/{track_id}/recommended-tags")).json()
        return [t["name"] for t in found["tags"]] if found["available"] else None

    suggested = await poll(partial(suggestions, mine), timeout=120, what="suggested tags")
    assert suggested

    async def auto_tags() -> list[str] | None:
        track = await (await page.request.get(f"/tracks/{auto}")).json()
        return list(track["tags"]) or None

    # the box ticked: the tags were added once the audio was analysed; not ticked: none
    assert await poll(auto_tags, timeout=120, what="the auto tags")
    assert (await (await page.request.get(f"/tracks/{mine}")).json())["tags"] == []

    await page.goto("/portal")
    form = page.locator(f"[data-edit-track='{mine}']")
    chips = form.locator("[data-suggested-tag]")
    await expect(chips).to_have_count(len(suggested))
    await expect(chips.first).to_have_text(f"+ {suggested[0]}")
    await shoot(page, "portal-tag-chips-desktop")
    tags = form.locator("[data-tags]")
    await expect(tags).to_have_value("")
    await chips.first.click()
    await expect(tags).to_have_value(suggested[0])
    await expect(chips).to_have_count(len(suggested) - 1)
    if len(suggested) > 1:
        await chips.first.click()
        await expect(tags).to_have_value(f"{suggested[0]}, {suggested[1]}")
    await page.set_viewport_size(PHONE)
    await form.locator("[data-tags]").evaluate("el => el.scrollIntoView({block: 'center'})")
    await shoot(page, "portal-tag-chips-phone")
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await form.get_by_role("button", name="save").click()
    await expect(page.locator("#toasts")).to_contain_text("saved")
