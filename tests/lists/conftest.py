"""Playlists' fixtures: alice's tracks (`songs`), a third person (`carol`)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from tests.albums.conftest import songs
from tests.conftest import User, make_user

__all__ = ["songs"]


@pytest.fixture
async def carol(app: FastAPI) -> User:
    return await make_user(app, "carol.test")


async def new_playlist(
    client: AsyncClient, user: User, name: str, *, is_private: bool = False
) -> dict[str, Any]:
    response = await client.post(
        "/lists/playlists", json={"name": name, "is_private": is_private}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    playlist: dict[str, Any] = response.json()
    return playlist


async def add(client: AsyncClient, user: User, playlist_id: int, track_id: int) -> int:
    response = await client.post(
        f"/lists/playlists/{playlist_id}/tracks", json={"track_id": track_id}, headers=user.auth
    )
    return response.status_code
