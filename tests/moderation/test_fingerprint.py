"""Fingerprints of generated music (fpcalc on tests/moderation/fpaudio.py): copies of a piece
(re-encoded, trimmed, quieter) align with it at a low bit error rate, a different piece does
not; the index finds the same alignment a scan of every offset finds, and leaves out the
querying artist's own tracks."""

from __future__ import annotations

from pathlib import Path

import pytest

from plyr.moderation.fingerprint import fpcalc, matching
from plyr.moderation.fingerprint.index import FingerprintIndex
from tests.moderation import fpaudio


@pytest.fixture(scope="module")
def prints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, fpcalc.Items]:
    """The original (seed 1), its copies, and a different piece (seed 2)."""
    fpaudio.require_fpcalc()
    work = tmp_path_factory.mktemp("fp")
    original = fpaudio.piece(1)
    files = {
        "original": fpaudio.write(work / "original.flac", original),
        "other": fpaudio.write(work / "other.flac", fpaudio.piece(2)),
        "quieter": fpaudio.write(work / "quieter.flac", original * 0.3),
    }
    files["reencoded"] = fpaudio.reencoded(files["original"], work / "reencoded.mp3", "64k")
    trimmed = fpaudio.write(work / "trimmed.flac", fpaudio.trimmed(original, 5.37, 31.0))
    files["trimmed"] = fpaudio.reencoded(trimmed, work / "trimmed.mp3")
    return {name: fpcalc.fingerprint_file_sync(path).items for name, path in files.items()}


@pytest.mark.parametrize("copy", ["reencoded", "quieter", "trimmed"])
def test_copies_align_with_the_original(prints: dict[str, fpcalc.Items], copy: str) -> None:
    found = matching.brute_force(prints[copy], prints["original"])
    assert found is not None and matching.verdict(found.ber) == "likely", found
    if copy == "trimmed":  # 5.37 s cut from the start: the copy starts that far in
        assert found.offset_s == pytest.approx(5.37, abs=0.2)
        assert found.overlap_s >= 20
    else:
        assert found.offset == 0


def test_a_different_piece_is_clear(prints: dict[str, fpcalc.Items]) -> None:
    found = matching.brute_force(prints["other"], prints["original"])
    assert found is not None and matching.verdict(found.ber) == "clear"
    assert found.ber > 0.35


def test_too_short_an_overlap_is_no_alignment(prints: dict[str, fpcalc.Items]) -> None:
    short = prints["original"][: matching.MIN_OVERLAP_ITEMS - 1]
    assert matching.brute_force(short, prints["original"]) is None


@pytest.mark.parametrize("copy", ["reencoded", "quieter", "trimmed"])
def test_the_index_finds_what_a_full_scan_finds(prints: dict[str, fpcalc.Items], copy: str) -> None:
    index = FingerprintIndex()
    index.add(1, "did:plc:alice", prints["original"])
    index.add(2, "did:plc:carol", prints["other"])
    candidates = index.candidates(prints[copy], exclude_artist="did:plc:bob")
    assert candidates and candidates[0].track_id == 1
    found = matching.best_alignment(prints[copy], prints["original"], candidates[0].offsets)
    assert found == matching.brute_force(prints[copy], prints["original"])


def test_the_index_leaves_out_the_artist_and_removed_tracks(
    prints: dict[str, fpcalc.Items],
) -> None:
    index = FingerprintIndex()
    index.add(1, "did:plc:alice", prints["original"])
    assert index.candidates(prints["reencoded"], exclude_artist="did:plc:alice") == []
    assert index.candidates(prints["other"], exclude_artist="did:plc:bob") == []
    index.remove(1)
    assert index.candidates(prints["reencoded"], exclude_artist="did:plc:bob") == []
    index.add(1, "did:plc:alice", prints["original"])  # fingerprinted again: found again
    assert [c.track_id for c in index.candidates(prints["reencoded"], exclude_artist="x")] == [1]


def test_the_index_stays_correct_as_segments_merge(prints: dict[str, fpcalc.Items]) -> None:
    index = FingerprintIndex()
    for track_id in range(1, 40):  # one query between adds: many small segments merged
        index.add(track_id, f"did:plc:{track_id}", prints["other"])
        index.candidates(prints["quieter"], exclude_artist="x")
    index.add(100, "did:plc:alice", prints["original"])
    found = index.candidates(prints["trimmed"], exclude_artist="x")
    assert found and found[0].track_id == 100


def test_unreadable_audio_fails_clearly(tmp_path: Path) -> None:
    fpaudio.require_fpcalc()
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(fpcalc.FingerprintFailed):
        fpcalc.fingerprint_file_sync(junk)


@pytest.mark.parametrize(
    ("ber", "expected"),
    [(0.0, "likely"), (0.15, "likely"), (0.151, "possible"), (0.30, "possible"), (0.31, "clear")],
)
def test_the_spec_thresholds(ber: float, expected: str) -> None:
    assert matching.verdict(ber) == expected
