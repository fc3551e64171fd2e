"""NUL characters are refused with a 400 wherever text comes in (path, query, JSON, forms,
multipart fields): PostgreSQL text cannot hold one. Text bodies are capped at 1 MB (413);
uploads (multipart) are not read by the check and still stream."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from starlette.types import Receive, Scope, Send

from plyr.core.nul import MAX_TEXT_BODY, RefuseNul
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import post_upload, upload_tone


@pytest.fixture
async def track_id(client: AsyncClient, alice: User, tmp_path: Path) -> int:
    return int((await upload_tone(client, alice, tmp_path, "A tone", 440))["id"])


async def test_nul_in_json_bodies_is_a_400(client: AsyncClient, alice: User, track_id: int) -> None:
    comment = await client.post(
        f"/tracks/{track_id}/comments",
        json={"text": "hi\x00there", "timestamp_ms": 0},
        headers=alice.auth,
    )
    profile = await client.put("/artists/me", json={"bio": "a\x00b"}, headers=alice.auth)
    key = await client.put("/artists/me", json={"bio\x00": "ok"}, headers=alice.auth)
    for response in (comment, profile, key):
        assert response.status_code == 400, response.text
        assert "NUL" in response.json()["detail"]
    comments = (await client.get(f"/tracks/{track_id}/comments")).json()
    assert comments == []


async def test_an_escaped_backslash_before_u0000_is_not_a_nul(
    client: AsyncClient, alice: User
) -> None:
    response = await client.put("/artists/me", json={"bio": "C:\\u0000"}, headers=alice.auth)
    assert response.status_code == 200, response.text
    assert response.json()["bio"] == "C:\\u0000"


@pytest.mark.parametrize(
    "url", ["/search/?q=a%00b", "/tracks/?artist_did=did%00x", "/search/?q%00=a", "/tracks/1%00"]
)
async def test_nul_in_the_address_is_a_400(client: AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 400, response.text


async def test_nul_in_form_fields_is_a_400(
    client: AsyncClient, alice: User, tmp_path: Path, track_id: int
) -> None:
    upload = await post_upload(
        client, alice, make_audio(tmp_path / "b.mp3", "mp3", 1, frequency=550), title="x\x00y"
    )
    assert upload.status_code == 400 and "NUL" in upload.json()["detail"]
    edit = await client.patch(
        f"/tracks/{track_id}", data={"title": "bad\x00title"}, headers=alice.auth
    )
    assert edit.status_code == 400 and "NUL" in edit.json()["detail"]
    encoded = await client.patch(
        f"/tracks/{track_id}",
        content=b"title=bad%00title",
        headers={**alice.auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert encoded.status_code == 400
    assert (await client.get(f"/tracks/{track_id}")).json()["title"] == "A tone"


async def test_a_text_body_over_1_mb_is_a_413(client: AsyncClient, alice: User) -> None:
    body = b'{"bio": "' + b"x" * MAX_TEXT_BODY + b'"}'
    declared = await client.put(
        "/artists/me", content=body, headers={**alice.auth, "Content-Type": "application/json"}
    )
    assert declared.status_code == 413

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(3):
            yield b" " * (MAX_TEXT_BODY // 2)  # no Content-Length: counted while read
        yield b'{"bio": "x"}'

    streamed = await client.put(
        "/artists/me", content=chunks(), headers={**alice.auth, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_an_upload_larger_than_the_text_cap_goes_through(
    client: AsyncClient, alice: User, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "long.mp3", "mp3", 90, frequency=330)
    assert path.stat().st_size > MAX_TEXT_BODY
    response = await post_upload(client, alice, path, title="Long")
    assert response.status_code == 202, response.text


async def test_multipart_bodies_reach_the_app_chunk_by_chunk() -> None:
    """The check does not buffer uploads: the app receives each chunk as it comes."""
    seen: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def parts():  # type: ignore[no-untyped-def]
        for _ in range(4):
            yield b"\x00" * (MAX_TEXT_BODY)  # NUL bytes in audio are audio

    transport = ASGITransport(app=RefuseNul(app))
    async with AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.post(
            "/tracks/", content=parts(), headers={"Content-Type": "multipart/form-data; b=x"}
        )
    assert response.status_code == 204
    assert [n for n in seen if n] == [MAX_TEXT_BODY] * 4
