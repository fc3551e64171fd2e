"""plyr writes a track's record only for its artist: an action of another user that would
rewrite it (as album operations over someone else's track once did, review finding C1)
writes nothing into the artist's repo."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import update

from plyr.models import Track
from plyr.tracks import publishing
from tests.atnet.helpers import rkey_of, sign_in_app_password, track_record
from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.helpers import upload_tone


async def test_another_users_action_rewrites_no_record(
    pds_app: FastAPI, api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    wren = await sign_in_app_password(api, create_account(atproto_net, unique_handle("wren")))
    other = await sign_in_app_password(api, create_account(atproto_net, unique_handle("other")))
    track = await upload_tone(api, wren, tmp_path, "Wren's", 341)
    runtime = pds_app.state.runtime
    async with runtime.writer() as db:  # a change only plyr's row knows about
        await db.execute(update(Track).where(Track.id == track["id"]).values(title="Changed"))
        await db.commit()

    await publishing.sync_record(runtime, track["id"], acting_for=other.did)
    assert track_record(atproto_net, wren.did, rkey_of(track))["title"] == "Wren's"  # type: ignore[index]
    await publishing.sync_record(runtime, track["id"], acting_for=wren.did)
    assert track_record(atproto_net, wren.did, rkey_of(track))["title"] == "Changed"  # type: ignore[index]
