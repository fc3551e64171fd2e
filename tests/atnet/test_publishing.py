"""Every public track is an fm.plyr.track record in its artist's repo on the real PDS:
written on upload, rewritten on edit, removed when private or deleted, and written late
(never half-published) when the PDS was down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from tests.app import PUBLIC_URL, User
from tests.atnet.helpers import relayed_session, rkey_of, sign_in_app_password, track_record
from tests.atnet.network import AtprotoNet, create_account, get_record, unique_handle
from tests.audio.media import make_audio
from tests.helpers import finished, poll, post_upload, upload_track, wait_job


async def test_track_record_follows_the_track(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account = create_account(atproto_net, unique_handle("erin"))
    erin = await sign_in_app_password(api, account)
    track = await upload_track(
        api, erin, make_audio(tmp_path / "s.mp3", "mp3"), title="Dawn", album="Mornings"
    )
    rkey = rkey_of(track)
    assert track["atproto_record_uri"] == f"at://{erin.did}/fm.plyr.track/{rkey}"
    record = track_record(atproto_net, erin.did, rkey)
    assert record is not None
    assert (record["title"], record["album"], record["fileType"]) == ("Dawn", "Mornings", "mp3")
    assert record["audioUrl"] == track["audio_url"]

    await api.patch(f"/tracks/{track['id']}", headers=erin.auth, data={"title": "Dusk"})
    assert track_record(atproto_net, erin.did, rkey)["title"] == "Dusk"  # type: ignore[index]

    private = await api.patch(
        f"/tracks/{track['id']}", headers=erin.auth, data={"visibility": "private"}
    )
    assert private.json()["atproto_record_uri"] is None
    assert track_record(atproto_net, erin.did, rkey) is None  # private tracks never on the PDS
    public = await api.patch(
        f"/tracks/{track['id']}", headers=erin.auth, data={"visibility": "public"}
    )
    assert public.json()["atproto_record_uri"] is not None
    assert track_record(atproto_net, erin.did, rkey) is not None

    assert (await api.delete(f"/tracks/{track['id']}", headers=erin.auth)).status_code == 204
    assert track_record(atproto_net, erin.did, rkey) is None


async def test_private_upload_writes_no_record(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    erin = await sign_in_app_password(api, create_account(atproto_net, unique_handle("fay")))
    track = await upload_track(
        api, erin, make_audio(tmp_path / "s.mp3", "mp3"), title="Secret", visibility="private"
    )
    assert track["atproto_record_uri"] is None
    assert track_record(atproto_net, erin.did, rkey_of(track)) is None


async def test_pds_down_leaves_the_track_pending_until_it_is_back(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account = create_account(atproto_net, unique_handle("gus"))
    gus = await sign_in_app_password(api, account)
    outage = await relayed_session(pds_app, atproto_net, account, gus.did)
    await outage.cut()
    try:
        response = await post_upload(api, gus, make_audio(tmp_path / "s.mp3", "mp3"), title="Late")
        upload_id = response.json()["upload_id"]
        job = await _wait_for_message(api, gus, upload_id, "waiting for your PDS")
        assert job["status"] == "processing" and job["track_id"] is not None
        async with AsyncClient(transport=ASGITransport(app=pds_app), base_url=PUBLIC_URL) as anon:
            assert (await anon.get(f"/tracks/{job['track_id']}")).status_code == 404  # pending
            assert (await anon.get("/tracks/")).json()["tracks"] == []
        await outage.restore()
        job = await wait_job(api, gus, upload_id, timeout=60)
        assert job["status"] == "completed"
        track = (await api.get(f"/tracks/{job['track_id']}")).json()
        assert track["atproto_record_uri"] is not None
        assert track_record(atproto_net, gus.did, rkey_of(track))["title"] == "Late"  # type: ignore[index]
    finally:
        await outage.cut()


async def _wait_for_message(api: AsyncClient, user: User, job_id: str, text: str) -> dict[str, Any]:
    async def saying() -> dict[str, Any] | None:
        job: dict[str, Any] = (await api.get(f"/jobs/{job_id}", headers=user.auth)).json()
        return job if text in (job["message"] or "") else finished(job)

    return await poll(saying, timeout=30, what="the job to wait for the PDS")


async def test_profile_is_mirrored_and_unchanged_profiles_are_not_rewritten(
    api: AsyncClient, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("kim"))
    kim = await sign_in_app_password(api, account)

    def profile_record() -> dict[str, Any] | None:
        return get_record(atproto_net, kim.did, "fm.plyr.actor.profile", "self")

    updated = await api.put(
        "/artists/me", headers=kim.auth, json={"display_name": "Kim K", "bio": "ambient, mostly"}
    )
    assert updated.status_code == 200
    assert (updated.json()["display_name"], updated.json()["bio"]) == ("Kim K", "ambient, mostly")
    first = profile_record()
    assert first is not None and first["value"]["bio"] == "ambient, mostly"
    await api.put("/artists/me", headers=kim.auth, json={"display_name": "Kim"})  # bio unchanged
    assert profile_record()["cid"] == first["cid"]  # type: ignore[index]  # no rewrite
    await api.put("/artists/me", headers=kim.auth, json={"bio": "now with drums"})
    second = profile_record()
    assert second is not None and second["value"]["bio"] == "now with drums"
    assert second["value"]["createdAt"] == first["value"]["createdAt"]  # kept
    assert "updatedAt" in second["value"]
    assert (
        await api.put("/artists/me", json={"bio": "x" * 2561}, headers=kim.auth)
    ).status_code == 422


async def test_audio_in_the_repo_when_asked(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    lee = await sign_in_app_password(api, create_account(atproto_net, unique_handle("lee")))
    source = make_audio(tmp_path / "s.mp3", "mp3", seconds=2)
    track = await upload_track(api, lee, source, title="Mine, all of it", audio_on_pds="true")
    record = track_record(atproto_net, lee.did, rkey_of(track))
    assert record is not None and record["audioUrl"] == track["audio_url"]
    blob_cid = record["audioBlob"]["ref"]["$link"]
    stored = httpx.get(
        f"{atproto_net.pds_xrpc}/com.atproto.sync.getBlob", params={"did": lee.did, "cid": blob_cid}
    )
    assert stored.content == source.read_bytes()
    await api.patch(f"/tracks/{track['id']}", headers=lee.auth, data={"title": "Renamed"})
    rewritten = track_record(atproto_net, lee.did, rkey_of(track))
    assert rewritten is not None and rewritten["title"] == "Renamed"
    assert rewritten["audioBlob"]["ref"]["$link"] == blob_cid  # kept on rewrite


async def test_audio_too_large_for_the_repo_falls_back_to_a_link(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plyr.tracks import publishing

    monkeypatch.setattr(publishing, "MAX_BLOB_BYTES", 1000)
    max_ = await sign_in_app_password(api, create_account(atproto_net, unique_handle("max")))
    response = await post_upload(
        api, max_, make_audio(tmp_path / "s.mp3", "mp3"), title="Big", audio_on_pds="true"
    )
    job = await wait_job(api, max_, response.json()["upload_id"])
    assert job["status"] == "completed"
    assert any("too large to store on your PDS" in w for w in job["warnings"])
    track = (await api.get(f"/tracks/{job['track_id']}")).json()
    record = track_record(atproto_net, max_.did, rkey_of(track))
    assert record is not None and "audioBlob" not in record and record["audioUrl"]
