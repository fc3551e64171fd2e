"""Label checks done the way another AT Protocol service would: with the `atproto` SDK."""

from __future__ import annotations

from typing import Any

import libipld
from atproto import DidDocument
from atproto_crypto.did import get_did_key
from atproto_crypto.verify import verify_signature


def label_key(document: dict[str, Any]) -> str:
    """The did:key of the document's `#atproto_label` verification method."""
    doc = DidDocument.from_dict(document)
    for method in doc.verification_method or []:
        if method.id in ("#atproto_label", f"{doc.id}#atproto_label"):
            assert method.public_key_multibase is not None
            did_key = get_did_key(method.type, method.public_key_multibase)
            assert did_key is not None
            return did_key
    raise AssertionError("no #atproto_label key in the DID document")


def verifies(did_key: str, label: dict[str, Any]) -> bool:
    """Whether `label` (as received, `sig` as bytes) is signed by `did_key`."""
    # the SDK's models add `$type`, which is no part of what was signed
    unsigned = {k: v for k, v in label.items() if k not in ("sig", "$type") and v is not None}
    return verify_signature(did_key, libipld.encode_dag_cbor(unsigned), label["sig"])
