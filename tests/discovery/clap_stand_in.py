"""Stand-in CLAP models: ONNX graphs with the signatures of an exported CLAP (audio
`[n, 1, 1001, 64]` -> `[n, 512]`, text ids + mask `[b, 77]` -> `[b, 512]`) and a tiny
word-level tokenizer, so the adapter runs end to end with no weights. Words that name a clip
("calm", "ambient", "pad"; "beat", "drums") sit on that clip's audio vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from plyr.discovery.models.clap import EMBEDDING_DIM, MAX_TOKENS
from plyr.discovery.models.clap_frontend import FRAMES, N_MELS, SAMPLE_RATE, LogMel, split_windows

WORDS = ["calm", "ambient", "pad", "beat", "drums", "noise", "electronic", "quiet"]
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # RoBERTa's ids 0..3: <pad> is 1


# --- generated audio (48 kHz mono) -------------------------------------------------------------


def seconds(n: float) -> np.ndarray:
    return np.arange(int(n * SAMPLE_RATE)) / SAMPLE_RATE


def pad_clip(duration: float) -> np.ndarray:
    """A soft low chord: energy below 1 kHz."""
    t = seconds(duration)
    chord = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 165.0, 220.0, 330.0))
    return (0.1 * chord).astype(np.float32)


def drum_clip(duration: float) -> np.ndarray:
    """Loud broadband noise bursts, 4 a second: energy up to the top mel bands."""
    rng = np.random.default_rng(7)
    t = seconds(duration)
    envelope = np.exp(-40 * (t % 0.25))
    return (0.8 * envelope * rng.standard_normal(t.size)).astype(np.float32)


# --- stand-in models ----------------------------------------------------------------------------


def projection() -> np.ndarray:
    return np.random.default_rng(1).standard_normal((N_MELS, EMBEDDING_DIM)).astype(np.float32)


def stand_in_audio_vector(audio: np.ndarray) -> np.ndarray:
    """What the stand-in audio graph answers for one window, computed in numpy."""
    mel = LogMel()(split_windows(audio)[:1])[0, 0]
    return (mel.mean(axis=0) + 60.0) @ projection()


def write_audio_model(path: Path, frames: int = FRAMES) -> None:
    """log-mel `[n,1,frames,64]` → mean over frames, +60 dB, fixed random projection → `[n,512]`
    (linear in the mel, so different audio gives different vectors)."""
    nodes = [
        helper.make_node("ReduceMean", ["input_features"], ["pooled"], axes=[1, 2], keepdims=0),
        helper.make_node("Add", ["pooled", "offset"], ["centred"]),
        helper.make_node("MatMul", ["centred", "projection"], ["audio_embeds"]),
    ]
    graph = helper.make_graph(
        nodes,
        "clap_audio_stand_in",
        [helper.make_tensor_value_info("input_features", TensorProto.FLOAT, ["n", 1, frames, 64])],
        [helper.make_tensor_value_info("audio_embeds", TensorProto.FLOAT, ["n", EMBEDDING_DIM])],
        initializer=[
            numpy_helper.from_array(np.float32(60.0), "offset"),
            numpy_helper.from_array(projection(), "projection"),
        ],
    )
    save(graph, path)


def write_text_model(path: Path, embeddings: np.ndarray) -> None:
    """input_ids, attention_mask `[b,77]` int64 → masked mean of embedding rows → `[b,512]`."""
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["tokens"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "last_axis"], ["mask3"]),
        helper.make_node("Mul", ["tokens", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "token_axis"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask", "token_axis"], ["count"], keepdims=1),
        helper.make_node("Div", ["summed", "count"], ["text_embeds"]),
    ]
    token_inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["b", MAX_TOKENS])
        for name in ("input_ids", "attention_mask")
    ]
    graph = helper.make_graph(
        nodes,
        "clap_text_stand_in",
        token_inputs,
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["b", EMBEDDING_DIM])],
        initializer=[
            numpy_helper.from_array(embeddings.astype(np.float32), "table"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "last_axis"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "token_axis"),
        ],
    )
    save(graph, path)


def save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def write_tokenizer(path: Path) -> None:
    """A word-level tokenizer with RoBERTa's special ids and `<s> … </s>` template."""
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.save(str(path))


def token_id(word: str) -> int:
    return (SPECIALS + WORDS).index(word)


def text_table() -> np.ndarray:
    """Words that name a clip sit on that clip's audio vector; the rest are random; <pad> is
    huge, so only a respected attention mask keeps it out of the mean."""
    table = np.random.default_rng(3).standard_normal((len(SPECIALS + WORDS), EMBEDDING_DIM))
    table[[0, 2, 3]] = 0.0
    table[1] = 1000.0
    pad, drums = stand_in_audio_vector(pad_clip(10)), stand_in_audio_vector(drum_clip(10))
    for word in ("calm", "ambient", "pad"):
        table[token_id(word)] = pad / np.linalg.norm(pad)
    for word in ("beat", "drums"):
        table[token_id(word)] = drums / np.linalg.norm(drums)
    return table
