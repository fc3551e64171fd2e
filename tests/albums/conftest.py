"""Albums' fixtures: a few of alice's tracks, uploaded through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import User
from tests.helpers import upload_tone


@pytest.fixture
async def songs(client: AsyncClient, alice: User, tmp_path: Path) -> list[dict[str, Any]]:
    """Three of alice's public tracks: Morning, Noon, Night (uploaded in that order)."""
    return [
        await upload_tone(client, alice, tmp_path, title, 310 + 90 * i)
        for i, title in enumerate(("Morning", "Noon", "Night"))
    ]


async def new_album(client: AsyncClient, user: User, title: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/albums/", json={"title": title, **fields}, headers=user.auth)
    assert response.status_code in (200, 201), response.text
    album: dict[str, Any] = response.json()
    return album
