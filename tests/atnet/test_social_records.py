"""Likes and comments are records in the listener's repo on the real PDS: `fm.plyr.like`
(the track's strongRef; one record however often you like), the liked list
(`fm.plyr.list`, listType "liked"), `fm.plyr.comment` (written, rewritten on edit, deleted);
and with the PDS unreachable, pending writes that complete once it is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from plyr.core import outbox
from plyr.models import Artist, PendingWrite
from tests.app import User
from tests.atnet.helpers import liked_list, relayed_session, sign_in_app_password
from tests.atnet.network import AtprotoNet, create_account, list_records, unique_handle
from tests.helpers import upload_tone


def strong_ref(track: dict[str, Any]) -> dict[str, str]:
    return {"uri": track["atproto_record_uri"], "cid": track["atproto_record_cid"]}


async def published(
    api: AsyncClient, net: AtprotoNet, tmp_path: Path, *titles: str
) -> list[dict[str, Any]]:
    artist = await sign_in_app_password(api, create_account(net, unique_handle("art")))
    made = []
    for i, title in enumerate(titles):
        made.append(await upload_tone(api, artist, tmp_path, title, 500 + 40 * i, seconds=2))
        assert made[-1]["atproto_record_uri"]
    return made


async def test_likes_are_records_and_the_liked_list_follows(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    dawn, dusk = await published(api, atproto_net, tmp_path, "Dawn", "Dusk")
    fan = await sign_in_app_password(api, create_account(atproto_net, unique_handle("fan")))

    for _ in range(2):  # a second like writes no second record
        assert (await api.post(f"/tracks/{dawn['id']}/like", headers=fan.auth)).is_success
    likes = list_records(atproto_net, fan.did, "fm.plyr.like")
    assert len(likes) == 1
    assert likes[0]["value"]["subject"] == strong_ref(dawn)
    assert likes[0]["value"]["$type"] == "fm.plyr.like"
    listed = liked_list(atproto_net, fan.did)
    assert listed is not None
    assert (listed["name"], listed["listType"]) == ("Liked Tracks", "liked")
    assert listed["items"] == [{"subject": strong_ref(dawn)}]
    created = listed["createdAt"]

    await api.post(f"/tracks/{dusk['id']}/like", headers=fan.auth)
    assert len(list_records(atproto_net, fan.did, "fm.plyr.like")) == 2
    listed = liked_list(atproto_net, fan.did)
    assert listed is not None  # newest like first; the same record, created when it was
    assert listed["items"] == [{"subject": strong_ref(dusk)}, {"subject": strong_ref(dawn)}]
    assert listed["createdAt"] == created and "updatedAt" in listed
    assert len(list_records(atproto_net, fan.did, "fm.plyr.list")) == 1

    assert (await api.delete(f"/tracks/{dawn['id']}/like", headers=fan.auth)).is_success
    likes = list_records(atproto_net, fan.did, "fm.plyr.like")
    assert [r["value"]["subject"] for r in likes] == [strong_ref(dusk)]
    listed = liked_list(atproto_net, fan.did)
    assert listed is not None and listed["items"] == [{"subject": strong_ref(dusk)}]
    await api.delete(f"/tracks/{dusk['id']}/like", headers=fan.auth)
    assert list_records(atproto_net, fan.did, "fm.plyr.like") == []
    listed = liked_list(atproto_net, fan.did)
    assert listed is not None and listed["items"] == []


async def test_comments_are_records_rewritten_on_edit_and_deleted(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    (song,) = await published(api, atproto_net, tmp_path, "Talkative")
    fan = await sign_in_app_password(api, create_account(atproto_net, unique_handle("cmt")))
    posted = await api.post(
        f"/tracks/{song['id']}/comments",
        headers=fan.auth,
        json={"text": "Lovely bridge", "timestamp_ms": 1500},
    )
    assert posted.status_code == 201
    (record,) = list_records(atproto_net, fan.did, "fm.plyr.comment")
    value = record["value"]
    assert value["subject"] == strong_ref(song)
    assert (value["text"], value["timestampMs"]) == ("Lovely bridge", 1500)
    assert "createdAt" in value and "updatedAt" not in value

    comment_url = f"/tracks/comments/{posted.json()['id']}"
    assert (
        await api.patch(comment_url, headers=fan.auth, json={"text": "Lovely outro"})
    ).is_success
    (rewritten,) = list_records(atproto_net, fan.did, "fm.plyr.comment")
    assert rewritten["uri"] == record["uri"]  # the same record, rewritten
    assert rewritten["value"]["text"] == "Lovely outro" and "updatedAt" in rewritten["value"]

    assert (await api.delete(comment_url, headers=fan.auth)).status_code == 204
    assert list_records(atproto_net, fan.did, "fm.plyr.comment") == []


async def pending(app: FastAPI, did: str) -> list[str]:
    async with app.state.runtime.sessionmaker() as db:
        query = select(PendingWrite.kind).where(
            PendingWrite.did == did, PendingWrite.done.is_(False)
        )
        return sorted((await db.scalars(query.order_by(PendingWrite.id))).all())


async def test_pds_down_leaves_pending_writes_that_complete_when_it_is_back(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    keep, drop = await published(api, atproto_net, tmp_path, "Kept", "Dropped")
    account = create_account(atproto_net, unique_handle("off"))
    fan = await sign_in_app_password(api, account)
    # what a like before the outage left on the PDS, to be removed during it
    await api.post(f"/tracks/{drop['id']}/like", headers=fan.auth)
    assert len(list_records(atproto_net, fan.did, "fm.plyr.like")) == 1

    runtime = pds_app.state.runtime
    outage = await relayed_session(pds_app, atproto_net, account, fan.did)
    await outage.cut()
    try:
        assert (await api.post(f"/tracks/{keep['id']}/like", headers=fan.auth)).is_success
        assert (await api.delete(f"/tracks/{drop['id']}/like", headers=fan.auth)).is_success
        posted = await api.post(
            f"/tracks/{keep['id']}/comments",
            headers=fan.auth,
            json={"text": "Heard offline", "timestamp_ms": 500},
        )
        assert posted.status_code == 201  # the comment is there at once
        assert (await api.get(f"/tracks/{keep['id']}/comments")).json()[0][
            "text"
        ] == "Heard offline"
        assert await pending(pds_app, fan.did) == [
            "comment_sync",
            "like_delete",
            "like_sync",
            "liked_list_sync",
        ]
        # nothing changed on the PDS meanwhile
        (old,) = list_records(atproto_net, fan.did, "fm.plyr.like")
        assert old["value"]["subject"] == strong_ref(drop)
        assert list_records(atproto_net, fan.did, "fm.plyr.comment") == []
        # a retry while it is still down fails again and stays pending
        assert await outbox.drain(runtime, due_now=True) >= 4
        assert len(await pending(pds_app, fan.did)) == 4

        await outage.restore()
        assert await outbox.drain(runtime, due_now=True) == 0
        assert await pending(pds_app, fan.did) == []
        likes = list_records(atproto_net, fan.did, "fm.plyr.like")
        assert [r["value"]["subject"] for r in likes] == [strong_ref(keep)]
        listed = liked_list(atproto_net, fan.did)
        assert listed is not None and listed["items"] == [{"subject": strong_ref(keep)}]
        (comment,) = list_records(atproto_net, fan.did, "fm.plyr.comment")
        assert comment["value"]["text"] == "Heard offline"
        async with runtime.sessionmaker() as db:
            assert (await db.get(Artist, fan.did)).pds_problem is None  # type: ignore[union-attr]
    finally:
        await outage.cut()


async def test_a_like_of_a_track_without_a_record_has_none(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    from tests.app import make_user

    local = await make_user(pds_app, "local.test")  # a developer session: no PDS, no record
    song = await upload_tone(api, local, tmp_path, "Local", 777)
    assert song["atproto_record_uri"] is None
    fan: User = await sign_in_app_password(api, create_account(atproto_net, unique_handle("loc")))
    assert (await api.post(f"/tracks/{song['id']}/like", headers=fan.auth)).is_success
    posted = await api.post(
        f"/tracks/{song['id']}/comments", headers=fan.auth, json={"text": "hi", "timestamp_ms": 0}
    )
    assert posted.status_code == 201
    assert list_records(atproto_net, fan.did, "fm.plyr.like") == []
    assert list_records(atproto_net, fan.did, "fm.plyr.comment") == []
    assert liked_list(atproto_net, fan.did) is None  # nothing to list yet
    assert await pending(pds_app, fan.did) == []
