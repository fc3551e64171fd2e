"""Sign-in with an app password against the real PDS, and the PDS client plyr writes with."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import PasswordAuth, PdsClient, XrpcError
from plyr.atproto.records import RecordBuilder, tid_for
from plyr.atproto.sessions import pds_for
from plyr.core.config import Settings
from tests.atnet.network import Account, AtprotoNet, create_account, unique_handle
from tests.audio.media import make_audio


@pytest.fixture(scope="module")
def carol(atproto_net: AtprotoNet) -> Account:
    return create_account(atproto_net, unique_handle("carol"))


async def app_password_token(api: AsyncClient, account: Account) -> str:
    """Sign in with an app password; the session token (checking what the response says)."""
    response = await api.post(
        "/auth/app-password", json={"identifier": account.handle, "password": account.password}
    )
    assert response.status_code == 200, response.text
    assert response.json()["did"] == account.did
    assert "session_id=" in response.headers["set-cookie"]
    token: str = response.json()["token"]
    return token


async def test_app_password_sign_in(api: AsyncClient, carol: Account) -> None:
    token = await app_password_token(api, carol)
    me = (await api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert (me["did"], me["handle"], me["is_admin"]) == (carol.did, carol.handle, False)
    by_did = await api.post(
        "/auth/app-password", json={"identifier": carol.did, "password": carol.password}
    )
    assert by_did.status_code == 200
    assert (
        await api.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 204
    assert (
        await api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401


async def test_bad_sign_ins_are_refused(
    api: AsyncClient, carol: Account, settings: Settings
) -> None:
    wrong = await api.post(
        "/auth/app-password", json={"identifier": carol.handle, "password": "not it"}
    )
    assert wrong.status_code == 401
    unknown = await api.post(
        "/auth/app-password", json={"identifier": "nobody-here.test", "password": "x"}
    )
    assert unknown.status_code == 400 and "nobody-here.test" in unknown.json()["detail"]
    settings.allow_app_passwords = False
    assert (
        await api.post("/auth/app-password", json={"identifier": carol.handle, "password": "x"})
    ).status_code == 404


async def test_pds_client_writes_and_reads_records(
    api: AsyncClient, pds_app: FastAPI, carol: Account, tmp_path: Path
) -> None:
    await app_password_token(api, carol)
    pds = await pds_for(pds_app.state.runtime, carol.did)
    assert pds is not None
    audio = make_audio(tmp_path / "a.mp3", "mp3", seconds=1)
    blob = await pds.upload_blob(audio, "audio/mpeg")
    when = datetime(2026, 11, 21, 6, 5, tzinfo=UTC)
    record = RecordBuilder(Lexicons()).track(
        title="On my PDS", artist="Carol", file_type="mp3", created_at=when, audio_blob=blob
    )
    ref = await pds.put_record("fm.plyr.track", tid_for(when), record)
    again = await pds.put_record("fm.plyr.track", tid_for(when), record)  # a retry
    assert again.uri == ref.uri
    stored = await pds.get_record("fm.plyr.track", tid_for(when))
    assert stored is not None and stored["value"]["title"] == "On my PDS"
    listed = [r async for r in pds.list_records("fm.plyr.track")]
    assert [r["uri"] for r in listed] == [ref.uri]
    await pds.delete_record("fm.plyr.track", tid_for(when))
    assert await pds.get_record("fm.plyr.track", tid_for(when)) is None


async def test_expired_access_token_is_refreshed_once(
    pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("dave"))
    runtime = pds_app.state.runtime
    refreshed: list[dict] = []

    async def persist(tokens: dict) -> None:
        refreshed.append(tokens)

    auth = await PasswordAuth.create(
        runtime.http, atproto_net.pds_url, account.did, account.password
    )
    auth.persist = persist
    auth.tokens = {**auth.tokens, "accessJwt": auth.tokens["accessJwt"][:-4] + "AAAA"}  # invalid
    pds = PdsClient(runtime.http, atproto_net.pds_url, account.did, auth)
    like = RecordBuilder(Lexicons()).like(
        subject_uri=f"at://{account.did}/fm.plyr.track/3m2abcdefgh22",
        subject_cid="bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        created_at=datetime.now(UTC),
    )
    refs = await asyncio.gather(*(pds.create_record("fm.plyr.like", like) for _ in range(2)))
    assert len({r.uri for r in refs}) == 2  # both writes went through
    assert len(refreshed) == 1  # refresh tokens are single-use: only one refresh happened


async def test_xrpc_errors_carry_the_pds_reason(
    pds_app: FastAPI, carol: Account, atproto_net: AtprotoNet
) -> None:
    runtime = pds_app.state.runtime
    auth = await PasswordAuth.create(runtime.http, atproto_net.pds_url, carol.did, carol.password)
    pds = PdsClient(runtime.http, atproto_net.pds_url, carol.did, auth)
    with pytest.raises(XrpcError) as caught:
        await pds.put_record("fm.plyr.track", "not a valid rkey!", {"$type": "fm.plyr.track"})
    assert caught.value.status == 400


async def test_every_collection_round_trips_through_the_pds(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet
) -> None:
    account = create_account(atproto_net, unique_handle("rt"))
    await app_password_token(api, account)
    pds = await pds_for(pds_app.state.runtime, account.did)
    assert pds is not None
    build, when = RecordBuilder(Lexicons()), datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    track = await pds.put_record(
        "fm.plyr.track",
        tid_for(when),
        build.track(
            title="t",
            artist="a",
            file_type="mp3",
            created_at=when,
            audio_url="http://plyr.test/audio/0123456789abcdef",
        ),
    )
    records = {
        "fm.plyr.like": build.like(subject_uri=track.uri, subject_cid=track.cid, created_at=when),
        "fm.plyr.comment": build.comment(
            subject_uri=track.uri,
            subject_cid=track.cid,
            text="at 0:45",
            timestamp_ms=45_000,
            created_at=when,
        ),
        "fm.plyr.list": build.list(
            name="Liked Tracks", list_type="liked", items=[(track.uri, track.cid)], created_at=when
        ),
    }
    for collection, record in records.items():
        ref = await pds.create_record(collection, record)
        stored = await pds.get_record(collection, ref.uri.rsplit("/", 1)[1])
        assert stored is not None and stored["value"] == record, collection
    profile = build.profile(created_at=when, bio="hello")
    await pds.put_record("fm.plyr.actor.profile", "self", profile)
    assert (await pds.get_record("fm.plyr.actor.profile", "self"))["value"] == profile  # type: ignore[index]
