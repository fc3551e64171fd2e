"""Untrusted audio is opened with its sniffed demuxer, local files only, and a deadline."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import pytest

from plyr.audio import analyze, inputs, transcode_to_mp3
from plyr.audio.formats import CorruptAudio
from tests.audio.media import make_audio

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg CLI")


def playlist_posing_as_mp3(tmp_path: Path, target: Path) -> Path:
    """An HLS playlist naming a local file, followed by real MP3 frames: `sniff_format`
    calls it mp3; ffmpeg, left to probe, calls it HLS and reads the file it names."""
    mp3 = target.read_bytes()
    frames = mp3[mp3.index(b"\xff\xfb") :][:4000]
    playlist = (
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:10,\nfile:{target}\n#EXT-X-ENDLIST\n#"
    ).encode()
    path = tmp_path / "upload"
    path.write_bytes(playlist + frames)
    return path


def duration_of(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base


@needs_ffmpeg
def test_a_playlist_cannot_make_ffmpeg_read_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLYR_FFMPEG", raising=False)
    secret = make_audio(tmp_path / "someone-elses.mp3", "mp3", seconds=6)
    upload = playlist_posing_as_mp3(tmp_path, secret)
    out = tmp_path / "out.mp3"
    try:
        transcode_to_mp3(upload, out)
    except CorruptAudio:
        return  # refused: fine
    assert duration_of(out) < 1.0  # only the frames in the upload itself, not the 6 s file


def test_inputs_are_pinned_to_their_sniffed_demuxer(tmp_path: Path) -> None:
    secret = make_audio(tmp_path / "someone-elses.mp3", "mp3", seconds=6)
    upload = playlist_posing_as_mp3(tmp_path, secret)
    assert inputs.cli_input_args(upload) == [
        "-protocol_whitelist", "file", "-f", "mp3", "-i", f"file:{upload}",
    ]  # fmt: skip
    with inputs.open_input(upload) as container:
        assert container.format.name == "mp3"
    m4a = make_audio(tmp_path / "a.m4a", "m4a", seconds=1)
    with inputs.open_input(m4a) as container:
        assert "mov" in container.format.name


@pytest.mark.parametrize("ffmpeg", ["cli", "pyav"])
def test_transcoding_has_a_wall_clock_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ffmpeg: str
) -> None:
    if ffmpeg == "cli":
        if shutil.which("ffmpeg") is None:
            pytest.skip("no ffmpeg CLI")
        monkeypatch.delenv("PLYR_FFMPEG", raising=False)
    else:
        monkeypatch.setenv("PLYR_FFMPEG", "none")
    src = make_audio(tmp_path / "long.aiff", "aiff", seconds=20)
    monkeypatch.setattr(inputs, "DEADLINE_S", 0.0)
    with pytest.raises(inputs.TookTooLong, match="took longer"):
        transcode_to_mp3(src, tmp_path / "out.mp3")
    assert not (tmp_path / "out.mp3").exists()


def test_analysis_has_a_wall_clock_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_audio(tmp_path / "long.flac", "flac", seconds=5)
    monkeypatch.setattr(inputs, "DEADLINE_S", 0.0)
    with pytest.raises(inputs.TookTooLong):
        analyze(src)
