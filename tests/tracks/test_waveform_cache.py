"""Waveforms: only those of public tracks may be kept by shared caches (L8)."""

from __future__ import annotations

from pathlib import Path

from httpx import AsyncClient

from tests.app import User
from tests.helpers import upload_tone


async def test_only_public_waveforms_are_publicly_cacheable(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    expected = {"public": "public", "unlisted": "private", "private": "private"}
    for i, (visibility, scope) in enumerate(expected.items()):
        track = await upload_tone(
            client, alice, tmp_path, visibility, 300 + 100 * i, visibility=visibility
        )
        wave = await client.get(f"/tracks/{track['id']}/waveform", headers=alice.auth)
        assert wave.status_code == 200
        assert wave.headers["cache-control"] == f"{scope}, max-age=86400", visibility
