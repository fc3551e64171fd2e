"""Transcoding to MP3 (for formats browsers can't play): the ffmpeg CLI, or PyAV.

The ffmpeg CLI is the fast path. PyAV's wheels bundle a libmp3lame compiled without
optimization (-O0), which encodes ~3x slower than a distribution's libmp3lame at identical
settings, so PyAV is only the fallback for hosts without ffmpeg (see bench/transcode.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import av

from plyr.audio import inputs
from plyr.audio.decoding import DecodeStats, Progress, decoded_frames
from plyr.audio.formats import AudioError, CorruptAudio

ProgressCallback = Callable[[float], None]

_MP3_RATES = (44100, 48000, 32000)  # MPEG-1 layer III; the lower MPEG-2 rates are worse
_STDERR_LINES = 30
_STDERR_CHARS = 2000
_PR_SET_PDEATHSIG = 1


def transcode_to_mp3(
    src: Path,
    dst: Path,
    *,
    bitrate: str = "320k",
    on_progress: ProgressCallback | None = None,
) -> None:
    """Encode `src` (any decodable audio) to a constant-bitrate MP3 at `dst`.

    Uses the ffmpeg CLI (``shutil.which("ffmpeg")``, or env PLYR_FFMPEG; PLYR_FFMPEG=none
    forces PyAV) and otherwise PyAV. Output goes to a temporary name next to `dst` and is
    renamed into place on success; on any failure neither `dst` nor the temporary file
    remains, and CorruptAudio (undecodable input) or AudioError is raised.
    `on_progress(fraction)` is called periodically with 0..1.
    """
    kbps = _parse_bitrate(bitrate)
    src, dst = Path(src), Path(dst)
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        ffmpeg = ffmpeg_binary()
        if ffmpeg is not None:
            _transcode_cli(ffmpeg, src, tmp, kbps, on_progress)
        else:
            _transcode_pyav(src, tmp, kbps, on_progress)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise CorruptAudio("The audio could not be converted to MP3 (no output).")
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        dst.unlink(missing_ok=True)
        raise
    if on_progress is not None:
        on_progress(1.0)


def ffmpeg_binary() -> str | None:
    """The ffmpeg executable to use, or None for the PyAV path."""
    configured = os.environ.get("PLYR_FFMPEG", "").strip()
    if configured.lower() == "none":
        return None
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise AudioError(f"PLYR_FFMPEG={configured!r} is not an executable.")
        return found
    return shutil.which("ffmpeg")


def _parse_bitrate(bitrate: str) -> int:
    match = re.fullmatch(r"(\d{1,3})k", bitrate.strip().lower())
    if match is None or not 8 <= int(match.group(1)) <= 320:
        raise ValueError(f"invalid MP3 bitrate {bitrate!r} (expected e.g. '320k')")
    return int(match.group(1))


def _source_duration(src: Path) -> float | None:
    try:
        with inputs.open_input(src) as container:
            return container.duration / av.time_base if container.duration else None
    except (av.FFmpegError, AudioError):
        return None


# --- ffmpeg CLI ----------------------------------------------------------------------------


def _transcode_cli(
    ffmpeg: str, src: Path, tmp: Path, kbps: int, on_progress: ProgressCallback | None
) -> None:
    progress = Progress(on_progress, _source_duration(src) if on_progress else None)
    cmd = [
        ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        *inputs.cli_input_args(src), "-map", "0:a:0", "-c:a", "libmp3lame", "-b:a", f"{kbps}k",
        "-progress", "pipe:1", "-f", "mp3", f"file:{tmp}",
    ]  # fmt: skip
    tail: deque[str] = deque(maxlen=_STDERR_LINES)
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=functools.partial(_die_with_parent, os.getpid()),
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None and proc.stderr is not None
    drain = threading.Thread(target=_drain, args=(proc.stderr, tail), daemon=True)
    drain.start()
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(inputs.DEADLINE_S, kill)  # the wall-clock limit
    timer.start()
    try:
        _read_progress(proc.stdout, progress)
        returncode = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        drain.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
    if timed_out.is_set():
        raise inputs.TookTooLong()
    if returncode < 0:
        raise AudioError(f"ffmpeg was killed by signal {-returncode} while converting to MP3.")
    if returncode != 0:
        detail = " ".join(line.strip() for line in tail)[-_STDERR_CHARS:]
        raise CorruptAudio(f"The audio could not be converted to MP3: {detail or returncode}")


def _read_progress(lines: Iterable[str], progress: Progress) -> None:
    """Consume ffmpeg's `-progress` key=value output, reporting out_time / total."""
    for line in lines:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us":
            with contextlib.suppress(ValueError):
                progress.update(int(value) / 1e6)


def _drain(stream: IO[str], tail: deque[str]) -> None:
    """Keep only the last lines of ffmpeg's stderr (bounded memory)."""
    with contextlib.suppress(ValueError, OSError):
        for line in stream:
            tail.append(line[:500])


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _load_prctl()


def _die_with_parent(parent_pid: int) -> None:
    """In the forked child: get SIGKILLed when the parent dies (Linux only).

    The signal fires when the *thread* that forked exits; transcode_to_mp3 blocks that
    thread until ffmpeg ends, so that is equivalent here.
    """
    if _PRCTL is None:
        return
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


# --- PyAV ----------------------------------------------------------------------------------


def _transcode_pyav(src: Path, tmp: Path, kbps: int, on_progress: ProgressCallback | None) -> None:
    stats = DecodeStats()
    try:
        with inputs.open_input(src) as inp, av.open(str(tmp), "w", format="mp3") as out:
            if not inp.streams.audio:
                raise CorruptAudio("The file contains no audio.")
            istream = inp.streams.audio[0]
            ostream = _mp3_stream(out, istream, kbps)
            out.metadata.update({k: v for k, v in inp.metadata.items() if k.lower() != "encoder"})
            progress = Progress(on_progress, inp.duration / av.time_base if inp.duration else None)
            for frame in decoded_frames(inp, istream, stats):
                out.mux(ostream.encode(frame))
                if frame.time is not None:
                    progress.update(frame.time)
            out.mux(ostream.encode(None))
    except av.FFmpegError as exc:
        raise CorruptAudio(f"The audio could not be converted to MP3: {exc}") from exc
    if stats.frames == 0 or stats.too_damaged:
        raise CorruptAudio("The audio could not be converted to MP3: it could not be decoded.")


def _mp3_stream(
    out: av.container.OutputContainer, istream: av.audio.stream.AudioStream, kbps: int
) -> av.audio.stream.AudioStream:
    rate = istream.sample_rate
    if rate not in _MP3_RATES:
        rate = 48000 if rate % 48000 == 0 or rate % 32000 == 0 else 44100
    layout = "mono" if istream.codec_context.channels == 1 else "stereo"
    ostream = out.add_stream("libmp3lame", rate=rate, layout=layout)
    ostream.bit_rate = kbps * 1000
    # Encode from the decoder's own sample format when libmp3lame takes its planar form:
    # saves a float conversion per sample (lame converts internally either way).
    planar = {"s16": "s16p", "s16p": "s16p", "s32": "s32p", "s32p": "s32p"}
    ostream.format = planar.get(istream.format.name, "fltp")
    return ostream
