"""The README's walkthrough, as a new user does it: `plyr serve` pointed at the local network,
sign in through the PDS's own OAuth page, upload a track, and find its `fm.plyr.track`
record in the repo with the `atproto` SDK."""

from __future__ import annotations

from pathlib import Path

import httpx
from atproto import Client

from tests.app import User
from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.atnet.oauth_browser import oauth_sign_in
from tests.audio.media import make_audio
from tests.helpers import upload_track
from tests.servers import free_port, plyr_env, run_plyr, running_plyr


async def test_sign_in_upload_and_see_the_record_with_the_sdk(
    atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    port = free_port()
    env = plyr_env(
        tmp_path / "data",
        PLYR_PUBLIC_URL=f"http://127.0.0.1:{port}",
        PLYR_PLC_URL=atproto_net.plc_url,
        PLYR_HANDLE_RESOLVERS=atproto_net.pds_url,
    )
    assert run_plyr("db", "upgrade", env=env).returncode == 0
    account = create_account(atproto_net, unique_handle("alice"))

    with running_plyr(env, port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as api:
            token = await oauth_sign_in(api, account.handle, account.password)
            api.cookies.clear()
            alice = User(did=account.did, handle=account.handle, token=token)
            me = (await api.get("/auth/me", headers=alice.auth)).json()
            assert me["handle"] == account.handle
            track = await upload_track(
                api, alice, make_audio(tmp_path / "first.flac", "flac"), title="First Light"
            )

    sdk = Client(base_url=atproto_net.pds_xrpc)
    listed = sdk.com.atproto.repo.list_records(
        {"repo": account.handle, "collection": "fm.plyr.track"}
    )
    assert [r.uri for r in listed.records] == [track["atproto_record_uri"]]
    record = listed.records[0].value
    assert record["title"] == "First Light"
    assert record["audioUrl"] == f"http://127.0.0.1:{port}/audio/{track['file_id']}"
