"""Sensitive artwork: uploaded images scored by a local NSFW classifier (open_nsfw on
onnxruntime, `classifier`), those at or above `PLYR_NSFW_THRESHOLD` marked sensitive and
queued for review (`service`, run by the `score_image` task the media layer queues by name);
a person marks or clears them; pages blur them (`plyr.media.sensitive`)."""
