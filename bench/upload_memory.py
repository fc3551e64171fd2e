"""Upload memory benchmark: the server's RSS while a ~1 GB WAV is uploaded to POST /tracks/.

Starts plyr (uvicorn, 1 worker, fresh data dir, PLYR_MAX_UPLOAD_MB=2048), writes a WAV of
--size-mb in constant memory, and streams it as multipart/form-data built by hand (a
generator body in 1 MiB chunks; nothing is held in memory on the client either). A thread
samples the RSS of the server process and its children every 50 ms. The target is an RSS
growth below 50 MB during the upload. Then, unless --no-process, it waits for the upload
job to finish and reports the processing time and the peak RSS while processing.
Every run has a fresh server and data dir (plyr refuses a duplicate upload); the WAV is
written once and deleted at the end.

    uv run python bench/upload_memory.py [--size-mb 1024] [--runs 1] [--no-process]
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import httpx
import psutil
from _common import (
    PlyrServer,
    auth,
    make_token,
    median,
    plyr_server,
    print_table,
    temp_dir,
    wait_job,
    write_wav,
)

SAMPLE_S = 0.05
CHUNK = 1 << 20
MB = 1 << 20
UPLOAD_TIMEOUT_S = 900
PROCESS_TIMEOUT_S = 1800


class RssSampler:
    """Samples the RSS (process + children) of a pid every SAMPLE_S in a thread."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def rss(self) -> int:
        total = 0
        for p in (self.proc, *self.proc.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.peak = max(self.peak, self.rss())
            self.samples += 1

    def start(self) -> RssSampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def stop(self) -> int:
        """Stop sampling; returns the peak RSS seen."""
        self._stop.set()
        self._thread.join()
        return max(self.peak, self.rss())

    def restart_peak(self) -> None:
        self.peak = self.rss()


def multipart_body(path: Path, title: str, boundary: str) -> tuple[Iterator[bytes], int]:
    """A multipart/form-data body (title field, then the file) streamed from disk in
    CHUNK-sized pieces, and its exact length (so the request carries Content-Length)."""
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        f"{title}\r\n"
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        yield head
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
        yield tail

    return chunks(), len(head) + size + len(tail)


@dataclass
class Result:
    size: int
    upload_s: float
    rss_before: int
    rss_peak: int
    samples: int
    process_s: float | None = None
    process_peak: int | None = None

    def row(self) -> list[object]:
        growth = (self.rss_peak - self.rss_before) / MB
        verdict = "ok" if growth < 50 else "OVER"
        return [
            f"{self.size / 1e9:.2f} GB",
            self.upload_s,
            self.size / self.upload_s / 1e6,
            self.rss_before / MB,
            self.rss_peak / MB,
            f"{growth:.1f} ({verdict})",
            int(self.samples),
            "-" if self.process_s is None else f"{self.process_s:.1f}",
            "-" if self.process_peak is None else f"{self.process_peak / MB:.0f}",
        ]


def upload(server: PlyrServer, token: str, wav: Path) -> str:
    boundary = "bench" + secrets.token_hex(12)
    body, length = multipart_body(wav, "upload memory bench", boundary)
    headers = {
        **auth(token),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length),
    }
    r = httpx.post(
        f"{server.base_url}/tracks/", content=body, headers=headers, timeout=UPLOAD_TIMEOUT_S
    )
    if r.status_code != 202:
        raise RuntimeError(f"upload refused: {r.status_code} {r.text[:300]}")
    return str(r.json()["upload_id"])


def one_run(root: Path, wav: Path, process: bool) -> Result:
    data = root / f"data-{secrets.token_hex(4)}"
    try:
        return measure(data, wav, process)
    finally:
        shutil.rmtree(data, ignore_errors=True)  # holds a copy of the upload


def measure(data: Path, wav: Path, process: bool) -> Result:
    token = make_token(data)
    with plyr_server(data, PLYR_MAX_UPLOAD_MB="2048") as server:
        httpx.get(f"{server.base_url}/config", timeout=10)  # warm: first request imports
        sampler = RssSampler(server.proc.pid)
        time.sleep(0.5)
        rss_before = sampler.rss()
        sampler.start()
        t0 = time.monotonic()
        job_id = upload(server, token, wav)
        upload_s = time.monotonic() - t0
        peak = sampler.stop()
        result = Result(wav.stat().st_size, upload_s, rss_before, peak, sampler.samples)
        if process:
            sampler = RssSampler(server.proc.pid).start()
            wait_job(server.base_url, token, job_id, timeout=PROCESS_TIMEOUT_S)
            result.process_s = time.monotonic() - t0 - upload_s
            result.process_peak = sampler.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="WAV size in MiB")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-process", action="store_true", help="don't wait for processing")
    args = parser.parse_args()

    with temp_dir("plyr-upload-bench-") as root:
        wav = root / "big.wav"
        t0 = time.monotonic()
        write_wav(wav, args.size_mb * MB)
        print(f"wrote {wav.stat().st_size / 1e9:.2f} GB WAV in {time.monotonic() - t0:.1f}s")
        try:
            results = []
            for n in range(args.runs):
                results.append(one_run(root, wav, not args.no_process))
                print(f"run {n + 1}/{args.runs}: upload {results[-1].upload_s:.1f}s")
        finally:
            wav.unlink(missing_ok=True)
    headers = [
        "file size",
        "upload s",
        "MB/s",
        "RSS before MiB",
        "RSS peak MiB",
        "growth MiB (< 50)",
        "RSS samples",
        "processing s",
        "processing peak MiB",
    ]
    rows = [r.row() for r in results]
    if len(results) > 1:
        rows.append(median_row(results))
    print()
    print_table(headers, rows)


def median_row(results: list[Result]) -> list[object]:
    """A row of the medians of each column (a Result built from per-field medians)."""

    def med(name: str) -> Any:
        values = [getattr(r, name) for r in results]
        return None if None in values else median(values)

    row = Result(*(med(f.name) for f in fields(Result))).row()
    growth = median([(r.rss_peak - r.rss_before) / MB for r in results])
    row[0], row[5] = "median", f"{growth:.1f} ({'ok' if growth < 50 else 'OVER'})"
    return row


if __name__ == "__main__":
    main()
