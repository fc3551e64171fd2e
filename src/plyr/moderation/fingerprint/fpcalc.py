"""Running Chromaprint's `fpcalc -raw` (Debian `libchromaprint-tools`) on an audio file."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import anyio
import numpy as np
import numpy.typing as npt

ITEMS_PER_SECOND = 11025 / 1365.33  # Chromaprint's hop: 4096-sample frames, 2/3 overlap
MAX_SECONDS = 1200  # a long mix's first 20 minutes: enough to recognise it, bounded work
TIMEOUT_S = 300.0

Items = npt.NDArray[np.uint32]


class FingerprintFailed(Exception):
    """fpcalc is missing, or could not read the audio."""


@dataclass(frozen=True)
class Fingerprint:
    items: Items
    duration: float

    def to_bytes(self) -> bytes:
        return self.items.astype("<u4").tobytes()

    @staticmethod
    def items_from(data: bytes) -> Items:
        return np.frombuffer(data, dtype="<u4").astype(np.uint32)


def available() -> bool:
    return shutil.which("fpcalc") is not None


def _parse(stdout: str) -> Fingerprint:
    try:
        answer = json.loads(stdout)
        items = np.array(answer["fingerprint"], dtype=np.uint32)
        duration = float(answer["duration"])
    except (ValueError, KeyError, TypeError, OverflowError) as e:
        raise FingerprintFailed(f"fpcalc gave no fingerprint: {e}") from e
    if items.size == 0:
        raise FingerprintFailed("fpcalc gave an empty fingerprint (silence or too short)")
    return Fingerprint(items, duration)


def fingerprint_file_sync(path: Path, max_seconds: int = MAX_SECONDS) -> Fingerprint:
    if not available():
        raise FingerprintFailed("fpcalc is not installed (apt-get install libchromaprint-tools)")
    command = ["fpcalc", "-raw", "-json", "-length", str(max_seconds), str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        raise FingerprintFailed("fpcalc took too long") from e
    # fpcalc exits 3 after a decode error at the very end of some files, having printed a
    # good fingerprint of everything before: the output decides, not the exit status
    if not done.stdout.strip():
        raise FingerprintFailed(f"fpcalc failed: {done.stderr.strip()[:200]}")
    return _parse(done.stdout)


async def fingerprint_file(path: Path, max_seconds: int = MAX_SECONDS) -> Fingerprint:
    """The file's fingerprint; raises FingerprintFailed."""
    return await anyio.to_thread.run_sync(fingerprint_file_sync, path, max_seconds)
