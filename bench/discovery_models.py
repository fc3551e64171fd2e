"""Benchmark: the discovery models (plyr.discovery.models) on one BLAS thread.

    uv run python bench/discovery_models.py [--minutes 4] [--mix-minutes 60] [--runs 3]

Generated audio (tests/discovery/synth.py's four clips, concatenated and repeated to the
length asked): musicnn MTT + MSD over a whole track (every patch) and with the default patch
sampling (`MAX_PATCHES`), a long mix with the default sampling, and a MiniLM query. Prints
seconds per audio-minute (wall, median of --runs; and CPU time, steadier on a busy box),
the realtime factor, and the process's peak RSS after each stage (ru_maxrss only grows).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.discovery.synth

from tests.discovery import synth

from plyr.discovery import models


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `runs` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def track(minutes: float) -> np.ndarray:
    clips = np.concatenate([make() for make in synth.CLIPS.values()])  # 2 min
    repeats = int(np.ceil(minutes * 60 * synth.RATE / len(clips)))
    return np.tile(clips, repeats)[: int(minutes * 60 * synth.RATE)]


def row(label: str, minutes: float, wall: float, cpu: float) -> str:
    return (
        f"| {label} | {wall / minutes:.2f} | {cpu / minutes:.2f} | {minutes * 60 / wall:.1f}x "
        f"| {peak_rss_mb():.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--mix-minutes", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.2f}, peak RSS after import {peak_rss_mb():.0f} MB")
    start = time.perf_counter()
    models.musicnn_model("MTT"), models.musicnn_model("MSD"), models.minilm_model()
    print(f"models loaded in {time.perf_counter() - start:.2f} s, peak RSS {peak_rss_mb():.0f} MB")
    print()
    print("| what | s / audio-min (wall) | s / audio-min (CPU) | realtime | peak RSS MB |")
    print("|---|---|---|---|---|")
    audio = track(args.minutes)
    wall, cpu = timed(lambda: models.analyze_audio(audio, max_patches=None), args.runs)
    print(row(f"{args.minutes:g} min, every patch", args.minutes, wall, cpu))
    wall, cpu = timed(lambda: models.analyze_audio(audio), args.runs)
    print(row(f"{args.minutes:g} min, <= {models.MAX_PATCHES} patches", args.minutes, wall, cpu))
    with tempfile.TemporaryDirectory() as tmp:
        # the mix lives in a file, as a decoder writing 16 kHz float32 to disk would leave it
        block = track(2.0)
        path = Path(tmp) / "mix.f32"
        with path.open("wb") as out:
            for _ in range(int(np.ceil(args.mix_minutes / 2))):
                block.tofile(out)
        mix = np.memmap(path, dtype=np.float32, mode="r")
        wall, cpu = timed(lambda: models.analyze_audio(mix), 1)
        label = f"{args.mix_minutes:g} min mix (memmap), <= {models.MAX_PATCHES} patches"
        print(row(label, args.mix_minutes, wall, cpu))
    models.encode_texts(["warm up"])
    queries = ["ambient calm", "electronic dance beat", "loud distorted rock guitar"] * 20
    times = []
    for query in queries:
        begin = time.perf_counter()
        models.encode_texts([query])  # one BLAS thread, its default
        times.append(time.perf_counter() - begin)
    print()
    print(
        f"MiniLM, one short query, 1 thread: p50 {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms; peak RSS {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
