"""Benchmark: FLAC -> MP3 320k via the ffmpeg CLI vs plyr.audio.transcode_to_mp3, and analyze().

    uv run python bench/transcode.py [--minutes 10] [--runs 3]

Generates a stereo 44.1 kHz FLAC (tones plus noise) with PyAV in a temporary directory,
then prints the median wall time of each method, the seconds it needs per hour of audio,
its speed relative to the ffmpeg CLI (1.00 = as fast, higher = faster), and the median CPU
time (ours plus children's; steadier than wall time on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from plyr.audio import analyze, transcode_to_mp3

RATE = 44100


def make_flac(path: Path, seconds: float) -> None:
    """Two tones, a slow sweep and white noise: realistic work for the MP3 psychoacoustics."""
    rng = np.random.default_rng(0)
    chunk = 4096
    with av.open(str(path), "w", format="flac") as container:
        stream = container.add_stream("flac", rate=RATE, layout="stereo")
        stream.format = "s16"
        total, pts = int(seconds * RATE), 0
        while pts < total:
            n = min(chunk, total - pts)
            t = (np.arange(pts, pts + n)) / RATE
            sweep = np.sin(2 * np.pi * (200 + 1800 * (t % 60) / 60) * t)
            mono = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.15 * sweep
            left = mono + 0.05 * rng.standard_normal(n)
            right = 0.8 * mono + 0.05 * rng.standard_normal(n)
            data = (np.clip(np.stack([left, right]), -1, 1) * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(data.T.reshape(1, -1).copy(), "s16", "stereo")
            frame.sample_rate, frame.pts = RATE, pts
            container.mux(stream.encode(frame))
            pts += n
        container.mux(stream.encode(None))


def _cpu() -> float:
    """CPU seconds used so far by this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(
    methods: list[tuple[str, Callable[[], object]]], runs: int
) -> list[tuple[str, float, float]]:
    """Median wall and CPU time per method; rounds interleave the methods so that load
    changes on a shared machine affect all of them alike."""
    wall: dict[str, list[float]] = {name: [] for name, _ in methods}
    cpu: dict[str, list[float]] = {name: [] for name, _ in methods}
    for _ in range(runs):
        for name, fn in methods:
            start, start_cpu = time.perf_counter(), _cpu()
            fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(_cpu() - start_cpu)
    return [
        (name, statistics.median(wall[name]), statistics.median(cpu[name])) for name, _ in methods
    ]


def with_env(value: str | None, fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        old = os.environ.get("PLYR_FFMPEG")
        if value is None:
            os.environ.pop("PLYR_FFMPEG", None)
        else:
            os.environ["PLYR_FFMPEG"] = value
        try:
            return fn()
        finally:
            if old is None:
                os.environ.pop("PLYR_FFMPEG", None)
            else:
                os.environ["PLYR_FFMPEG"] = old

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.flac", Path(tmp) / "out.mp3"
        make_flac(src, seconds)
        print(
            f"input: {seconds / 60:g} min stereo 44.1 kHz FLAC, {src.stat().st_size / 1e6:.1f} MB"
        )
        print(f"ffmpeg: {ffmpeg}, PyAV {av.__version__}, runs: {args.runs}\n")
        methods: list[tuple[str, Callable[[], object]]] = []
        if ffmpeg:
            cli = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(src)]
            cli += ["-c:a", "libmp3lame", "-b:a", "320k", str(out)]
            methods.append(("ffmpeg CLI (direct)", lambda: subprocess.run(cli, check=True)))
            methods.append(
                ("transcode_to_mp3 (CLI path)", with_env(None, lambda: _transcode(src, out)))
            )
        methods.append(
            ("transcode_to_mp3 (PyAV path)", with_env("none", lambda: _transcode(src, out)))
        )
        methods.append(("analyze()", lambda: analyze(src, expected_duration=seconds)))
        results = timed(methods, args.runs)
    baseline = results[0][1] if ffmpeg else None
    print(f"{'method':<30} {'median s':>9} {'s/audio-hour':>13} {'speed vs CLI':>13} {'CPU s':>7}")
    for name, secs, cpu in results:
        ratio = f"{baseline / secs:.2f}x" if baseline else "n/a"
        per_hour = secs * 3600 / seconds
        print(f"{name:<30} {secs:>9.2f} {per_hour:>13.1f} {ratio:>13} {cpu:>7.2f}")


def _transcode(src: Path, out: Path) -> None:
    transcode_to_mp3(src, out, bitrate="320k", on_progress=lambda _fraction: None)


if __name__ == "__main__":
    main()
