"""The playlists API: create, list, show, rename, privacy, add, remove, reorder, cover,
delete; a private playlist is its owner's alone, and a third person sees only public tracks
in anyone's playlist."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from plyr.housekeeping import remove_orphan_media
from tests.app import User
from tests.audio.media import make_image
from tests.helpers import add_to_playlist, media_files, new_playlist, upload_tone


async def titles(client: AsyncClient, playlist_id: int, user: User | None) -> list[str]:
    response = await client.get(
        f"/lists/playlists/{playlist_id}", headers=user.auth if user else {}
    )
    assert response.status_code == 200, response.text
    return [t["title"] for t in response.json()["tracks"]]


async def test_create_list_and_show(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]]
) -> None:
    mix = await new_playlist(client, bob, "  Road Mix ")
    assert (mix["name"], mix["is_private"], mix["track_count"]) == ("Road Mix", False, 0)
    assert mix["owner"]["handle"] == "bob.test" and mix["atproto_record_uri"] is None
    hidden = await new_playlist(client, bob, "Secret Mix", is_private=True)
    for track in songs[:2]:
        assert await add_to_playlist(client, bob, mix["id"], track["id"]) == 200
    mine = (await client.get("/lists/playlists", headers=bob.auth)).json()
    assert [(p["name"], p["track_count"]) for p in mine] == [("Road Mix", 2), ("Secret Mix", 0)]
    assert (await client.get("/lists/playlists", headers=alice.auth)).json() == []
    assert (await client.get("/lists/playlists")).status_code == 401
    assert await titles(client, mix["id"], None) == ["Morning", "Noon"]
    detail = (await client.get(f"/lists/playlists/{mix['id']}")).json()
    assert detail["tracks"][0]["artist"]["handle"] == "alice.test" and detail["track_count"] == 2
    for user in (alice, None):
        headers = user.auth if user else {}
        response = await client.get(f"/lists/playlists/{hidden['id']}", headers=headers)
        assert response.status_code == 404
    assert (
        await client.get(f"/lists/playlists/{hidden['id']}", headers=bob.auth)
    ).status_code == 200
    assert (await client.get("/lists/playlists/999999")).status_code == 404


async def test_names_are_checked(client: AsyncClient, alice: User) -> None:
    for name in ("", "   ", "x" * 257):
        response = await client.post("/lists/playlists", json={"name": name}, headers=alice.auth)
        assert response.status_code == 422, name
    nul = await client.post("/lists/playlists", json={"name": "nul\x00name"}, headers=alice.auth)
    assert nul.status_code == 400  # refused before any route (plyr.core.nul)
    long = await new_playlist(client, alice, "é" * 256)
    assert len(long["name"]) == 256
    rename = await client.patch(
        f"/lists/playlists/{long['id']}", json={"name": ""}, headers=alice.auth
    )
    assert rename.status_code == 422


async def test_add_remove_and_duplicates(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]], tmp_path: Path
) -> None:
    mix = await new_playlist(client, bob, "Mix")
    assert await add_to_playlist(client, bob, mix["id"], songs[1]["id"]) == 200
    assert await add_to_playlist(client, bob, mix["id"], songs[0]["id"]) == 200
    assert await add_to_playlist(client, bob, mix["id"], songs[1]["id"]) == 409  # once each
    assert await add_to_playlist(client, bob, mix["id"], 999_999) == 404
    private = await upload_tone(client, alice, tmp_path, "Hers Alone", 812, visibility="private")
    assert await add_to_playlist(client, bob, mix["id"], private["id"]) == 404  # bob may not see it
    assert await titles(client, mix["id"], bob) == ["Noon", "Morning"]
    url = f"/lists/playlists/{mix['id']}/tracks"
    removed = await client.delete(f"{url}/{songs[1]['id']}", headers=bob.auth)
    assert removed.status_code == 200 and [t["title"] for t in removed.json()["tracks"]] == [
        "Morning"
    ]
    assert (await client.delete(f"{url}/{songs[1]['id']}", headers=bob.auth)).status_code == 404


async def test_third_people_see_only_public_tracks(
    client: AsyncClient,
    alice: User,
    bob: User,
    carol: User,
    songs: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    unlisted = await upload_tone(client, alice, tmp_path, "By Link", 611, visibility="unlisted")
    own_private = await upload_tone(client, bob, tmp_path, "Bob Demo", 733, visibility="private")
    mix = await new_playlist(client, bob, "Mix")
    for track_id in (songs[0]["id"], unlisted["id"], own_private["id"], songs[1]["id"]):
        assert await add_to_playlist(client, bob, mix["id"], track_id) == 200
    assert await titles(client, mix["id"], bob) == ["Morning", "By Link", "Bob Demo", "Noon"]
    assert await titles(client, mix["id"], alice) == ["Morning", "By Link", "Noon"]  # hers
    for viewer in (carol, None):
        assert await titles(client, mix["id"], viewer) == ["Morning", "Noon"]
    listed = (await client.get(f"/lists/playlists/{mix['id']}")).json()
    assert listed["track_count"] == 2

    # a track its artist makes private leaves everyone else's view of the playlist
    await client.patch(
        f"/tracks/{songs[0]['id']}", data={"visibility": "private"}, headers=alice.auth
    )
    assert await titles(client, mix["id"], bob) == ["By Link", "Bob Demo", "Noon"]
    assert await titles(client, mix["id"], alice) == ["Morning", "By Link", "Noon"]


async def test_reorder_takes_a_permutation(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]]
) -> None:
    mix = await new_playlist(client, bob, "Mix")
    ids = [s["id"] for s in songs]
    for track_id in ids:
        await add_to_playlist(client, bob, mix["id"], track_id)
    url = f"/lists/playlists/{mix['id']}/reorder"
    for wrong in ([ids[0], ids[1]], [*ids, ids[0]], [ids[0], ids[1], 999_999], []):
        response = await client.put(url, json={"track_ids": wrong}, headers=bob.auth)
        assert response.status_code == 400, wrong
        assert "track_ids" in response.json()["detail"]
    done = await client.put(url, json={"track_ids": ids[::-1]}, headers=bob.auth)
    assert done.status_code == 200
    assert [t["title"] for t in done.json()["tracks"]] == ["Night", "Noon", "Morning"]

    # a track bob can no longer see: the others are reordered, it keeps its place after them
    await client.patch(f"/tracks/{ids[1]}", data={"visibility": "private"}, headers=alice.auth)
    done = await client.put(url, json={"track_ids": [ids[0], ids[2]]}, headers=bob.auth)
    assert done.status_code == 200
    await client.patch(f"/tracks/{ids[1]}", data={"visibility": "public"}, headers=alice.auth)
    assert await titles(client, mix["id"], bob) == ["Morning", "Night", "Noon"]


async def test_rename_and_privacy(
    client: AsyncClient, bob: User, carol: User, songs: list[dict[str, Any]]
) -> None:
    mix = await new_playlist(client, bob, "Mix")
    url = f"/lists/playlists/{mix['id']}"
    renamed = await client.patch(url, json={"name": "Night Mix"}, headers=bob.auth)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Night Mix"
    hidden = await client.patch(url, json={"is_private": True}, headers=bob.auth)
    assert hidden.json()["is_private"] is True
    assert (await client.get(url, headers=carol.auth)).status_code == 404
    shown = await client.patch(url, json={"is_private": False}, headers=bob.auth)
    assert shown.json()["is_private"] is False
    assert (await client.get(url, headers=carol.auth)).json()["name"] == "Night Mix"


async def test_cover_set_and_removed(client: AsyncClient, bob: User, app: FastAPI) -> None:
    runtime = app.state.runtime
    mix = await new_playlist(client, bob, "Mix")
    url = f"/lists/playlists/{mix['id']}/cover"
    image = {"image": ("c.png", make_image("png", (30, 30)), "image/png")}
    set_cover = await client.post(url, files=image, headers=bob.auth)
    assert set_cover.status_code == 200, set_cover.text
    assert set_cover.json()["image_url"] and set_cover.json()["thumbnail_url"]
    stored = [f for f in media_files(runtime.settings) if f.startswith("images/")]
    assert len(stored) == 2
    # housekeeping knows playlist covers are in use
    assert await remove_orphan_media(runtime, older_than=timedelta(0)) == 0
    assert [f for f in media_files(runtime.settings) if f.startswith("images/")] == stored
    removed = await client.delete(url, headers=bob.auth)
    assert removed.status_code == 200 and removed.json()["image_url"] is None
    assert [f for f in media_files(runtime.settings) if f.startswith("images/")] == []


async def test_delete(client: AsyncClient, bob: User, songs: list[dict[str, Any]]) -> None:
    mix = await new_playlist(client, bob, "Mix")
    await add_to_playlist(client, bob, mix["id"], songs[0]["id"])
    url = f"/lists/playlists/{mix['id']}"
    assert (await client.delete(url, headers=bob.auth)).status_code == 204
    assert (await client.get(url, headers=bob.auth)).status_code == 404
    assert (await client.delete(url, headers=bob.auth)).status_code == 404
    assert (await client.get(f"/tracks/{songs[0]['id']}")).status_code == 200  # tracks stay


async def test_only_the_owner_changes_a_playlist(
    client: AsyncClient, alice: User, bob: User, songs: list[dict[str, Any]]
) -> None:
    public = await new_playlist(client, alice, "Open")
    private = await new_playlist(client, alice, "Closed", is_private=True)
    for playlist in (public, private):
        await add_to_playlist(client, alice, playlist["id"], songs[0]["id"])
        await add_to_playlist(client, alice, playlist["id"], songs[1]["id"])
    before = {
        p["id"]: (await client.get(f"/lists/playlists/{p['id']}", headers=alice.auth)).json()
        for p in (public, private)
    }
    image = {"image": ("c.png", make_image("png", (20, 20)), "image/png")}
    for playlist, refused in ((public, 403), (private, 404)):
        url = f"/lists/playlists/{playlist['id']}"
        attempts = [
            ("PATCH", url, {"json": {"name": "bob's now"}}),
            ("PATCH", url, {"json": {"is_private": True}}),
            ("POST", f"{url}/tracks", {"json": {"track_id": songs[2]["id"]}}),
            ("DELETE", f"{url}/tracks/{songs[0]['id']}", {}),
            ("PUT", f"{url}/reorder", {"json": {"track_ids": [songs[1]["id"], songs[0]["id"]]}}),
            ("POST", f"{url}/cover", {"files": image}),
            ("DELETE", f"{url}/cover", {}),
            ("DELETE", url, {}),
        ]
        for method, path, kwargs in attempts:
            theirs = await client.request(method, path, headers=bob.auth, **kwargs)  # type: ignore[arg-type]
            assert theirs.status_code == refused, (method, path, theirs.text)
            anonymous = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert anonymous.status_code == 401, (method, path)
    for playlist_id, was in before.items():
        now = await client.get(f"/lists/playlists/{playlist_id}", headers=alice.auth)
        assert now.json() == was
