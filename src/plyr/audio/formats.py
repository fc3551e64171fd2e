"""Accepted audio formats, their MIME types, and the audio error hierarchy."""

from __future__ import annotations

ACCEPTED_FORMATS: tuple[str, ...] = ("mp3", "wav", "m4a", "aiff", "flac", "ogg", "opus", "webm")

CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "aiff": "audio/aiff",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",  # Opus in an Ogg container
    "webm": "audio/webm",
}
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


def content_type_for(audio_format: str | None) -> str:
    """The Content-Type plyr sends for audio of this format: only ever one of CONTENT_TYPES.
    A record's own `mimeType` is never used: a hostile one (`audio/mpeg, text/html`) would
    make browsers render the bytes as a page on plyr's origin."""
    return CONTENT_TYPES.get((audio_format or "").lower().lstrip("."), UNKNOWN_CONTENT_TYPE)


class AudioError(Exception):
    """Base class; ``str(e)`` is a human-readable message that can be shown to users."""


class UnsupportedAudio(AudioError):
    """Not audio, or not one of ACCEPTED_FORMATS (maps to HTTP 415)."""


class CorruptAudio(AudioError):
    """An accepted format, but broken or truncated (fails the processing job)."""


def unsupported_message(detail: str | None = None) -> str:
    """The standard user-facing message for a rejected upload."""
    accepted = ", ".join(ACCEPTED_FORMATS)
    prefix = f"{detail}. " if detail else ""
    return f"{prefix}Unsupported audio file; accepted formats are: {accepted}."
