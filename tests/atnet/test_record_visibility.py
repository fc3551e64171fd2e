"""A repo is public: only public tracks are records there (review finding M2). An
"unlisted" or "supporters" track has no `fm.plyr.track` record, making a track non-public
deletes its record, and no list record names a track that is not public."""

from __future__ import annotations

from pathlib import Path

from httpx import AsyncClient

from tests.atnet.helpers import rkey_of, sign_in_app_password, track_record
from tests.atnet.network import AtprotoNet, create_account, list_records, record_at, unique_handle
from tests.helpers import upload_tone


async def test_only_public_tracks_are_records(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    uma = await sign_in_app_password(api, create_account(atproto_net, unique_handle("uma")))
    unlisted = await upload_tone(api, uma, tmp_path, "By link", 311, visibility="unlisted")
    supporters = await upload_tone(api, uma, tmp_path, "For fans", 313, visibility="supporters")
    for track in (unlisted, supporters):
        assert track["atproto_record_uri"] is None
        assert track_record(atproto_net, uma.did, rkey_of(track)) is None
    assert list_records(atproto_net, uma.did, "fm.plyr.track") == []

    public = await api.patch(
        f"/tracks/{unlisted['id']}", headers=uma.auth, data={"visibility": "public"}
    )
    assert public.json()["atproto_record_uri"] is not None
    assert track_record(atproto_net, uma.did, rkey_of(unlisted)) is not None
    hidden = await api.patch(
        f"/tracks/{unlisted['id']}", headers=uma.auth, data={"visibility": "unlisted"}
    )
    assert hidden.json()["atproto_record_uri"] is None
    assert track_record(atproto_net, uma.did, rkey_of(unlisted)) is None


async def test_list_records_name_only_public_tracks(
    api: AsyncClient, atproto_net: AtprotoNet, tmp_path: Path
) -> None:
    vic = await sign_in_app_password(api, create_account(atproto_net, unique_handle("vic")))
    album = (await api.post("/albums/", json={"title": "Mixed"}, headers=vic.auth)).json()
    shown = await upload_tone(api, vic, tmp_path, "Shown", 317, album_id=album["id"])
    fans = await upload_tone(
        api, vic, tmp_path, "Fans", 319, album_id=album["id"], visibility="supporters"
    )
    put = await api.put(
        f"/albums/{album['id']}/tracks",
        json={"track_ids": [shown["id"], fans["id"]]},
        headers=vic.auth,
    )
    assert put.status_code == 200, put.text
    record = record_at(atproto_net, put.json()["atproto_record_uri"])
    assert record is not None
    assert [i["subject"]["uri"] for i in record["value"]["items"]] == [shown["atproto_record_uri"]]
