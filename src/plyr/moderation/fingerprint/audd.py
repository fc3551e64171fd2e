"""AudD (https://audd.io), a second scanner for operators with a key (`PLYR_AUDD_API_TOKEN`):
a 20 s excerpt of the upload (WAV; the standard endpoint recognises clips) goes to AudD's
recognition endpoint through the guarded HTTP client; a recognised song becomes a "likely"
match naming it (AudD knows released music, not this instance's catalog, so there is no
matched track here)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
import av
import httpx

from plyr.core.net import bounds
from plyr.moderation.fingerprint import excerpt
from plyr.moderation.fingerprint.scanner import Match, ScanFailed, ScannedTrack

log = logging.getLogger(__name__)

API_URL = "https://api.audd.io/"
DEADLINE_S = 60.0
SONG_FIELDS = ("artist", "title", "album", "release_date", "label", "timecode", "song_link")


class AuddScanner:
    name = "audd"

    def __init__(self, http: httpx.AsyncClient, api_token: str, url: str = API_URL) -> None:
        self.http = http
        self.api_token = api_token
        self.url = url

    async def scan(self, track: ScannedTrack, audio: Path) -> list[Match]:
        start = excerpt.start_of(track.duration)
        try:
            data = await anyio.to_thread.run_sync(excerpt.excerpt_wav, audio, start)
        except (av.FFmpegError, OSError, IndexError) as e:
            raise ScanFailed(f"no excerpt for AudD: {e}") from e
        try:
            response = await self.http.post(
                self.url,
                data={"api_token": self.api_token},
                files={"file": ("excerpt.wav", data, "audio/wav")},
                extensions=bounds(deadline_s=DEADLINE_S),
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as e:
            raise ScanFailed(f"AudD unavailable: {e}") from e
        return self._matches(answer)

    def _matches(self, answer: Any) -> list[Match]:
        if not isinstance(answer, dict) or answer.get("status") != "success":
            error = answer.get("error") if isinstance(answer, dict) else None
            raise ScanFailed(f"AudD answered with an error: {error!r}")
        result = answer.get("result")
        if not isinstance(result, dict):
            return []  # not recognised
        song = {k: str(result[k]) for k in SONG_FIELDS if result.get(k) is not None}
        return [Match(self.name, "likely", None, {"scanner": self.name, **song})]
