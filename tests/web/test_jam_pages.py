"""The /jam/{code} page: a preview for people signed out (with a sign-in link that comes
back), the joining page for people signed in, a clear "ended" state, 404 for no such jam."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from httpx import AsyncClient

from tests.app import User
from tests.web.helpers import BROWSER, HTMX, cookie


async def start_jam(client: AsyncClient, host: User, name: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"track_ids": [], "current_index": 0, "is_playing": False}
    body |= {"progress_ms": 0, **({"name": name} if name else {})}
    response = await client.post("/jams/", headers=host.auth, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_signed_out_sees_a_preview_and_a_sign_in_link_back(
    client: AsyncClient, alice: User
) -> None:
    jam = await start_jam(client, alice, name="Friday Night")
    response = await client.get(f"/jam/{jam['code']}", headers=BROWSER)
    assert response.status_code == 200
    page = response.text
    assert "Friday Night" in page
    assert alice.handle in page  # the host
    assert "1 listener" in page
    assert f'href="/login?return_to={quote("/jam/" + jam["code"])}"' in page
    assert "data-jam-join" not in page  # nobody to join as
    assert "jam-bar" not in page  # the bar is for signed-in listeners


async def test_signed_in_gets_the_page_that_joins(
    client: AsyncClient, alice: User, bob: User
) -> None:
    jam = await start_jam(client, alice)
    page = (await client.get(f"/jam/{jam['code']}", headers=cookie(bob))).text
    assert f'data-jam-join="{jam["code"]}"' in page
    assert 'id="jam-bar"' in page
    assert "sign in to join" not in page
    # an htmx navigation gets <main> only, with the same joining marker
    fragment = (await client.get(f"/jam/{jam['code']}", headers={**HTMX, **cookie(bob)})).text
    assert "<main" in fragment and "<footer" not in fragment
    assert f'data-jam-join="{jam["code"]}"' in fragment


async def test_an_ended_jam_says_so(client: AsyncClient, alice: User, bob: User) -> None:
    jam = await start_jam(client, alice)
    ended = await client.post(f"/jams/{jam['code']}/end", headers=alice.auth)
    assert ended.status_code in (200, 204), ended.text
    for headers in (BROWSER, cookie(bob)):
        page = (await client.get(f"/jam/{jam['code']}", headers=headers)).text
        assert "this jam has ended" in page
        assert "data-jam-join" not in page


async def test_no_such_jam_is_a_404_page(client: AsyncClient, alice: User) -> None:
    for code in ("zzzzzzzz", "not-a-code-at-all"):
        response = await client.get(f"/jam/{code}", headers=cookie(alice))
        assert response.status_code == 404
        assert re.search(r"<h1>nothing here</h1>", response.text)
