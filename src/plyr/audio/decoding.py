"""Shared decode loop (tolerant of isolated bad packets, like players) and progress throttle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import av
from av.audio.stream import AudioStream
from av.container import InputContainer

from plyr.audio import inputs

TOLERATED_ERRORS = 10  # undecodable packets skipped before a file counts as corrupt


@dataclass
class DecodeStats:
    packets: int = 0
    errors: int = 0
    frames: int = 0

    @property
    def too_damaged(self) -> bool:
        return self.errors > max(TOLERATED_ERRORS, self.packets // 100)


def decoded_frames(
    container: InputContainer, stream: AudioStream, stats: DecodeStats
) -> Iterator[av.AudioFrame]:
    """Non-empty decoded frames of `stream`; undecodable packets are counted and skipped.

    A demuxer error (e.g. a file cut mid-packet) ends the stream and counts as one error.
    Raises TookTooLong past the deadline (`inputs.DEADLINE_S`).
    """
    until = inputs.deadline()
    try:
        for packet in container.demux(stream):
            inputs.check(until)
            stats.packets += 1
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                stats.errors += 1
                continue
            for frame in frames:
                if frame.samples:
                    stats.frames += 1
                    yield frame
    except av.InvalidDataError:
        stats.errors += 1


class Progress:
    """Calls `callback(fraction)` when progress advanced by at least 1% (and never > 1)."""

    def __init__(self, callback: Callable[[float], None] | None, total: float | None) -> None:
        self.callback = callback
        self.total = total or 0.0
        self.reported = 0.0

    def update(self, seconds: float) -> None:
        if self.callback is None or self.total <= 0:
            return
        fraction = min(max(seconds / self.total, 0.0), 1.0)
        if fraction - self.reported >= 0.01:
            self.reported = fraction
            self.callback(fraction)
