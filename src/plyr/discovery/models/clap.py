"""An operator's CLAP (e.g. laion/clap-htsat-unfused exported to ONNX), run by onnxruntime.

Audio and text land in one 512-d space, so mood search is a cosine between a query and a
track. No weights ship with plyr: `PLYR_CLAP_DIR` names a folder holding

- `clap_audio.onnx`: log-mel `[n, 1, 1001, 64]` float32 → window projections `[n, 512]`
- `clap_text.onnx`: `input_ids`, `attention_mask` `[b, 77]` int64 → `[b, 512]`
- `tokenizer.json`: the RoBERTa tokenizer (Hugging Face `tokenizers` format)
- optionally `manifest.json`: `{"checkpoint": ..., "frontend": ..., "sha256": {file: hex}}`

(each `.onnx` may keep its weights beside it in `<name>.onnx.data`). Missing files stop the
process at start (`check_clap_dir`); the models load on first use, and a model whose
signature does not fit fails once with a clear message and is then reported unavailable, so
callers fall back to the tag bridge instead of failing every request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from plyr.core.config import Settings, get_settings
from plyr.discovery.models.clap_frontend import (
    FRAMES,
    FRONTEND_VERSION,
    N_MELS,
    WINDOW_SAMPLES,
    LogMel,
    split_windows,
)

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

AUDIO_MODEL = "clap_audio.onnx"
TEXT_MODEL = "clap_text.onnx"
TOKENIZER = "tokenizer.json"
MANIFEST = "manifest.json"
REQUIRED_FILES = (AUDIO_MODEL, TEXT_MODEL, TOKENIZER)
EMBEDDING_DIM = 512
MAX_TOKENS = 77
PAD_ID = 1  # RoBERTa's <pad>
# Stored with every CLAP vector (with the checkpoint): vectors of another version are re-made
MODEL_VERSION = f"clap-onnx/{FRONTEND_VERSION}"
# Windows per onnxruntime call: bounds memory on long mixes (each window is 256 KB of mel)
WINDOWS_PER_RUN = 4


class ClapUnavailable(RuntimeError):
    """The CLAP folder is incomplete, or its models do not have the expected signatures."""


@dataclass(frozen=True)
class ClapFiles:
    directory: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def audio(self) -> Path:
        return self.directory / AUDIO_MODEL

    @property
    def text(self) -> Path:
        return self.directory / TEXT_MODEL

    @property
    def tokenizer(self) -> Path:
        return self.directory / TOKENIZER

    @property
    def checkpoint(self) -> str:
        return str(self.manifest.get("checkpoint") or "unnamed")


def discover(directory: Path) -> ClapFiles:
    """The model files in `directory`, or ClapUnavailable naming what is missing."""
    if not directory.is_dir():
        raise ClapUnavailable(f"PLYR_CLAP_DIR={directory} is not a directory")
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise ClapUnavailable(
            f"PLYR_CLAP_DIR={directory} lacks {', '.join(missing)} (needs "
            f"{', '.join(REQUIRED_FILES)}; see the README's 'Mood search with CLAP')"
        )
    return ClapFiles(directory, _read_manifest(directory / MANIFEST))


def _read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ClapUnavailable(f"{path} is not readable JSON: {e}") from e
    if not isinstance(manifest, dict):
        raise ClapUnavailable(f"{path} must be a JSON object")
    return manifest


class ClapModel:
    """CLAP's two encoders behind `embed_audio` and `embed_text`. Construction only looks at
    the folder; the sessions and tokenizer load on first use (or `load()`), once."""

    def __init__(self, directory: Path, *, intra_op_threads: int = 1) -> None:
        self.files = discover(directory)
        self.intra_op_threads = intra_op_threads
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._failure: ClapUnavailable | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def available(self) -> bool:
        """False once loading failed (the reason was logged); True before the first load."""
        return self._failure is None

    @property
    def model_version(self) -> str:
        """What a stored vector came from: front-end, checkpoint and the audio model's bytes."""
        return f"{MODEL_VERSION}/{self.files.checkpoint}/{self._load().audio_sha256[:12]}"

    def load(self) -> None:
        self._load()

    def embed_audio(self, samples: np.ndarray) -> np.ndarray:
        """`[512]` unit vector for 48 kHz mono audio: the mean of its 10 s windows' raw
        projections, then L2-normalised (unfused CLAP's pooling for long audio)."""
        return self.embed_windows(split_windows(samples))

    def embed_windows(self, windows: Iterable[np.ndarray]) -> np.ndarray:
        """As `embed_audio`, from 10 s windows a caller decodes one by one (long mixes)."""
        model = self._load()
        total = np.zeros(EMBEDDING_DIM, dtype=np.float64)
        count = 0
        for batch in _batches(windows, WINDOWS_PER_RUN):
            projections = model.run_audio(model.log_mel(np.stack(batch)))
            total += projections.sum(axis=0, dtype=np.float64)
            count += len(batch)
        if count == 0:
            raise ValueError("no audio windows")
        return _unit(total / count).astype(np.float32)

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """`[len(texts), 512]` unit vectors in the audio's space."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        return _unit(self._load().run_text(list(texts))).astype(np.float32)

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._loaded is None:
                try:
                    self._loaded = _Loaded.open(self.files, self.intra_op_threads)
                except ClapUnavailable as e:
                    log.error("CLAP is unavailable: %s", e)
                    self._failure = e
                    raise
        return self._loaded


@dataclass
class _Loaded:
    audio: onnxruntime.InferenceSession
    text: onnxruntime.InferenceSession
    tokenizer: Tokenizer
    audio_input: str
    audio_output: str
    text_ids: str
    text_mask: str
    text_output: str
    text_int_type: type[np.integer]
    audio_sha256: str
    log_mel: LogMel

    @classmethod
    def open(cls, files: ClapFiles, threads: int) -> _Loaded:
        audio_sha256 = _verify_manifest(files)
        audio = _session(files.audio, threads)
        text = _session(files.text, threads)
        audio_input, audio_output = _audio_signature(audio, files.audio)
        ids, mask, text_output, int_type = _text_signature(text, files.text)
        return cls(
            audio=audio,
            text=text,
            tokenizer=_tokenizer(files.tokenizer),
            audio_input=audio_input,
            audio_output=audio_output,
            text_ids=ids,
            text_mask=mask,
            text_output=text_output,
            text_int_type=int_type,
            audio_sha256=audio_sha256,
            log_mel=LogMel(),
        )

    def run_audio(self, features: np.ndarray) -> np.ndarray:
        (out,) = self.audio.run([self.audio_output], {self.audio_input: features})
        return _check_output(np.asarray(out), len(features), AUDIO_MODEL)

    def run_text(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=self.text_int_type)
        mask = np.array([e.attention_mask for e in encodings], dtype=self.text_int_type)
        (out,) = self.text.run([self.text_output], {self.text_ids: ids, self.text_mask: mask})
        return _check_output(np.asarray(out), len(texts), TEXT_MODEL)


def _session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime  # ~0.3 s and 30 MB: only for instances that configure CLAP

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as e:  # onnxruntime raises its own exception types for bad files
        raise ClapUnavailable(f"{path} is not a loadable ONNX model: {e}") from e


def _tokenizer(path: Path) -> Tokenizer:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as e:  # tokenizers raises a bare Exception for a bad file
        raise ClapUnavailable(f"{path} is not a tokenizers tokenizer.json: {e}") from e
    # Always 77 tokens: exports often fix that shape, and RoBERTa masks the padding anyway
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    pad_token = tokenizer.id_to_token(PAD_ID) or "<pad>"
    tokenizer.enable_padding(pad_id=PAD_ID, pad_token=pad_token, length=MAX_TOKENS)
    return tokenizer


def _dims(shape: Sequence[Any]) -> list[int | None]:
    """ONNX dims with symbolic ones (batch) as None."""
    return [d if isinstance(d, int) else None for d in shape]


def _fits(shape: Sequence[Any], expected: list[int | None]) -> bool:
    dims = _dims(shape)
    return len(dims) == len(expected) and all(
        want is None or got is None or got == want for got, want in zip(dims, expected, strict=True)
    )


def _embedding_output(session: onnxruntime.InferenceSession, preferred: str) -> str | None:
    outputs = session.get_outputs()
    by_name = [o for o in outputs if o.name == preferred]
    matching = [o for o in by_name or outputs if _fits(o.shape, [None, EMBEDDING_DIM])]
    return matching[0].name if matching else None


def _audio_signature(session: onnxruntime.InferenceSession, path: Path) -> tuple[str, str]:
    expected: list[int | None] = [None, 1, FRAMES, N_MELS]
    inputs = session.get_inputs()
    output = _embedding_output(session, "audio_embeds")
    if len(inputs) != 1 or not _fits(inputs[0].shape, expected) or output is None:
        raise ClapUnavailable(
            f"{path} has the wrong signature: expected one input [n, 1, {FRAMES}, {N_MELS}] "
            f"(unfused HTSAT's log-mel) and an output [n, {EMBEDDING_DIM}]; found "
            f"{_describe(session)}"
        )
    return inputs[0].name, output


def _text_signature(
    session: onnxruntime.InferenceSession, path: Path
) -> tuple[str, str, str, type[np.integer]]:
    inputs = {i.name: i for i in session.get_inputs()}
    output = _embedding_output(session, "text_embeds")
    ids, mask = inputs.get("input_ids"), inputs.get("attention_mask")
    if (
        ids is None
        or mask is None
        or len(inputs) != 2
        or output is None
        or not all(_fits(i.shape, [None, MAX_TOKENS]) for i in (ids, mask))
    ):
        raise ClapUnavailable(
            f"{path} has the wrong signature: expected inputs input_ids and attention_mask "
            f"[b, {MAX_TOKENS}] and an output [b, {EMBEDDING_DIM}]; found {_describe(session)}"
        )
    int_type: type[np.integer] = np.int32 if ids.type == "tensor(int32)" else np.int64
    return ids.name, mask.name, output, int_type


def _describe(session: onnxruntime.InferenceSession) -> str:
    def show(args: Iterable[Any]) -> str:
        return ", ".join(f"{a.name} {a.type} {list(a.shape)}" for a in args)

    return f"inputs ({show(session.get_inputs())}), outputs ({show(session.get_outputs())})"


def _check_output(out: np.ndarray, rows: int, name: str) -> np.ndarray:
    if out.shape != (rows, EMBEDDING_DIM) or not np.isfinite(out).all():
        raise ClapUnavailable(f"{name} answered {out.shape} (or non-finite values)")
    return out


def _verify_manifest(files: ClapFiles) -> str:
    """Checks the manifest's front-end and hashes; returns the audio model's sha256."""
    frontend = files.manifest.get("frontend")
    if frontend is not None and frontend != FRONTEND_VERSION:
        raise ClapUnavailable(
            f"{files.directory / MANIFEST} was made for front-end {frontend!r}; plyr computes "
            f"{FRONTEND_VERSION!r}: its reference vectors would not match"
        )
    expected = files.manifest.get("sha256") or {}
    if not isinstance(expected, dict):
        raise ClapUnavailable(f"{files.directory / MANIFEST}: sha256 must map file names")
    for name, want in expected.items():
        path = files.directory / name
        if not path.is_file():
            raise ClapUnavailable(f"{path} is listed in the manifest but missing")
        if _sha256([path]) != want:
            raise ClapUnavailable(f"{path} does not match the manifest's sha256")
    # the graph and, when exported with external data, its weights
    weights = files.audio.with_name(AUDIO_MODEL + ".data")
    return _sha256([files.audio, *([weights] if weights.is_file() else [])])


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _batches(windows: Iterable[np.ndarray], size: int) -> Iterable[list[np.ndarray]]:
    batch: list[np.ndarray] = []
    for window in windows:
        if window.shape != (WINDOW_SAMPLES,):
            raise ValueError(f"a CLAP window is {WINDOW_SAMPLES} samples, got {window.shape}")
        batch.append(window)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@lru_cache(maxsize=4)
def _model_for(directory: Path, threads: int) -> ClapModel:
    return ClapModel(directory, intra_op_threads=threads)


def configured_clap(settings: Settings | None = None) -> ClapModel | None:
    """This process's CLAP (one per folder), or None without `PLYR_CLAP_DIR`."""
    settings = settings or get_settings()
    if settings.clap_dir is None:
        return None
    return _model_for(settings.clap_dir.resolve(), 1)


def available(settings: Settings | None = None) -> bool:
    """Whether mood search can use CLAP: configured, and not failed to load."""
    model = configured_clap(settings)
    return model is not None and model.available()


def check_clap_dir(settings: Settings) -> None:
    """At start: a configured folder must hold the model files (ClapUnavailable otherwise).
    Loading waits for first use, so an instance that never searches does not pay for it."""
    configured_clap(settings)
