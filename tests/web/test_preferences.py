"""/preferences: defaults, merge, validation, owner only."""

from __future__ import annotations

from httpx import AsyncClient

from tests.app import User


async def test_defaults_then_merge(client: AsyncClient, alice: User) -> None:
    defaults = (await client.get("/preferences", headers=alice.auth)).json()
    assert defaults == {
        "theme": "dark",
        "accent_color": "#6a9fff",
        "auto_advance": True,
        "allow_comments": True,
        "hidden_tags": ["ai", "ai-slop", "suno"],
        "enable_teal_scrobbling": False,
        "download_policy": "open",
        "normalize_volume": True,
        "show_sensitive_artwork": False,  # blurred until the listener asks
        "show_sensitive_audio": False,
        "terms_accepted_at": None,
    }
    first = await client.post("/preferences", json={"theme": "light"}, headers=alice.auth)
    second = await client.post(
        "/preferences", json={"hidden_tags": [" Noise ", "noise", "drone"]}, headers=alice.auth
    )
    assert first.status_code == second.status_code == 200
    now = (await client.get("/preferences", headers=alice.auth)).json()
    assert now["theme"] == "light" and now["hidden_tags"] == ["noise", "drone"]


async def test_bad_preferences_are_422(client: AsyncClient, alice: User) -> None:
    for body in (
        {"theme": "neon"},
        {"accent_color": "red"},
        {"hidden_tags": ["x" * 51]},
        {"download_policy": "maybe"},
    ):
        response = await client.post("/preferences", json=body, headers=alice.auth)
        assert response.status_code == 422, body
    assert (await client.get("/preferences", headers=alice.auth)).json()["theme"] == "dark"


async def test_preferences_need_a_session(client: AsyncClient, alice: User, bob: User) -> None:
    assert (await client.get("/preferences")).status_code == 401
    assert (await client.post("/preferences", json={"theme": "light"})).status_code == 401
    await client.post("/preferences", json={"theme": "light"}, headers=bob.auth)
    assert (await client.get("/preferences", headers=alice.auth)).json()["theme"] == "dark"
