"""Starting a sign-in cannot be forced on someone else's browser (login CSRF, review M1):
the start is a POST from plyr's own page; a link only shows a page whose button does it.
And a sign-in never sends the browser off-site afterwards (open redirect, review L1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from plyr.artists import repository as artists
from tests.app import PUBLIC_URL, User
from tests.atproto_oauth.auth_servers import PAR, serve_pds_and_as
from tests.json_server import JsonServer

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
OWN_PAGE = {"Origin": PUBLIC_URL}


@pytest.fixture
async def pds() -> AsyncIterator[JsonServer]:
    async with JsonServer() as server:
        serve_pds_and_as(server)
        yield server


def session(user: User) -> dict[str, str]:
    return {"Cookie": f"session_id={user.token}"}


async def test_a_start_from_plyrs_own_page_goes_to_the_pds(
    client: AsyncClient, pds: JsonServer
) -> None:
    form = {"handle": pds.url, "return_to": "/library"}
    for headers in (OWN_PAGE, {"Referer": f"{PUBLIC_URL}/login?return_to=/library"}):
        response = await client.post("/auth/start", data=form, headers={**BROWSER, **headers})
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith(f"{pds.url}/oauth/authorize?")
        assert response.cookies.get("oauth_browser")
    assert pds.asked(PAR) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://plyr.test.evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/plyr.test"},
        {},  # neither Origin nor Referer: a form posted from a page that hides them
    ],
)
async def test_a_start_from_another_site_is_403(
    client: AsyncClient, pds: JsonServer, headers: dict[str, str]
) -> None:
    form = {"handle": pds.url}
    response = await client.post("/auth/start", data=form, headers={**BROWSER, **headers})
    assert response.status_code == 403
    assert "Origin" in response.json()["detail"]
    assert "oauth_browser" not in response.cookies and "location" not in response.headers
    created = await client.post(
        "/auth/create-account/start", data={"pds": pds.url}, headers={**BROWSER, **headers}
    )
    assert created.status_code == 403
    assert pds.requests == []  # nothing was started at the PDS either


async def test_a_link_to_the_start_only_shows_a_confirm_page(
    client: AsyncClient, pds: JsonServer
) -> None:
    query = {"handle": "evil.example", "return_to": "//evil.example/x"}
    response = await client.get("/auth/start", params=query, headers=BROWSER)
    assert response.status_code == 200 and "location" not in response.headers
    assert "set-cookie" not in response.headers and response.headers["cache-control"] == "no-store"
    html = response.text
    assert 'method="post" action="/auth/start"' in html
    assert 'name="handle" value="evil.example"' in html
    assert 'name="return_to" value="/"' in html  # the hostile return_to did not survive
    assert pds.requests == []


async def test_adding_an_account_is_confirmed_and_posted_too(
    client: AsyncClient, pds: JsonServer, alice: User, settings: Any
) -> None:
    page = await client.get(
        "/auth/add-account/start", params={"handle": pds.url}, headers={**BROWSER, **session(alice)}
    )
    assert page.status_code == 200 and 'action="/auth/add-account/start"' in page.text
    assert "set-cookie" not in page.headers
    form = {"handle": pds.url}
    forged = await client.post(
        "/auth/add-account/start", data=form, headers={**session(alice), "Origin": "null"}
    )
    assert forged.status_code == 403 and pds.requests == []
    started = await client.post(
        "/auth/add-account/start", data=form, headers={**session(alice), **OWN_PAGE}
    )
    assert started.status_code == 303 and pds.asked(PAR) == 1


async def test_account_creation_is_confirmed_and_posted(
    client: AsyncClient, pds: JsonServer, settings: Any
) -> None:
    settings.signup_pds_hosts = pds.url
    page = await client.get("/auth/create-account/start", params={"pds": pds.url}, headers=BROWSER)
    assert page.status_code == 200 and 'action="/auth/create-account/start"' in page.text
    assert pds.requests == []
    started = await client.post(
        "/auth/create-account/start", data={"pds": pds.url}, headers=OWN_PAGE
    )
    assert started.status_code == 303 and pds.asked(PAR) == 1


@pytest.mark.parametrize(
    "return_to", ["//evil.example", "/\\evil.example", "https://evil.example", "/\t/evil.example"]
)
async def test_signed_in_login_page_never_leaves_the_site(
    client: AsyncClient, alice: User, return_to: str
) -> None:
    response = await client.get(
        "/login", params={"return_to": return_to}, headers={**BROWSER, **session(alice)}
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    form = (await client.get("/login", params={"return_to": return_to}, headers=BROWSER)).text
    assert 'name="return_to" value="/"' in form


async def test_the_portals_sign_in_again_button_posts(
    app: Any, client: AsyncClient, alice: User
) -> None:
    problem = {"reason": "session_ended", "message": "your PDS session ended", "scope": None}
    async with app.state.runtime.writer() as db:
        await artists.set_pds_problem(db, alice.did, problem)
        await db.commit()
    html = (await client.get("/portal", headers={**BROWSER, **session(alice)})).text
    assert "your PDS session ended" in html
    form = html[html.index("your PDS session ended") :]
    assert form.index('method="post" action="/auth/start"') < form.index("sign in again")
    assert f'name="handle" value="{alice.did}"' in form
