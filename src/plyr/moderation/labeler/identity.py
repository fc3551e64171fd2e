"""The labeler's identity: a secp256k1 key in the data dir (0600) and the DID it is published
under (`did:web` of the public host, whose document plyr serves at `/.well-known/did.json`).
`plyr labeler setup` creates both; until then the instance issues no signed labels."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from atproto_crypto.consts import SECP256K1_JWT_ALG
from atproto_crypto.did import format_did_key, format_multikey
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from plyr.core.config import Settings

KEY_FILE = "labeler_key.pem"
IDENTITY_FILE = "labeler.json"
# secp256k1's group order: a signature's s above half of it is flipped (atproto wants low-S)
_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class Labeler:
    did: str
    key: ec.EllipticCurvePrivateKey
    endpoint: str  # the #atproto_labeler service: this instance's public URL

    def sign(self, data: bytes) -> bytes:
        """The 64-byte compact (r || s, low-S) ECDSA signature of SHA-256(`data`)."""
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        if s > _ORDER // 2:
            s = _ORDER - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    @property
    def multikey(self) -> str:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return format_multikey(SECP256K1_JWT_ALG, public)

    @property
    def did_key(self) -> str:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return format_did_key(SECP256K1_JWT_ALG, public)

    def did_document(self) -> dict[str, Any]:
        return {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
            ],
            "id": self.did,
            "verificationMethod": [
                {
                    "id": f"{self.did}#atproto_label",
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": self.multikey,
                }
            ],
            "service": [
                {
                    "id": "#atproto_labeler",
                    "type": "AtprotoLabeler",
                    "serviceEndpoint": self.endpoint,
                }
            ],
        }


def did_web_of(public_url: str) -> str:
    """`did:web` of the public host (a port is percent-encoded, as did:web requires)."""
    netloc = urlsplit(public_url).netloc
    return "did:web:" + netloc.replace(":", "%3A")


def setup(settings: Settings) -> Labeler:
    """Create the key (once) and name the labeler did:web of the public host (for a did:plc:
    `plc.setup`). Running it again keeps the key."""
    load_or_create_key(settings.data_dir / KEY_FILE)
    return save_did(settings, did_web_of(settings.public_url))


def save_did(settings: Settings, did: str) -> Labeler:
    _write_private(settings.data_dir / IDENTITY_FILE, json.dumps({"did": did}).encode())
    labeler = load(settings)
    assert labeler is not None
    return labeler


def load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The secp256k1 key in `path`, generated there (0600) the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256K1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(path, pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256k1":
        raise ValueError(f"{path} is not a secp256k1 key")
    return key


def load(settings: Settings) -> Labeler | None:
    """The labeler set up in the data dir, or None."""
    key_path = settings.data_dir / KEY_FILE
    identity_path = settings.data_dir / IDENTITY_FILE
    if not key_path.exists() or not identity_path.exists():
        return None
    did = json.loads(identity_path.read_text())["did"]
    key = load_or_create_key(key_path)
    return Labeler(did=did, key=key, endpoint=settings.public_url.rstrip("/"))


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` through a 0600 temp file moved into place (never world-readable)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
