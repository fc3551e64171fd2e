"""When a write to the PDS needs the user to sign in again (a scope they did not grant, a
session that ended): the API says so before changing anything, and a write that was already
under way waits (flagged on /auth/me) and goes through once they sign in again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.atproto.sessions import seal_oauth_session
from plyr.core.config import Settings
from plyr.models import Session, Track
from tests.app import User
from tests.atnet.helpers import rkey_of, track_record
from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle
from tests.atnet.oauth_browser import oauth_sign_in
from tests.audio.media import make_audio
from tests.helpers import poll, post_upload, row_counts, wait_job

WITHOUT_TRACKS = "atproto repo:fm.plyr.like"


async def sign_in_oauth(
    api: AsyncClient, settings: Settings, account: Account, scope: str | None = None
) -> User:
    """Sign in through the PDS's pages, plyr asking for `scope` (None: its full scope)."""
    settings.oauth_scope = scope
    token = await oauth_sign_in(api, account.handle, account.password)
    api.cookies.clear()
    return User(did=account.did, handle=account.handle, token=token)


async def me(api: AsyncClient, user: User) -> dict[str, Any]:
    response = await api.get("/auth/me", headers=user.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_write_outside_the_granted_scope_is_refused_before_anything_changes(
    api: AsyncClient,
    pds_app: FastAPI,
    settings: Settings,
    atproto_net: AtprotoNet,
    tmp_path: Path,
) -> None:
    account = create_account(atproto_net, unique_handle("noor"))
    noor = await sign_in_oauth(api, settings, account, WITHOUT_TRACKS)

    refused = await post_upload(api, noor, make_audio(tmp_path / "a.mp3", "mp3"), title="No")
    assert refused.status_code == 403
    assert refused.json()["detail"]["error"] == "scope_upgrade_required"
    assert refused.json()["detail"]["scope"] == "repo:fm.plyr.track?action=create"
    assert await row_counts(pds_app) == {"tracks": 0, "audio_files": 0}

    profile = await api.put("/artists/me", headers=noor.auth, json={"bio": "hello"})
    assert profile.status_code == 403
    assert profile.json()["detail"]["scope"] == "repo:fm.plyr.actor.profile?action=create"
    assert (await api.get("/artists/me", headers=noor.auth)).json()["bio"] is None

    # signing in again with plyr's full scope grants it
    noor = await sign_in_oauth(api, settings, account)
    accepted = await post_upload(api, noor, make_audio(tmp_path / "b.mp3", "mp3"), title="Yes")
    assert accepted.status_code == 202, accepted.text
    job = await wait_job(api, noor, accepted.json()["upload_id"])
    assert job["status"] == "completed", job
    track = (await api.get(f"/tracks/{job['track_id']}")).json()
    assert track_record(atproto_net, noor.did, rkey_of(track)) is not None


async def claim_full_scope(app: FastAPI, did: str, scope: str) -> None:
    """Make plyr believe the session has `scope` while the PDS knows better: what happens
    when a grant narrows behind plyr's back (or a check cannot tell in advance)."""
    runtime = app.state.runtime
    async with runtime.writer() as db:
        session = (
            await db.scalars(select(Session).where(Session.did == did, Session.kind == "browser"))
        ).one()
        data = runtime.secrets.open(session.oauth_data)
        session.oauth_data = seal_oauth_session(runtime, {**data, "scope": scope})
        await db.commit()


async def wait_for(api: AsyncClient, user: User, job_id: str, text: str) -> dict[str, Any]:
    async def saying() -> dict[str, Any] | None:
        job: dict[str, Any] = (await api.get(f"/jobs/{job_id}", headers=user.auth)).json()
        return job if text in (job.get("message") or "") else None

    return await poll(saying, timeout=30, what=f"the job to say {text!r}")


async def nothing_queued(app: FastAPI, *keys: str) -> bool:
    """No task with one of these keys is running or scheduled (a retry would be scheduled)."""
    snapshot = await app.state.runtime.docket.snapshot()
    return not any(e.key in keys for e in [*snapshot.future, *snapshot.running])


async def test_a_publish_the_pds_refuses_waits_for_the_user_to_sign_in_again(
    api: AsyncClient,
    pds_app: FastAPI,
    settings: Settings,
    atproto_net: AtprotoNet,
    tmp_path: Path,
) -> None:
    account = create_account(atproto_net, unique_handle("omar"))
    omar = await sign_in_oauth(api, settings, account, WITHOUT_TRACKS)
    await claim_full_scope(pds_app, omar.did, "atproto repo:fm.plyr.track repo:fm.plyr.like")

    response = await post_upload(api, omar, make_audio(tmp_path / "a.mp3", "mp3"), title="Later")
    assert response.status_code == 202, response.text
    job_id = response.json()["upload_id"]
    job = await wait_for(api, omar, job_id, "not yet published")
    assert job["status"] == "processing" and "sign in again" in job["message"]
    problem = (await me(api, omar))["pds_problem"]
    assert problem["reason"] == "scope_upgrade_required"
    assert problem["scope"] == "repo:fm.plyr.track?action=create"
    async with pds_app.state.runtime.writer() as db:
        track = await db.get(Track, job["track_id"])
    assert track is not None and track.status == "pending"  # nobody else sees it yet
    assert (await api.get(f"/tracks/{track.id}")).status_code == 404
    # and nothing retries it in a loop meanwhile: its tasks end with no retry queued
    tasks = (f"upload-{job_id}", f"publish-{track.id}")
    await poll(lambda: nothing_queued(pds_app, *tasks), what="its tasks to stop")
    assert (await api.get(f"/jobs/{job_id}", headers=omar.auth)).json()["status"] == "processing"

    omar = await sign_in_oauth(api, settings, account)
    done = await wait_job(api, omar, job_id)
    assert done["status"] == "completed", done
    published = (await api.get(f"/tracks/{track.id}")).json()
    assert published["atproto_record_uri"] is not None
    assert track_record(atproto_net, omar.did, rkey_of(published))["title"] == "Later"  # type: ignore[index]
    assert (await me(api, omar))["pds_problem"] is None
