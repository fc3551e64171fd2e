"""Discovery's hooks in the editors' markup (static/js/recommend.js fills them; the browser
tests in tests/browser/test_discovery_ui.py drive them): the owner's playlist page has a
hidden "recommended" section, nobody else's; each track form of the portal has a hidden box
for its suggested tags; the upload form offers `auto_tag`."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User
from tests.discovery.catalogue import add_track
from tests.helpers import add_to_playlist, new_playlist
from tests.web.helpers import BROWSER, HTMX, cookie

RECOMMENDED = re.compile(r'<section[^>]*data-playlist-recommendations="(\d+)"[^>]*>')


async def test_only_the_owner_gets_the_recommended_section(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]]
) -> None:
    mix = await new_playlist(client, bob, "Road Mix")
    await add_to_playlist(client, bob, mix["id"], songs[0]["id"])
    url = f"/playlist/{mix['id']}"

    for headers in (cookie(bob), {**HTMX, "Cookie": cookie(bob)["Cookie"]}):
        own = (await client.get(url, headers=headers)).text
        found = RECOMMENDED.search(own)
        assert found and found.group(1) == str(mix["id"])
        assert " hidden" in found.group(0)  # until the script has suggestions to show
        assert 'id="recommended-title"' in own and "data-recommended-list" in own

    for headers in (cookie(alice), BROWSER):
        page = await client.get(url, headers=headers)
        assert page.status_code == 200 and "data-playlist-recommendations" not in page.text


async def test_the_portal_has_a_suggested_tags_box_per_track(
    app: FastAPI, client: AsyncClient, alice: User
) -> None:
    mine = [await add_track(app, alice.did, title) for title in ("One", "Two")]
    portal = (await client.get("/portal", headers=cookie(alice))).text
    for track_id in mine:
        form = re.search(rf'<form[^>]*data-edit-track="{track_id}".*?</form>', portal, re.S)
        assert form is not None
        assert re.search(rf'data-recommended-tags="{track_id}"[^>]* hidden', form.group(0))
        assert "data-tag-chips" in form.group(0) and "data-tags" in form.group(0)


async def test_the_upload_form_offers_auto_tag(client: AsyncClient, alice: User) -> None:
    upload = (await client.get("/upload", headers=cookie(alice))).text
    form = re.search(r'<form id="upload-form".*?</form>', upload, re.S)
    assert form is not None
    assert re.search(r'<input type="checkbox" name="auto_tag" value="true">', form.group(0))
