"""Whose record is this? A record read from a repo speaks only for that repo's account: its
URI must be `at://{the repo's DID}/{collection}/{rkey}`, whatever the PDS (or a firehose
event) claims. The syntax checks are the `atproto` SDK's string-format validators, which
follow the AT Protocol's published interop test vectors more closely than a regex here."""

from __future__ import annotations

from dataclasses import dataclass

from atproto_client.models import string_formats
from pydantic import TypeAdapter, ValidationError

# the SDK checks formats only when asked to, through the validation context
_STRICT = {"strict_string_format": True}
_AT_URI = TypeAdapter(string_formats.AtUri)
_DID = TypeAdapter(string_formats.Did)
_NSID = TypeAdapter(string_formats.Nsid)
_RKEY = TypeAdapter(string_formats.RecordKey)


@dataclass(frozen=True)
class RecordUri:
    did: str
    collection: str
    rkey: str

    @property
    def uri(self) -> str:
        return f"at://{self.did}/{self.collection}/{self.rkey}"


def _valid(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value, context=_STRICT)
    except ValidationError:
        return False
    return True


def owned_uri(uri: object, repo_did: str, collection: str) -> RecordUri | None:
    """The parsed URI when it names a record of `collection` in `repo_did`'s own repo and
    every part is valid syntax; None otherwise (another account's record, a handle instead
    of the DID, a bad NSID or record key, a query or fragment...)."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[0] != repo_did or parts[1] != collection:
        return None
    did, nsid, rkey = parts
    checks = ((_AT_URI, uri), (_DID, did), (_NSID, nsid), (_RKEY, rkey))
    if not all(_valid(adapter, value) for adapter, value in checks):
        return None
    return RecordUri(did, nsid, rkey)
