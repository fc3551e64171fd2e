"""The Chromaprint scanner: fingerprints the upload, stores the fingerprint (so later
uploads are matched against it), and matches it against other artists' tracks: candidates
from the index, each verified by bit error rate at its best alignment."""

from __future__ import annotations

from pathlib import Path

from plyr.core.runtime import Runtime
from plyr.moderation.fingerprint import fpcalc, matching, repository
from plyr.moderation.fingerprint.scanner import Match, ScanFailed, ScannedTrack
from plyr.moderation.fingerprint.store import indexed_catalog

CANDIDATES = 5  # verified by BER, best-voted first


class ChromaprintScanner:
    name = "chromaprint"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def scan(self, track: ScannedTrack, audio: Path) -> list[Match]:
        try:
            fingerprint = await fpcalc.fingerprint_file(audio)
        except fpcalc.FingerprintFailed as e:
            raise ScanFailed(str(e)) from e
        async with self.runtime.writer() as db:
            await repository.replace(
                db, track.id, track.artist_did, fingerprint.to_bytes(), fingerprint.duration
            )
            await db.commit()
        return await self.match(track, fingerprint.items)

    async def match(self, track: ScannedTrack, items: fpcalc.Items) -> list[Match]:
        """The closest other artist's track, if it is a likely or possible copy."""
        catalog = indexed_catalog(self.runtime)
        async with self.runtime.sessionmaker() as db:
            await catalog.refresh(db)
            candidates = catalog.index.candidates(
                items, exclude_artist=track.artist_did, limit=CANDIDATES
            )
            references = await repository.of_tracks(
                db, [c.track_id for c in candidates], not_by=track.artist_did
            )
        best: tuple[matching.Alignment, int] | None = None
        for candidate in candidates:
            reference = references.get(candidate.track_id)
            if reference is None or candidate.track_id == track.id:
                continue  # deleted since, or the same artist's after all
            ref_items = fpcalc.Fingerprint.items_from(reference.items)
            found = matching.best_alignment(items, ref_items, candidate.offsets)
            if found is not None and (best is None or found.ber < best[0].ber):
                best = (found, candidate.track_id)
        if best is None or matching.verdict(best[0].ber) == "clear":
            return []
        alignment, matched = best
        details = {
            "matched_track_id": matched,
            "offset_s": alignment.offset_s,
            "overlap_s": alignment.overlap_s,
            "scanner": self.name,
            "verdict": matching.verdict(alignment.ber),
        }
        return [Match(self.name, matching.verdict(alignment.ber), round(alignment.ber, 4), details)]
