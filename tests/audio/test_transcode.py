"""transcode_to_mp3 through the ffmpeg CLI and through PyAV."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plyr.audio import AudioError, CorruptAudio, probe, transcode_to_mp3
from tests.audio.media import AudioFactory
from tests.helpers import poll_sync

HAS_FFMPEG = shutil.which("ffmpeg") is not None
PATHS = [
    pytest.param("cli", marks=pytest.mark.skipif(not HAS_FFMPEG, reason="no ffmpeg CLI")),
    "pyav",
]


@pytest.fixture(params=PATHS)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "pyav":
        monkeypatch.setenv("PLYR_FFMPEG", "none")
    else:
        monkeypatch.delenv("PLYR_FFMPEG", raising=False)
    return str(request.param)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("fmt,codec", [("flac", None), ("aiff", None), ("m4a", "alac")])
def test_transcode_produces_320k_mp3(
    audio: AudioFactory, tmp_path: Path, engine: str, fmt: str, codec: str | None
) -> None:
    src = audio(fmt, codec=codec, seconds=3.0, noise=0.05)
    dst = tmp_path / "out.mp3"
    progress: list[float] = []

    transcode_to_mp3(src, dst, on_progress=progress.append)

    info = probe(dst)
    assert (info.format, info.codec) == ("mp3", "mp3")
    assert info.bit_rate == pytest.approx(320_000, rel=0.02)
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert (info.sample_rate, info.channels) == (44100, 2)
    assert _leftovers(tmp_path) == ["out.mp3"]
    assert progress and progress[-1] == 1.0 and len(progress) <= 102  # throttled to 1% steps
    assert all(0.0 <= p <= 1.0 for p in progress) and progress == sorted(progress)


def test_high_rate_surround_becomes_stereo_48k(
    audio: AudioFactory, tmp_path: Path, engine: str
) -> None:
    dst = tmp_path / "out.mp3"
    transcode_to_mp3(audio("flac", seconds=1.0, sample_rate=96000, channels=6), dst)
    info = probe(dst)
    assert (info.sample_rate, info.channels) == (48000, 2)
    assert info.duration == pytest.approx(1.0, abs=0.1)


def test_custom_bitrate(audio: AudioFactory, tmp_path: Path, engine: str) -> None:
    dst = tmp_path / "out.mp3"
    transcode_to_mp3(audio("flac", seconds=2.0), dst, bitrate="128k")
    assert probe(dst).bit_rate == pytest.approx(128_000, rel=0.02)


def test_failure_leaves_nothing_behind(tmp_path: Path, engine: str) -> None:
    src = tmp_path / "src.flac"
    src.write_bytes(b"fLaC" + os.urandom(5000))
    dst = tmp_path / "out.mp3"
    dst.write_bytes(b"stale output of an earlier run")
    with pytest.raises(CorruptAudio):
        transcode_to_mp3(src, dst)
    assert _leftovers(tmp_path) == ["src.flac"]


def test_cancelling_via_progress_callback_cleans_up(
    audio: AudioFactory, tmp_path: Path, engine: str
) -> None:
    class Cancelled(Exception):
        pass

    def cancel(fraction: float) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        transcode_to_mp3(audio("flac", seconds=3.0), tmp_path / "o.mp3", on_progress=cancel)
    assert _leftovers(tmp_path) == []


def test_invalid_bitrate_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        transcode_to_mp3(tmp_path / "a.flac", tmp_path / "b.mp3", bitrate="-map 0")


def test_missing_configured_ffmpeg(
    audio: AudioFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLYR_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(AudioError):
        transcode_to_mp3(audio("flac", seconds=1.0), tmp_path / "o.mp3")
    assert _leftovers(tmp_path) == []


def _fake_ffmpeg(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-ffmpeg"
    script.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    script.chmod(0o755)
    return script


def test_stderr_is_captured_and_stdin_is_not_inherited(
    audio: AudioFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_ffmpeg(
        tmp_path,
        """
        echo "stdin is $(readlink /proc/$$/fd/0)" >&2
        i=0; while [ $i -lt 2000 ]; do echo "noise line $i" >&2; i=$((i+1)); done
        echo "Error: the decoder exploded" >&2
        exit 1
        """,
    )
    monkeypatch.setenv("PLYR_FFMPEG", str(fake))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(CorruptAudio) as excinfo:
        transcode_to_mp3(audio("flac", seconds=1.0), out_dir / "o.mp3")
    message = str(excinfo.value)
    assert "the decoder exploded" in message
    assert len(message) < 3000  # bounded, although ffmpeg wrote ~30 kB
    assert _leftovers(out_dir) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_ffmpeg_dies_with_its_parent(audio: AudioFactory, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    fake = _fake_ffmpeg(tmp_path, f"echo $$ > {pidfile}\nexec sleep 60\n")
    src, dst = str(audio("flac", seconds=1.0)), str(tmp_path / "o.mp3")
    parent_code = (
        "from pathlib import Path; from plyr.audio import transcode_to_mp3;"
        f"transcode_to_mp3(Path({src!r}), Path({dst!r}))"
    )
    env = {**os.environ, "PLYR_FFMPEG": str(fake)}
    parent = subprocess.Popen([sys.executable, "-c", parent_code], env=env)
    child = 0
    try:
        child = int(poll_sync(lambda: pidfile.exists() and pidfile.read_text().strip()))
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        poll_sync(lambda: not _alive(child), what="ffmpeg to die with its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if child and _alive(child):
            os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")
