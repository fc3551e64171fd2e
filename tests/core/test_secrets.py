from __future__ import annotations

import pytest

from plyr.core.secrets import SecretBox, SecretBoxError


def test_round_trip_and_no_plaintext() -> None:
    box = SecretBox("k" * 32)
    sealed = box.seal({"access": "at-token-123", "refresh": "rt-456"})
    assert "at-token-123" not in sealed
    assert box.open(sealed) == {"access": "at-token-123", "refresh": "rt-456"}


def test_other_key_or_tampering_is_refused() -> None:
    sealed = SecretBox("one key").seal({"a": 1})
    with pytest.raises(SecretBoxError):
        SecretBox("another key").open(sealed)
    with pytest.raises(SecretBoxError):
        SecretBox("one key").open(sealed[:-4] + "AAAA")
