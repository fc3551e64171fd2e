"""An album whose tracks nobody else may see does not exist for them (L9): not by slug in
the API, the page, the embed or oEmbed, so its title, notes and cover stay the artist's."""

from __future__ import annotations

from pathlib import Path

from httpx import AsyncClient

from tests.app import PUBLIC_URL, User
from tests.helpers import upload_tone

BROWSER = {"Accept": "text/html,application/xhtml+xml"}


async def statuses(client: AsyncClient, slug: str, headers: dict[str, str]) -> list[int]:
    urls = [
        f"/albums/alice.test/{slug}",
        f"/albums/alice.test/{slug}/download",
        f"/u/alice.test/album/{slug}",
        f"/embed/album/alice.test/{slug}",
    ]
    found = [(await client.get(url, headers={**BROWSER, **headers})).status_code for url in urls]
    page = f"{PUBLIC_URL}/u/alice.test/album/{slug}"
    oembed = await client.get("/oembed", params={"url": page}, headers=headers)
    return [*found, oembed.status_code]


async def test_an_album_of_private_and_unlisted_tracks_is_not_found_by_others(
    client: AsyncClient, alice: User, bob: User, tmp_path: Path
) -> None:
    for i, visibility in enumerate(("private", "unlisted")):
        await upload_tone(
            client,
            alice,
            tmp_path,
            visibility,
            300 + 100 * i,
            visibility=visibility,
            album="Secret Sessions",
        )
    await upload_tone(client, alice, tmp_path, "out", 700, album="Out Now")
    assert await statuses(client, "secret-sessions", {}) == [404] * 5
    assert await statuses(client, "secret-sessions", bob.auth) == [404] * 5
    mine = await client.get("/albums/alice.test/secret-sessions", headers=alice.auth)
    assert mine.status_code == 200 and mine.json()["track_count"] == 2
    page = await client.get("/u/alice.test/album/secret-sessions", headers=alice.auth)
    assert page.status_code == 200 and "Secret Sessions" in page.text
    assert await statuses(client, "out-now", {}) == [200] * 5
