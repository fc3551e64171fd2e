"""Artists you know: the plyr artists a listener follows on Bluesky, read from the
`app.bsky.graph.follow` records in the listener's own repo on the real PDS."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from httpx import AsyncClient

from tests.atnet.helpers import sign_in_app_password, xrpc
from tests.atnet.network import AtprotoNet, create_account, unique_handle
from tests.audio.media import make_audio
from tests.helpers import upload_track


async def test_artists_i_follow_on_bluesky(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    listener = create_account(atproto_net, unique_handle("fay"))
    known = create_account(atproto_net, unique_handle("kay"))
    stranger = create_account(atproto_net, unique_handle("ray"))
    silent = create_account(atproto_net, unique_handle("mae"))  # followed, but no tracks here
    for i, artist in enumerate((known, stranger)):
        user = await sign_in_app_password(api, artist)
        path = make_audio(tmp_path / f"{i}.mp3", "mp3", seconds=1, frequency=700 + 10 * i)
        await upload_track(api, user, path)
    for followed in (known, silent):
        record = {
            "$type": "app.bsky.graph.follow",
            "subject": followed.did,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        xrpc(
            atproto_net,
            listener,
            "com.atproto.repo.createRecord",
            json={"repo": listener.did, "collection": "app.bsky.graph.follow", "record": record},
        )
    fay = await sign_in_app_password(api, listener)
    response = await api.get("/artists/me/following", headers=fay.auth)
    assert response.status_code == 200
    assert [a["handle"] for a in response.json()] == [known.handle]
