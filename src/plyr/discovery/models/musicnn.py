"""musicnn (Pons & Serra, 2019) forward pass in numpy, float32, over the installed wheel's weights.

Architecture as in the wheel's `models.py` (`build_musicnn`, inference mode):
- front-end: batch-normalised log-mel patches of 187 frames x 96 bands; "timbral" convolutions
  (7x38 and 7x67, 204 filters each) and "temporal" ones (128x1, 64x1, 32x1 with 'same'
  padding, 51 filters each), each ReLU then batch norm then max over frequency: 561 channels;
- mid-end: three 1-D convolutions over time (7 taps, 64 filters, ReLU, batch norm), the last
  two residual; densely connected with the front-end: 753 channels;
- back-end: max and mean over time (interleaved per channel), batch norm, dense 200 (ReLU,
  batch norm: the "penultimate" embedding), dense 50, sigmoid.
Patches are 3 s, non-overlapping, as upstream's default `extractor(..., input_overlap=False)`.
"""

import hashlib
from dataclasses import dataclass

import numpy as np

from plyr.discovery.models.checkpoint import read_checkpoint
from plyr.discovery.models.melspec import (
    FRONTEND_VERSION,
    HOP,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    frame_count,
    log_mel,
)

# librosa.time_to_frames(3 s) + 1, as upstream's extractor computes the patch length
PATCH_FRAMES = (3 * SAMPLE_RATE - N_FFT // 2) // HOP + 1
_BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default
_TEMPORAL_KERNELS = (128, 64, 32)


@dataclass(frozen=True)
class _BatchNorm:
    scale: np.ndarray
    shift: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x * self.scale + self.shift


@dataclass(frozen=True)
class _FrequencyPooledConv:
    """A convolution, ReLU, batch norm, then max over frequency, computed as
    bn(relu(max_f conv + bias)) where the scale is positive and with min_f where it is negative
    (ReLU and a positive affine map keep the maximum; a negative one turns it into the minimum).
    Output channels are stored grouped by that sign so each needs one reduction, not two."""

    kernel: np.ndarray  # (taps, channels), columns grouped: positive scale first
    bias: np.ndarray
    bn: _BatchNorm
    positive: int  # how many channels have a positive scale
    restore: np.ndarray  # the inverse permutation, back to the checkpoint's channel order

    @classmethod
    def build(cls, kernel: np.ndarray, bias: np.ndarray, bn: _BatchNorm) -> "_FrequencyPooledConv":
        order = np.argsort(bn.scale < 0, kind="stable")
        return cls(
            kernel=np.ascontiguousarray(kernel[:, order]),
            bias=bias[order],
            bn=_BatchNorm(bn.scale[order], bn.shift[order]),
            positive=int(np.count_nonzero(bn.scale >= 0)),
            restore=np.argsort(order),
        )

    def __call__(self, columns: np.ndarray, n: int, frames: int) -> np.ndarray:
        """`columns`: (n * frames * positions, taps) im2col rows -> (n, frames, channels)."""
        conv = (columns @ self.kernel).reshape(n, frames, -1, self.kernel.shape[1])
        extreme = np.concatenate(
            [conv[..., : self.positive].max(axis=2), conv[..., self.positive :].min(axis=2)],
            axis=2,
        )
        return self.bn(np.maximum(extreme + self.bias, 0))[..., self.restore]


@dataclass(frozen=True)
class PatchOutputs:
    """Per patch: tag probabilities (n, 50) and penultimate embeddings (n, 200)."""

    tags: np.ndarray
    embeddings: np.ndarray


class Musicnn:
    """One musicnn tagger (MTT or MSD): log-mel patches in, tags and embeddings out."""

    def __init__(self, name: str, weights: dict[str, np.ndarray], labels: list[str], sha256: str):
        self.name = name
        self.labels = labels
        self.version = f"musicnn-{name}:{sha256[:12]}:{FRONTEND_VERSION}"
        self._bn = {key: _batch_norm(weights, key) for key in _bn_names(weights)}
        self._input_bn = self._bn["batch_normalization"]
        w = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()}
        self._timbral = [
            (
                _FrequencyPooledConv.build(_matrix(w, name), w[f"{name}/bias"], self._bn[bn]),
                w[f"{name}/kernel"].shape[:2],
            )
            for name, bn in (
                ("conv2d", "batch_normalization_1"),
                ("conv2d_1", "batch_normalization_2"),
            )
        ]
        self._temporal = _stack_temporal(
            w, [self._bn[f"batch_normalization_{i}"] for i in (3, 4, 5)]
        )
        self._midend = [
            (
                _matrix(w, f"conv2d_{i}"),
                w[f"conv2d_{i}/bias"],
                self._bn[f"batch_normalization_{i + 1}"],
            )
            for i in (5, 6, 7)
        ]
        self._pool_bn = self._bn["batch_normalization_9"]
        self._dense = (w["dense/kernel"], w["dense/bias"], self._bn["batch_normalization_10"])
        self._logits = (w["dense_1/kernel"], w["dense_1/bias"])

    @classmethod
    def from_checkpoint(cls, name: str, prefix: str, labels: list[str]) -> "Musicnn":
        with open(_data_file(prefix), "rb") as data:
            sha256 = hashlib.file_digest(data, "sha256").hexdigest()
        weights = read_checkpoint(prefix)
        # the training run's optimizer state (Adam slots, beta powers) is not the model
        weights = {k: v for k, v in weights.items() if "Adam" not in k and "power" not in k}
        return cls(name, weights, labels, sha256)

    def forward(self, patches: np.ndarray) -> PatchOutputs:
        """(n, 187, 96) float32 log-mel patches -> per-patch tags and embeddings."""
        x = self._input_bn(patches.astype(np.float32, copy=False))
        frontend = np.concatenate([*self._timbral_features(x), self._temporal_features(x)], axis=2)
        midend = self._midend_features(frontend)
        pooled = np.stack([midend.max(axis=1), midend.mean(axis=1)], axis=2).reshape(len(x), -1)
        kernel, bias, bn = self._dense
        embeddings = bn(np.maximum(self._pool_bn(pooled) @ kernel + bias, 0))
        logits = embeddings @ self._logits[0] + self._logits[1]
        return PatchOutputs(tags=_sigmoid(logits), embeddings=embeddings)

    def _timbral_features(self, x: np.ndarray) -> list[np.ndarray]:
        n, frames, _ = x.shape
        padded = np.pad(x, ((0, 0), (3, 3), (0, 0)))
        features = []
        for conv, (kt, kf) in self._timbral:
            windows = np.lib.stride_tricks.sliding_window_view(padded, (kt, kf), axis=(1, 2))
            features.append(conv(windows.reshape(-1, kt * kf), n, frames))
        return features

    def _temporal_features(self, x: np.ndarray) -> np.ndarray:
        # the three kernels in one: the shorter ones sit centred in the 128-tap window
        n, frames, _ = x.shape
        longest = _TEMPORAL_KERNELS[0]
        padded = np.pad(x, ((0, 0), ((longest - 1) // 2, longest // 2), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, longest, axis=1)
        return self._temporal(windows.reshape(-1, longest), n, frames)

    def _midend_features(self, frontend: np.ndarray) -> np.ndarray:
        layers = [frontend]
        current = frontend
        for index, (kernel, bias, bn) in enumerate(self._midend):
            conv = bn(np.maximum(_conv_time(current, kernel) + bias, 0))
            current = conv if index == 0 else conv + current
            layers.append(current)
        return np.concatenate(layers, axis=2)


def _conv_time(x: np.ndarray, kernel: np.ndarray, taps: int = 7) -> np.ndarray:
    """A 'same' convolution over time of (n, frames, channels) by a (taps*channels, out) kernel."""
    n, frames, channels = x.shape
    padded = np.pad(x, ((0, 0), (taps // 2, taps // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, taps, axis=1)  # (n, f, c, taps)
    columns = windows.transpose(0, 1, 3, 2).reshape(n * frames, taps * channels)
    return (columns @ kernel).reshape(n, frames, -1)


def _matrix(w: dict[str, np.ndarray], conv: str) -> np.ndarray:
    """A TF conv2d kernel (kt, kf, 1, out) as the (kt*kf, out) matrix an im2col multiplies."""
    kernel = w[f"{conv}/kernel"]
    return np.ascontiguousarray(kernel.reshape(-1, kernel.shape[-1]))


def _stack_temporal(w: dict[str, np.ndarray], bns: list[_BatchNorm]) -> _FrequencyPooledConv:
    """The 128-, 64- and 32-tap temporal convolutions as one 128-tap one of 3 x 51 channels."""
    longest = _TEMPORAL_KERNELS[0]
    kernels, biases = [], []
    for index, taps in enumerate(_TEMPORAL_KERNELS):
        name = f"conv2d_{index + 2}"
        kernel = w[f"{name}/kernel"].reshape(taps, -1)
        offset = (longest - 1) // 2 - (taps - 1) // 2  # where TF's 'same' padding puts it
        full = np.zeros((longest, kernel.shape[1]), dtype=np.float32)
        full[offset : offset + taps] = kernel
        kernels.append(full)
        biases.append(w[f"{name}/bias"])
    bn = _BatchNorm(np.concatenate([b.scale for b in bns]), np.concatenate([b.shift for b in bns]))
    return _FrequencyPooledConv.build(np.concatenate(kernels, axis=1), np.concatenate(biases), bn)


def _bn_names(weights: dict[str, np.ndarray]) -> set[str]:
    return {k.rsplit("/", 1)[0] for k in weights if k.startswith("batch_normalization")}


def _batch_norm(weights: dict[str, np.ndarray], name: str) -> _BatchNorm:
    scale = weights[f"{name}/gamma"] / np.sqrt(weights[f"{name}/moving_variance"] + _BN_EPSILON)
    shift = weights[f"{name}/beta"] - weights[f"{name}/moving_mean"] * scale
    return _BatchNorm(scale.astype(np.float32), shift.astype(np.float32))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1 / (1 + np.exp(-x))).astype(np.float32)


def _data_file(prefix: str) -> str:
    return f"{prefix}.data-00000-of-00001"


def patch_count(n_samples: int) -> int:
    """How many 3 s patches upstream cuts from a signal (at least one: short audio is padded)."""
    return max(1, (frame_count(n_samples) - PATCH_FRAMES) // PATCH_FRAMES + 1)


def spread_patches(total: int, limit: int | None) -> np.ndarray:
    """At most `limit` patch indices spread evenly over `total` (all of them when it fits)."""
    if limit is None or total <= limit:
        return np.arange(total)
    return np.unique(np.round(np.linspace(0, total - 1, limit)).astype(int))


def patch_spectrograms(samples: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The log-mel patches `indices` of 16 kHz mono `samples`: (len(indices), 187, 96)."""
    if frame_count(len(samples)) < PATCH_FRAMES:
        samples = _repeat_pad(samples)
    out = np.empty((len(indices), PATCH_FRAMES, N_MELS), dtype=np.float32)
    for row, index in enumerate(indices):
        out[row] = log_mel(samples, int(index) * PATCH_FRAMES, PATCH_FRAMES)
    return out


def _repeat_pad(samples: np.ndarray) -> np.ndarray:
    """Audio shorter than one patch is repeated to fill it (musicnn's training 'repeat-pad')."""
    needed = (PATCH_FRAMES - 1) * HOP
    if len(samples) == 0:
        return np.zeros(needed, dtype=np.float32)
    return np.tile(samples, -(-needed // len(samples)))[:needed]
