"""Every mutating route, tried by a second signed-in user and by nobody: owners' things answer
403/404 to the one and 401 to the other, and nothing changes. A route missing from the table
fails the test, so every new route has to say who may use it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from PIL import Image
from sqlalchemy import select

from plyr.models import Base
from tests.app import PUBLIC_URL, User
from tests.audio.media import make_audio
from tests.helpers import upload_track

MUTATING = ("post", "put", "patch", "delete")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
async def owned(client: AsyncClient, alice: User, tmp_path: Path) -> dict[str, Any]:
    """Alice's things: a public and a private track, an album, public and private
    playlists, a comment, a jam."""
    track = await upload_track(
        client, alice, make_audio(tmp_path / "t.mp3", "mp3", 1, frequency=510), title="Mine"
    )
    private = await upload_track(
        client,
        alice,
        make_audio(tmp_path / "p.mp3", "mp3", 1, frequency=520),
        visibility="private",
    )
    album = (await client.post("/albums/", json={"title": "Alb"}, headers=alice.auth)).json()
    await client.put(
        f"/albums/{album['id']}/tracks", json={"track_ids": [track["id"]]}, headers=alice.auth
    )
    playlist = (
        await client.post("/lists/playlists", json={"name": "Pl"}, headers=alice.auth)
    ).json()
    await client.post(
        f"/lists/playlists/{playlist['id']}/tracks",
        json={"track_id": track["id"]},
        headers=alice.auth,
    )
    hidden = (
        await client.post(
            "/lists/playlists", json={"name": "Secret", "is_private": True}, headers=alice.auth
        )
    ).json()
    comment = (
        await client.post(
            f"/tracks/{track['id']}/comments",
            json={"text": "first", "timestamp_ms": 0},
            headers=alice.auth,
        )
    ).json()
    jam = await client.post("/jams/", json={"track_ids": [track["id"]]}, headers=alice.auth)
    return {
        "jam": jam.json()["code"],
        "track": track["id"],
        "private": private["id"],
        "album": album["id"],
        "playlist": playlist["id"],
        "hidden": hidden["id"],
        "comment": comment["id"],
    }


def owner_only(ids: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, template, concrete path, request kwargs) that only Alice may do."""
    t, a, p, h, c = ids["track"], ids["album"], ids["playlist"], ids["hidden"], ids["comment"]
    j = ids["jam"]
    image = {"files": {"image": ("c.png", png(), "image/png")}}
    return [
        ("patch", "/tracks/{track_id}", f"/tracks/{t}", {"data": {"title": "x"}}),
        ("delete", "/tracks/{track_id}", f"/tracks/{t}", {}),
        ("patch", "/tracks/{track_id}", f"/tracks/{ids['private']}", {"data": {"title": "x"}}),
        (
            "patch",
            "/tracks/comments/{comment_id}",
            f"/tracks/comments/{c}",
            {"json": {"text": "x"}},
        ),
        ("delete", "/tracks/comments/{comment_id}", f"/tracks/comments/{c}", {}),
        ("patch", "/albums/{album_id}", f"/albums/{a}", {"json": {"title": "x"}}),
        ("delete", "/albums/{album_id}", f"/albums/{a}", {}),
        ("post", "/albums/{album_id}/cover", f"/albums/{a}/cover", image),
        ("put", "/albums/{album_id}/tracks", f"/albums/{a}/tracks", {"json": {"track_ids": []}}),
        (
            "patch",
            "/lists/playlists/{playlist_id}",
            f"/lists/playlists/{p}",
            {"json": {"name": "x"}},
        ),
        ("delete", "/lists/playlists/{playlist_id}", f"/lists/playlists/{p}", {}),
        (
            "patch",
            "/lists/playlists/{playlist_id}",
            f"/lists/playlists/{h}",
            {"json": {"name": "x"}},
        ),
        (
            "post",
            "/lists/playlists/{playlist_id}/tracks",
            f"/lists/playlists/{p}/tracks",
            {"json": {"track_id": t}},
        ),
        (
            "delete",
            "/lists/playlists/{playlist_id}/tracks/{track_id}",
            f"/lists/playlists/{p}/tracks/{t}",
            {},
        ),
        (
            "put",
            "/lists/playlists/{playlist_id}/reorder",
            f"/lists/playlists/{p}/reorder",
            {"json": {"track_ids": [t]}},
        ),
        ("post", "/lists/playlists/{playlist_id}/cover", f"/lists/playlists/{p}/cover", image),
        ("delete", "/lists/playlists/{playlist_id}/cover", f"/lists/playlists/{p}/cover", {}),
        # things of Alice's that Bob may not even see: as if they did not exist
        ("post", "/tracks/{track_id}/like", f"/tracks/{ids['private']}/like", {}),
        (
            "post",
            "/tracks/{track_id}/comments",
            f"/tracks/{ids['private']}/comments",
            {"json": {"text": "hi", "timestamp_ms": 0}},
        ),
        ("post", "/tracks/{track_id}/share", f"/tracks/{ids['private']}/share", {}),
        ("delete", "/auth/developer-tokens/{prefix}", "/auth/developer-tokens/abcdefgh", {}),
        # a jam: its participants command it and leave it, its host ends it
        ("post", "/jams/{code}/command", f"/jams/{j}/command", {"json": {"type": "play"}}),
        ("post", "/jams/{code}/leave", f"/jams/{j}/leave", {}),
        ("post", "/jams/{code}/end", f"/jams/{j}/end", {}),
    ]


# Routes any signed-in user may call on their own behalf (anonymous: 401), and routes open to
# everyone. Their effects are on the caller's own data, which other tests cover.
SELF_SCOPED = {
    ("post", "/auth/switch-account"): {"json": {"did": "did:plc:nobody"}},
    ("post", "/auth/logout"): {},
    ("post", "/auth/logout-all"): {},
    ("post", "/auth/developer-token/start"): {"json": {"name": "x"}},
    ("post", "/auth/add-account/start"): {
        "data": {"handle": "x"},
        "headers": {"Origin": PUBLIC_URL},
    },
    ("post", "/tracks/{track_id}/like"): {},
    ("delete", "/tracks/{track_id}/like"): {},
    ("post", "/tracks/{track_id}/comments"): {"json": {"text": "hi", "timestamp_ms": 0}},
    ("post", "/tracks/{track_id}/share"): {},
    ("post", "/tracks/"): {"data": {"title": "x"}},
    ("put", "/artists/me"): {"json": {"bio": "x"}},
    ("post", "/albums/"): {"json": {"title": "x"}},
    ("post", "/lists/playlists"): {"json": {"name": "x"}},
    ("post", "/preferences"): {"json": {"theme": "light"}},
    ("post", "/preferences/terms"): {},
    ("put", "/queue/"): {"json": {"state": {"track_ids": []}}},
    ("post", "/exports/"): {},
    ("delete", "/account"): {"json": {"confirmation": "x"}},
    ("post", "/jams/"): {"json": {"track_ids": []}},
    ("post", "/jams/{code}/join"): {},  # anyone signed in with the link may join
    ("post", "/moderation/reports"): {
        "json": {"target_type": "artist", "target_id": "did:plc:x", "reason": "spam"}
    },
}
# Admins' routes (PLYR_ADMIN_DIDS): anyone else, signed in or not, is told there is nothing here
ADMIN_ONLY = {
    ("post", "/moderation/items/{item_id}/actions"): {"data": {"action": "dismiss"}},
}
PUBLIC = {
    ("post", "/auth/app-password"),  # signing in
    ("post", "/auth/start"),  # signing in (from plyr's own pages only)
    ("post", "/auth/create-account/start"),
    ("post", "/tracks/{track_id}/play"),  # anonymous listeners count too
    ("post", "/tracks/{track_id}/ref/{code}/click"),  # anonymous visits count too
}


async def snapshot(app: FastAPI) -> dict[str, list[str]]:
    """Every row of every table but sessions (reading touches them)."""
    rows: dict[str, list[str]] = {}
    async with app.state.runtime.sessionmaker() as db:
        for table in Base.metadata.sorted_tables:
            if table.name != "sessions":
                result = await db.execute(select(table))
                rows[table.name] = sorted(str(tuple(r)) for r in result.all())
    return rows


async def test_every_mutating_route_is_classified(app: FastAPI, owned: dict[str, Any]) -> None:
    operations = {
        (method, path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in MUTATING
    }
    classified = (
        {(m, t) for m, t, _, _ in owner_only(owned)} | set(SELF_SCOPED) | set(ADMIN_ONLY) | PUBLIC
    )
    assert operations - classified == set(), "classify these routes in the matrix"


async def test_second_user_and_nobody_change_nothing(
    app: FastAPI, client: AsyncClient, bob: User, owned: dict[str, Any]
) -> None:
    before = await snapshot(app)
    for method, template, path, kwargs in owner_only(owned):
        as_bob = await client.request(method.upper(), path, headers=bob.auth, **kwargs)
        assert as_bob.status_code in (403, 404), f"bob {method} {template}: {as_bob.status_code}"
        anonymous = await client.request(method.upper(), path, **kwargs)
        assert anonymous.status_code == 401, f"nobody {method} {template}: {anonymous.status_code}"
    assert await snapshot(app) == before


async def test_admin_routes_are_not_there_for_others(
    app: FastAPI, client: AsyncClient, bob: User, owned: dict[str, Any]
) -> None:
    body = {"target_type": "track", "target_id": str(owned["track"]), "reason": "spam"}
    report = await client.post("/moderation/reports", json=body, headers=bob.auth)
    before = await snapshot(app)
    for (method, template), kwargs in ADMIN_ONLY.items():
        path = template.replace("{item_id}", str(report.json()["id"]))
        for headers in (bob.auth, {}):
            response = await client.request(method.upper(), path, headers=headers, **kwargs)
            assert response.status_code == 404, f"{method} {template}: {response.status_code}"
    assert await snapshot(app) == before


async def test_self_scoped_routes_need_a_session(
    client: AsyncClient, owned: dict[str, Any]
) -> None:
    for (method, template), kwargs in SELF_SCOPED.items():
        path = template.replace("{track_id}", str(owned["track"]))
        response = await client.request(method.upper(), path, **kwargs)
        assert response.status_code == 401, f"nobody {method} {template}: {response.status_code}"
