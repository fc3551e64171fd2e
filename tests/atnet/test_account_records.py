"""Deleting an account can delete its fm.plyr.* records on the PDS too; if the PDS will not,
nothing is deleted here either (the user can try again)."""

from __future__ import annotations

from pathlib import Path

import httpx
from httpx import AsyncClient

from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.atnet.test_publishing import sign_in
from tests.audio.media import make_audio
from tests.helpers import upload_track


def records(net: AtprotoNet, did: str, collection: str) -> list[str]:
    response = httpx.get(
        f"{net.pds_xrpc}/com.atproto.repo.listRecords",
        params={"repo": did, "collection": collection},
    )
    return [r["uri"] for r in response.json()["records"]]


async def test_delete_account_with_its_records(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account = create_account(atproto_net, unique_handle("gil"))
    gil = await sign_in(api, account)
    await upload_track(api, gil, make_audio(tmp_path / "g.mp3", "mp3", seconds=1, frequency=610))
    await api.put("/artists/me", headers=gil.auth, json={"bio": "soon gone"})
    assert records(atproto_net, gil.did, "fm.plyr.track")
    assert records(atproto_net, gil.did, "fm.plyr.actor.profile")

    body = {"confirmation": account.handle, "delete_atproto_records": True}
    response = await api.request("DELETE", "/account", json=body, headers=gil.auth)
    assert response.status_code == 204
    assert records(atproto_net, gil.did, "fm.plyr.track") == []
    assert records(atproto_net, gil.did, "fm.plyr.actor.profile") == []


async def test_records_kept_when_not_asked(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    account = create_account(atproto_net, unique_handle("kip"))
    kip = await sign_in(api, account)
    await upload_track(api, kip, make_audio(tmp_path / "k.mp3", "mp3", seconds=1, frequency=620))
    body = {"confirmation": account.handle}
    assert (await api.request("DELETE", "/account", json=body, headers=kip.auth)).status_code == 204
    assert len(records(atproto_net, kip.did, "fm.plyr.track")) == 1  # theirs to keep
