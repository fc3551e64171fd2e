"""Records as the firehose carries them (DAG-CBOR, decoded by the `atproto` SDK) turned
into the JSON form that `getRecord`/`listRecords` return, so one validator and one indexer
serve both: the SDK leaves a CID link as its raw bytes (or a CID object), which JSON writes
as `{"$link": cid}`, and a byte string, which JSON writes as `{"$bytes": base64}`."""

from __future__ import annotations

import base64
from typing import Any

from atproto import CID


def json_form(value: Any) -> Any:
    """`value` (a decoded DAG-CBOR record) in the atproto JSON data model."""
    if isinstance(value, dict):
        if value.get("$type") == "blob" and isinstance(value.get("ref"), bytes | CID):
            return {**{k: json_form(v) for k, v in value.items()}, "ref": _link(value["ref"])}
        return {key: json_form(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_form(item) for item in value]
    if isinstance(value, CID):
        return _link(value)
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode().rstrip("=")}
    return value


def _link(cid: bytes | CID) -> dict[str, str]:
    """A blob's link; bytes that are no CID stay bytes (the validator refuses them)."""
    try:
        return {"$link": str(cid if isinstance(cid, CID) else CID.decode(cid))}
    except Exception:  # libipld's errors have no common base
        return {"$bytes": base64.b64encode(bytes(cid)).decode().rstrip("=")}
