"""The generated secret key: one per data dir, even when processes start together."""

from __future__ import annotations

import secrets
import stat
import threading
from pathlib import Path

import pytest

from plyr.core.config import Settings


def test_racing_starts_agree_on_one_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both starters find no key and make one; the second writes only after the first has
    already read its own back. Both must end up with the same key (the file's)."""
    both_generated = threading.Barrier(2)
    first_done = threading.Event()
    real = secrets.token_urlsafe

    def slow_token(n: int) -> str:
        both_generated.wait(timeout=5)
        if threading.current_thread().name == "second":
            first_done.wait(timeout=5)
        return real(n)

    monkeypatch.setattr(secrets, "token_urlsafe", slow_token)
    settings = Settings(PLYR_DATA_DIR=tmp_path)
    keys: dict[str, str] = {}

    def start(name: str) -> None:
        keys[name] = settings.resolved_secret_key()
        if name == "first":
            first_done.set()

    threads = [threading.Thread(target=start, args=(n,), name=n) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    path = tmp_path / "secret_key"
    assert keys["first"] == keys["second"] == path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temp file left
