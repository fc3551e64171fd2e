"""Benchmark: re-upload scans (plyr.moderation.fingerprint).

    uv run python bench/fingerprint.py [--sizes 1000,10000,100000] [--queries 20]

1. Fingerprinting: `fpcalc -raw` on generated music (a random melody over chords, numpy,
   written as WAV; 3 minutes), seconds of work per minute of audio (median of 3).
2. Matching one upload against catalogs of `--sizes` fingerprints: each catalog holds the
   real fingerprints of 2 generated pieces and synthetic ones for the rest (3 minutes each,
   ~1,450 items: a random walk in which each bit flips with p = 0.2 from one item to the
   next, so neighbouring items are correlated as Chromaprint's are; real catalogues must be
   re-measured). Uploads: a copy of a catalogued piece (re-encoded to MP3, cut: 20 s to 2:40)
   and a piece that is not catalogued. "match ms" = the index's candidates + BER verification
   of the best 5 (references from memory here; the scan task reads those 5 rows from the
   database), median and max per upload over `--queries` runs alternating the two. The
   brute-force baseline (BER at every alignment against every track, what the index
   replaces) is timed on 50 tracks of the same run and scaled to the catalog's size.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
from _common import print_table

from plyr.moderation.fingerprint import fpcalc, matching
from plyr.moderation.fingerprint.index import FingerprintIndex

RATE = 22050
SECONDS = 180.0
ITEMS = int(SECONDS * fpcalc.ITEMS_PER_SECOND)
BRUTE_SAMPLE = 50


def piece(seed: int, seconds: float = SECONDS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(RATE * seconds))
    at = 0
    while at < len(out):
        t = np.arange(min(int(RATE * rng.uniform(0.12, 0.6)), len(out) - at)) / RATE
        note, chord = 220 * 2 ** (rng.integers(0, 24) / 12), 110 * 2 ** (rng.integers(0, 12) / 12)
        tone = np.sin(2 * np.pi * note * t) + 0.6 * np.sin(2 * np.pi * chord * t)
        out[at : at + len(t)] = tone * np.exp(-t * rng.uniform(2, 8))
        at += len(t)
    return out / np.max(np.abs(out)) * 0.8


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


def mp3(source: Path, target: Path) -> Path:
    command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-b:a", "128k"]
    subprocess.run([*command, str(target)], check=True)
    return target


def synthetic(rng: np.random.Generator, items: int = ITEMS) -> fpcalc.Items:
    flips = rng.random((items, 32)) < 0.2
    masks = np.packbits(flips, axis=1, bitorder="little").view("<u4").ravel()
    return np.bitwise_xor.accumulate(masks ^ rng.integers(0, 1 << 32, dtype=np.uint32))[
        :items
    ].astype(np.uint32)


def fingerprint_speed(work: Path) -> tuple[float, dict[str, fpcalc.Items]]:
    files = {"a": write_wav(work / "a.wav", piece(1)), "b": write_wav(work / "b.wav", piece(2))}
    files["new"] = write_wav(work / "new.wav", piece(3))
    cut = write_wav(work / "cut.wav", piece(1)[int(20 * RATE) : int(160 * RATE)] * 0.5)
    files["copy"] = mp3(cut, work / "copy.mp3")
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        fpcalc.fingerprint_file_sync(files["a"])
        timings.append(time.perf_counter() - started)
    per_minute = statistics.median(timings) / (SECONDS / 60)
    prints = {name: fpcalc.fingerprint_file_sync(path).items for name, path in files.items()}
    return per_minute, prints


def catalog(
    size: int, real: dict[str, fpcalc.Items]
) -> tuple[FingerprintIndex, dict[int, fpcalc.Items], float]:
    rng = np.random.default_rng(size)
    index = FingerprintIndex()
    refs: dict[int, fpcalc.Items] = {}
    started = time.perf_counter()
    for track_id in range(size - 2):
        refs[track_id] = synthetic(rng)
        index.add(track_id, f"did:plc:{track_id % 5000}", refs[track_id])
    for offset, name in enumerate(("a", "b")):
        refs[size - 2 + offset] = real[name]
        index.add(size - 2 + offset, "did:plc:original", real[name])
    index.candidates(real["new"], exclude_artist="x")  # seals: the build is done
    return index, refs, time.perf_counter() - started


def match(
    index: FingerprintIndex, refs: dict[int, fpcalc.Items], query: fpcalc.Items
) -> tuple[int, matching.Alignment] | None:
    found: tuple[int, matching.Alignment] | None = None
    for candidate in index.candidates(query, exclude_artist="did:plc:uploader"):
        alignment = matching.best_alignment(query, refs[candidate.track_id], candidate.offsets)
        if alignment is not None and (found is None or alignment.ber < found[1].ber):
            found = (candidate.track_id, alignment)
    return found


def run_size(size: int, prints: dict[str, fpcalc.Items], queries: int) -> list[str]:
    index, refs, build_s = catalog(size, prints)
    times: dict[str, list[float]] = {"copy": [], "new": []}
    results: dict[str, tuple[int, matching.Alignment] | None] = {}
    for n in range(queries):
        name = ("copy", "new")[n % 2]
        started = time.perf_counter()
        results[name] = match(index, refs, prints[name])
        times[name].append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    for track_id in range(BRUTE_SAMPLE):
        matching.brute_force(prints["copy"], refs[track_id])
    brute_ms = (time.perf_counter() - started) / BRUTE_SAMPLE * size * 1000
    copy, new = results["copy"], results.get("new")
    found = f"ber {copy[1].ber:.3f} at {copy[1].offset_s:.1f} s" if copy else "MISSED"
    return [
        f"{size:,}",
        f"{build_s:.1f}",
        *(f"{statistics.median(times[q]):.1f} / {max(times[q]):.1f}" for q in ("copy", "new")),
        f"{brute_ms / 1000:,.1f} s",
        found if copy and copy[0] == size - 2 else f"WRONG {copy}",
        "clear" if new is None or matching.verdict(new[1].ber) == "clear" else f"FLAGGED {new}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    if not fpcalc.available() or shutil.which("ffmpeg") is None:
        sys.exit("needs fpcalc (libchromaprint-tools) and ffmpeg")
    with tempfile.TemporaryDirectory() as work:
        per_minute, prints = fingerprint_speed(Path(work))
    print(f"fpcalc: {per_minute:.3f} s per minute of audio ({SECONDS:.0f} s pieces, median of 3)")
    rows = [run_size(int(size), prints, args.queries) for size in args.sizes.split(",")]
    headers = ["tracks", "build s", "copy: ms p50 / max", "new: ms p50 / max", "brute force"]
    headers += ["copy found", "new"]
    print_table(headers, rows)


if __name__ == "__main__":
    main()
