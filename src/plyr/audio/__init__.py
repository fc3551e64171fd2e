"""Audio file handling: sniffing, probing, transcoding, analysis, cover images.

Every function here is synchronous and blocking (file and CPU bound); async callers run
them in a worker thread.
"""

from plyr.audio.analysis import Analysis, analyze
from plyr.audio.formats import (
    ACCEPTED_FORMATS,
    CONTENT_TYPES,
    AudioError,
    CorruptAudio,
    UnsupportedAudio,
    content_type_for,
)
from plyr.audio.images import (
    ACCEPTED_IMAGE_FORMATS,
    MAX_IMAGE_PIXELS,
    ImageError,
    ProcessedImage,
    process_image,
)
from plyr.audio.probe import AudioInfo, needs_transcode, probe
from plyr.audio.sniff import sniff_format
from plyr.audio.tags import extract_cover
from plyr.audio.transcode import transcode_to_mp3

__all__ = [
    "ACCEPTED_FORMATS",
    "ACCEPTED_IMAGE_FORMATS",
    "CONTENT_TYPES",
    "MAX_IMAGE_PIXELS",
    "Analysis",
    "AudioError",
    "AudioInfo",
    "CorruptAudio",
    "ImageError",
    "ProcessedImage",
    "UnsupportedAudio",
    "analyze",
    "content_type_for",
    "extract_cover",
    "needs_transcode",
    "probe",
    "process_image",
    "sniff_format",
    "transcode_to_mp3",
]
