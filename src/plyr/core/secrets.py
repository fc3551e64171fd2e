"""Encryption of secrets at rest (OAuth tokens, DPoP keys) with a key derived from
PLYR_SECRET_KEY. Fernet: AES-128-CBC + HMAC-SHA256, authenticated, with a timestamp."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretBoxError(Exception):
    """A stored secret could not be decrypted (wrong key or tampered)."""


class SecretBox:
    def __init__(self, secret_key: str, purpose: str = "plyr stored secrets v1") -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError) as e:
            raise SecretBoxError("stored secret could not be decrypted") from e
        return data
