"""The albums API: create (idempotent on the slug), list, show in order, edit, cover, set
tracks, delete (with or without the tracks), and who may do what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User
from tests.audio.media import make_image
from tests.helpers import media_files, new_album, upload_tone


async def test_create_is_idempotent_on_the_slug(client: AsyncClient, alice: User) -> None:
    first = await client.post(
        "/albums/", json={"title": "Café MÜNCHËN", "description": "live"}, headers=alice.auth
    )
    assert first.status_code == 201
    album = first.json()
    assert (album["slug"], album["title"], album["description"]) == (
        "cafe-munchen",
        "Café MÜNCHËN",
        "live",
    )
    assert album["artist"]["handle"] == "alice.test" and album["track_count"] == 0
    assert album["atproto_record_uri"] is None  # written once it has tracks
    again = await client.post("/albums/", json={"title": "  cafe munchen! "}, headers=alice.auth)
    assert again.status_code == 200
    assert again.json()["id"] == album["id"] and again.json()["title"] == "Café MÜNCHËN"
    listed = (await client.get("/albums/alice.test", headers=alice.auth)).json()
    assert [a["id"] for a in listed] == [album["id"]]


async def test_create_validates(client: AsyncClient, alice: User) -> None:
    for body in ({"title": ""}, {"title": "   "}, {"title": "x" * 257}, {}):
        response = await client.post("/albums/", json=body, headers=alice.auth)
        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], str)
    assert (await client.post("/albums/", json={"title": "x"})).status_code == 401


async def test_tracks_in_order_and_what_each_viewer_sees(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]], tmp_path: Path
) -> None:
    album = await new_album(client, alice, "Day")
    secret = await upload_tone(client, alice, tmp_path, "Secret", 900, visibility="private")
    order = [songs[2]["id"], secret["id"], songs[0]["id"], songs[1]["id"]]
    put = await client.put(
        f"/albums/{album['id']}/tracks", json={"track_ids": order}, headers=alice.auth
    )
    assert put.status_code == 200, put.text
    assert [t["id"] for t in put.json()["tracks"]] == order

    mine = (await client.get("/albums/alice.test/day", headers=alice.auth)).json()
    assert [t["title"] for t in mine["tracks"]] == ["Night", "Secret", "Morning", "Noon"]
    assert mine["track_count"] == 4 and mine["tracks"][0]["album"]["slug"] == "day"
    for headers in (bob.auth, {}):
        theirs = (await client.get("/albums/alice.test/day", headers=headers)).json()
        assert [t["title"] for t in theirs["tracks"]] == ["Night", "Morning", "Noon"]
        assert theirs["track_count"] == 3
        listed = (await client.get("/albums/alice.test", headers=headers)).json()
        assert [(a["slug"], a["track_count"]) for a in listed] == [("day", 3)]
    by_did = await client.get(f"/albums/{alice.did}/day")
    assert by_did.status_code == 200
    assert (await client.get("/albums/alice.test/nope")).status_code == 404
    assert (await client.get("/albums/nobody.test")).status_code == 404

    # membership: a track left out leaves the album
    put = await client.put(
        f"/albums/{album['id']}/tracks",
        json={"track_ids": [songs[0]["id"], songs[2]["id"]]},
        headers=alice.auth,
    )
    assert [t["title"] for t in put.json()["tracks"]] == ["Morning", "Night"]
    noon = (await client.get(f"/tracks/{songs[1]['id']}")).json()
    assert noon["album"] is None


async def test_set_tracks_takes_only_the_artists_own(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]], tmp_path: Path
) -> None:
    album = await new_album(client, alice, "Mine")
    bobs = await upload_tone(client, bob, tmp_path, "B", 777)
    url = f"/albums/{album['id']}/tracks"
    cases = [
        ([songs[0]["id"], bobs["id"]], 403),
        ([songs[0]["id"], 999_999], 400),
        ([songs[0]["id"], songs[0]["id"]], 400),
    ]
    for ids, status in cases:
        response = await client.put(url, json={"track_ids": ids}, headers=alice.auth)
        assert response.status_code == status, (ids, response.text)
    assert (await client.put(url, json={"track_ids": [0]}, headers=alice.auth)).status_code == 422
    # (asked as alice: an album with nothing others may hear is not found by them)
    detail = (await client.get("/albums/alice.test/mine", headers=alice.auth)).json()
    assert detail["tracks"] == []  # a refused change changes nothing


async def test_rename_moves_the_slug_and_collisions_conflict(
    client: AsyncClient, alice: User, songs: list[dict[str, Any]]
) -> None:
    first = await new_album(client, alice, "First")
    await new_album(client, alice, "Second")
    await client.put(
        f"/albums/{first['id']}/tracks", json={"track_ids": [songs[0]["id"]]}, headers=alice.auth
    )
    renamed = await client.patch(
        f"/albums/{first['id']}",
        json={"title": "Première", "description": "the first one"},
        headers=alice.auth,
    )
    assert renamed.status_code == 200
    assert (renamed.json()["slug"], renamed.json()["description"]) == ("premiere", "the first one")
    track = (await client.get(f"/tracks/{songs[0]['id']}")).json()
    assert track["album"] == {"id": first["id"], "title": "Première", "slug": "premiere"}
    clash = await client.patch(
        f"/albums/{first['id']}", json={"title": "SECOND"}, headers=alice.auth
    )
    assert clash.status_code == 409 and "second" in clash.json()["detail"]
    cleared = await client.patch(
        f"/albums/{first['id']}", json={"description": ""}, headers=alice.auth
    )
    assert cleared.json()["description"] is None and cleared.json()["slug"] == "premiere"


async def test_cover_is_stored_and_the_old_one_removed(
    client: AsyncClient, alice: User, app: FastAPI
) -> None:
    settings = app.state.runtime.settings
    album = await new_album(client, alice, "Covered")
    url = f"/albums/{album['id']}/cover"
    first = await client.post(
        url,
        files={"image": ("a.png", make_image("png", (40, 40)), "image/png")},
        headers=alice.auth,
    )
    assert first.status_code == 200, first.text
    assert first.json()["image_url"] and first.json()["thumbnail_url"]
    before = set(media_files(settings))
    second = await client.post(
        url,
        files={"image": ("b.jpg", make_image("jpeg", (50, 30)), "image/jpeg")},
        headers=alice.auth,
    )
    assert second.json()["image_url"] != first.json()["image_url"]
    after = set(media_files(settings))
    assert len(before - after) == 2  # the old artwork and its thumbnail
    bad = await client.post(
        url, files={"image": ("x.png", b"not an image", "image/png")}, headers=alice.auth
    )
    assert bad.status_code in (400, 415)
    unexpected = await client.post(
        url, files={"other": ("x", b"x", "text/plain")}, headers=alice.auth
    )
    assert unexpected.status_code == 400
    missing = await client.post(url, data={"note": "no image"}, headers=alice.auth)
    assert missing.status_code == 422 and "image" in missing.json()["detail"]


async def test_delete_keeps_the_tracks_album_less(
    client: AsyncClient, alice: User, songs: list[dict[str, Any]]
) -> None:
    album = await new_album(client, alice, "Short Lived")
    ids = [s["id"] for s in songs]
    await client.put(f"/albums/{album['id']}/tracks", json={"track_ids": ids}, headers=alice.auth)
    assert (await client.delete(f"/albums/{album['id']}", headers=alice.auth)).status_code == 204
    assert (await client.get("/albums/alice.test/short-lived")).status_code == 404
    for track_id in ids:
        track = (await client.get(f"/tracks/{track_id}")).json()
        assert track["album"] is None
    assert (await client.delete(f"/albums/{album['id']}", headers=alice.auth)).status_code == 404


async def test_cascade_deletes_the_tracks_and_their_files(
    client: AsyncClient, alice: User, app: FastAPI, songs: list[dict[str, Any]]
) -> None:
    settings = app.state.runtime.settings
    album = await new_album(client, alice, "Gone")
    inside = [songs[0]["id"], songs[1]["id"]]
    await client.put(
        f"/albums/{album['id']}/tracks", json={"track_ids": inside}, headers=alice.auth
    )
    response = await client.delete(f"/albums/{album['id']}?cascade=true", headers=alice.auth)
    assert response.status_code == 204
    for track_id in inside:
        assert (await client.get(f"/tracks/{track_id}", headers=alice.auth)).status_code == 404
    assert (await client.get(f"/tracks/{songs[2]['id']}")).status_code == 200
    audio = [f for f in media_files(settings) if f.startswith("audio/")]
    assert audio == [f"audio/{songs[2]['file_id']}.mp3"]


async def test_only_the_artist_changes_an_album(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]]
) -> None:
    album = await new_album(client, alice, "Hers")
    ids = [songs[0]["id"]]
    await client.put(f"/albums/{album['id']}/tracks", json={"track_ids": ids}, headers=alice.auth)
    before = (await client.get("/albums/alice.test/hers")).json()
    image = {"image": ("a.png", make_image("png", (20, 20)), "image/png")}
    url = f"/albums/{album['id']}"
    attempts = [
        ("PATCH", url, {"json": {"title": "Mine now"}}),
        ("POST", f"{url}/cover", {"files": image}),
        ("PUT", f"{url}/tracks", {"json": {"track_ids": []}}),
        ("DELETE", url, {}),
        ("DELETE", f"{url}?cascade=true", {}),
    ]
    for method, path, kwargs in attempts:
        theirs = await client.request(method, path, headers=bob.auth, **kwargs)  # type: ignore[arg-type]
        assert theirs.status_code == 403, (method, path, theirs.text)
        anonymous = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert anonymous.status_code == 401, (method, path)
    assert (await client.get("/albums/alice.test/hers")).json() == before
    assert (await client.patch("/albums/999999", json={}, headers=bob.auth)).status_code == 404
