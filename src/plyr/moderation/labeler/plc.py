"""A did:plc for the labeler, registered on the configured PLC directory (`PLYR_PLC_URL`):
a signed genesis operation naming the `#atproto_label` key and the `#atproto_labeler`
service. Its rotation key (kept apart from the label key, also 0600 in the data dir) is what
a later update of the DID would be signed with."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import libipld
from cryptography.hazmat.primitives.asymmetric import ec

from plyr.core.config import Settings
from plyr.moderation.labeler.identity import KEY_FILE, Labeler, load, load_or_create_key, save_did

ROTATION_KEY_FILE = "labeler_rotation_key.pem"


class PlcRefused(Exception):
    pass


def genesis(labeler_key: Labeler, rotation: Labeler, endpoint: str) -> dict[str, Any]:
    """The signed genesis operation (`sig`: base64url, unpadded, by the rotation key)."""
    operation: dict[str, Any] = {
        "type": "plc_operation",
        "rotationKeys": [rotation.did_key],
        "verificationMethods": {"atproto_label": labeler_key.did_key},
        "alsoKnownAs": [],
        "services": {"atproto_labeler": {"type": "AtprotoLabeler", "endpoint": endpoint}},
        "prev": None,
    }
    sig = rotation.sign(bytes(libipld.encode_dag_cbor(operation)))
    return {**operation, "sig": base64.urlsafe_b64encode(sig).decode().rstrip("=")}


def did_of(signed: dict[str, Any]) -> str:
    digest = hashlib.sha256(bytes(libipld.encode_dag_cbor(signed))).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def register(settings: Settings, key: ec.EllipticCurvePrivateKey) -> str:
    """Register a new did:plc for `key` and return it (the operator's own PLC: no guard)."""
    endpoint = settings.public_url.rstrip("/")
    rotation_key = load_or_create_key(settings.data_dir / ROTATION_KEY_FILE)
    signed = genesis(
        Labeler(did="", key=key, endpoint=endpoint),
        Labeler(did="", key=rotation_key, endpoint=endpoint),
        endpoint,
    )
    did = did_of(signed)
    response = httpx.post(f"{settings.plc_url.rstrip('/')}/{did}", json=signed, timeout=30)
    if response.status_code != 200:
        raise PlcRefused(f"the PLC directory answered {response.status_code}: {response.text}")
    return did


def setup(settings: Settings) -> Labeler:
    """The labeler on a did:plc: the one registered before, or a new one."""
    key = load_or_create_key(settings.data_dir / KEY_FILE)
    current = load(settings)
    if current is not None and current.did.startswith("did:plc:"):
        return current
    return save_did(settings, register(settings, key))
