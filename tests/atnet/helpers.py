"""What another AT Protocol client does on the devnet PDS (a call with the account's own
session, a track record written as plyr.fm would): shared by the atnet tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from plyr.atproto.records import tid_for
from tests.atnet.network import Account, AtprotoNet


def xrpc(
    net: AtprotoNet, account: Account, nsid: str, content_type: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """What another client does: a call with the account's own session."""
    headers = {"Authorization": f"Bearer {account.access_jwt}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = httpx.post(f"{net.pds_xrpc}/{nsid}", timeout=30, headers=headers, **kwargs)
    response.raise_for_status()
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def put_record(
    net: AtprotoNet, account: Account, collection: str, rkey: str, record: dict[str, Any]
) -> dict[str, Any]:
    """Write a record into the account's own repo; its strong ref (`uri`, `cid`)."""
    body = xrpc(
        net,
        account,
        "com.atproto.repo.putRecord",
        json={"repo": account.did, "collection": collection, "rkey": rkey, "record": record},
    )
    return {"uri": body["uri"], "cid": body["cid"]}


def put_track(net: AtprotoNet, account: Account, title: str, **fields: Any) -> str:
    now = datetime.now(UTC)
    rkey = tid_for(now)
    record = {
        "$type": "fm.plyr.track",
        "title": title,
        "artist": "Elsewhere",
        "fileType": "mp3",
        "createdAt": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        **fields,
    }
    put_record(net, account, "fm.plyr.track", rkey, record)
    return rkey
