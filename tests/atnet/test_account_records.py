"""Deleting an account can delete its fm.plyr.* records on the PDS too; if the PDS will not,
nothing is deleted here either (the user can try again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.app import User
from tests.atnet.helpers import relayed_session, sign_in_app_password
from tests.atnet.network import Account, AtprotoNet, create_account, list_records, unique_handle
from tests.helpers import upload_tone


async def artist_with_a_track(
    api: AsyncClient, net: AtprotoNet, tmp_path: Path, name: str, frequency: int
) -> tuple[Account, User, dict[str, Any]]:
    """A new account signed in to plyr, and a track it has uploaded."""
    account = create_account(net, unique_handle(name))
    user = await sign_in_app_password(api, account)
    return account, user, await upload_tone(api, user, tmp_path, f"{name}'s", frequency)


async def test_delete_account_with_its_records(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account, gil, _ = await artist_with_a_track(api, atproto_net, tmp_path, "gil", 610)
    await api.put("/artists/me", headers=gil.auth, json={"bio": "soon gone"})
    assert list_records(atproto_net, gil.did, "fm.plyr.track")
    assert list_records(atproto_net, gil.did, "fm.plyr.actor.profile")

    body = {"confirmation": account.handle, "delete_atproto_records": True}
    response = await api.request("DELETE", "/account", json=body, headers=gil.auth)
    assert response.status_code == 204
    assert list_records(atproto_net, gil.did, "fm.plyr.track") == []
    assert list_records(atproto_net, gil.did, "fm.plyr.actor.profile") == []


async def test_records_kept_when_not_asked(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account, kip, _ = await artist_with_a_track(api, atproto_net, tmp_path, "kip", 620)
    body = {"confirmation": account.handle}
    assert (await api.request("DELETE", "/account", json=body, headers=kip.auth)).status_code == 204
    assert len(list_records(atproto_net, kip.did, "fm.plyr.track")) == 1  # theirs to keep


async def test_an_unreachable_pds_deletes_nothing_here_either(
    api: AsyncClient, pds_app: FastAPI, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account, una, song = await artist_with_a_track(api, atproto_net, tmp_path, "una", 630)
    outage = await relayed_session(pds_app, atproto_net, account, una.did)
    await outage.cut()
    try:
        body = {"confirmation": account.handle, "delete_atproto_records": True}
        refused = await api.request("DELETE", "/account", json=body, headers=una.auth)
        assert refused.status_code == 502
        assert "nothing was deleted here" in refused.json()["detail"]
        # still signed in, still theirs, still playable
        assert (await api.get("/auth/me", headers=una.auth)).json()["did"] == una.did
        assert (await api.get(f"/tracks/{song['id']}")).status_code == 200
        assert (await api.get(f"/audio/{song['file_id']}")).status_code in (200, 307)
    finally:
        await outage.restore()
    assert len(list_records(atproto_net, una.did, "fm.plyr.track")) == 1

    # once the PDS answers again, the same request goes through
    response = await api.request("DELETE", "/account", json=body, headers=una.auth)
    assert response.status_code == 204
    assert list_records(atproto_net, una.did, "fm.plyr.track") == []
    await outage.cut()
