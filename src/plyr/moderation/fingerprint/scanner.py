"""What every re-upload scanner answers (Chromaprint against the catalog, AudD against its
own), so the task flags their findings the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from plyr.moderation.fingerprint.matching import Verdict


@dataclass(frozen=True)
class ScannedTrack:
    id: int
    artist_did: str
    duration: float | None


@dataclass(frozen=True)
class Match:
    """A likely or possible copy: `score` is the scanner's own (BER for Chromaprint, lower is
    closer; None for AudD, which says only "this is that song"); `details` goes to the flag."""

    scanner: str
    verdict: Verdict
    score: float | None
    details: dict[str, Any] = field(default_factory=dict)


class Scanner(Protocol):
    name: str

    async def scan(self, track: ScannedTrack, audio: Path) -> list[Match]:
        """Matches for the track's audio file (a local copy); [] when it is clear. Raises
        ScanFailed when this scanner cannot say."""
        ...


class ScanFailed(Exception):
    """A scanner could not scan this track (unreadable audio, its service unavailable)."""
