"""The CLAP adapter end to end, on stand-in ONNX graphs with CLAP's signatures (no weights ship
anywhere reachable), plus a contract test against an operator's real export when
`PLYR_CLAP_DIR` names one."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from plyr.core.config import Settings
from plyr.discovery.models.clap import (
    EMBEDDING_DIM,
    MAX_TOKENS,
    ClapModel,
    ClapUnavailable,
    check_clap_dir,
    configured_clap,
)
from plyr.discovery.models.clap_frontend import (
    FRAMES,
    N_MELS,
    SAMPLE_RATE,
    WINDOW_SAMPLES,
    LogMel,
    split_windows,
)

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


@pytest.fixture(scope="module")
def clap_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("clap")
    write_audio_model(directory / "clap_audio.onnx")
    write_text_model(directory / "clap_text.onnx", text_table())
    write_tokenizer(directory / "tokenizer.json")
    return directory


def copy_of(clap_dir: Path, tmp_path: Path) -> Path:
    for file in clap_dir.iterdir():
        (tmp_path / file.name).write_bytes(file.read_bytes())
    return tmp_path


# --- windows and pooling ------------------------------------------------------------------------


def test_thirty_seconds_are_three_windows_and_a_trailing_partial_one_is_dropped() -> None:
    assert split_windows(pad_clip(30)).shape == (3, WINDOW_SAMPLES)
    assert split_windows(pad_clip(35.5)).shape == (3, WINDOW_SAMPLES)
    assert split_windows(pad_clip(10)).shape == (1, WINDOW_SAMPLES)


def test_short_audio_is_repeated_whole_then_zero_padded_into_one_window() -> None:
    clip = drum_clip(4)
    (window,) = split_windows(clip)
    assert window.shape == (WINDOW_SAMPLES,)
    np.testing.assert_array_equal(window[: clip.size], clip)
    np.testing.assert_array_equal(window[clip.size : 2 * clip.size], clip)
    assert not window[2 * clip.size :].any()  # 2 s left: a third copy would not fit


def test_log_mel_is_the_shape_the_audio_model_reads() -> None:
    features = LogMel()(split_windows(pad_clip(20)))
    assert features.shape == (2, 1, FRAMES, N_MELS)
    assert features.dtype == np.float32
    assert np.isfinite(features).all()
    assert LogMel()(np.zeros((1, WINDOW_SAMPLES), np.float32)).min() == pytest.approx(-100.0)


def test_audio_vector_is_the_normalised_mean_of_raw_window_projections(clap_dir: Path) -> None:
    quiet, loud, other = 0.05 * pad_clip(10), drum_clip(10), pad_clip(10)
    session = onnxruntime.InferenceSession(str(clap_dir / "clap_audio.onnx"))
    raw = session.run(None, {"input_features": LogMel()(np.stack([quiet, loud, other]))})[0]

    vector = ClapModel(clap_dir).embed_audio(np.concatenate([quiet, loud, other]))

    mean_raw = raw.mean(axis=0)
    np.testing.assert_allclose(vector, mean_raw / np.linalg.norm(mean_raw), atol=1e-5)
    unit_rows = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    mean_of_units = unit_rows.mean(axis=0) / np.linalg.norm(unit_rows.mean(axis=0))
    assert np.abs(vector - mean_of_units).max() > 1e-3  # the pooling is not of unit vectors


def test_vectors_are_unit_length_and_differ_between_clips(clap_dir: Path) -> None:
    model = ClapModel(clap_dir)
    pad, drums = model.embed_audio(pad_clip(4)), model.embed_audio(drum_clip(30))
    texts = model.embed_text(["calm", "an electronic beat with drums", "quiet noise"])
    assert pad.shape == drums.shape == (EMBEDDING_DIM,)
    assert texts.shape == (3, EMBEDDING_DIM)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(pad) == pytest.approx(1.0, abs=1e-5)
    assert np.linalg.norm(drums) == pytest.approx(1.0, abs=1e-5)
    assert float(pad @ drums) < 0.99
    assert model.embed_text([]).shape == (0, EMBEDDING_DIM)


def test_text_ranks_the_clip_it_describes_first(clap_dir: Path) -> None:
    model = ClapModel(clap_dir)
    clips = {"pad": model.embed_audio(pad_clip(25)), "drums": model.embed_audio(drum_clip(12))}

    def ranking(query: str) -> list[str]:
        (q,) = model.embed_text([query])
        return sorted(clips, key=lambda name: -float(clips[name] @ q))

    assert ranking("ambient calm") == ["pad", "drums"]
    assert ranking("Electronic BEAT drums") == ["drums", "pad"]


# --- files, loading, errors ---------------------------------------------------------------------


def test_nothing_loads_until_first_use(clap_dir: Path) -> None:
    settings = Settings(PLYR_CLAP_DIR=clap_dir)
    check_clap_dir(settings)
    model = configured_clap(settings)
    assert model is not None and model.available() and not model.loaded
    model.embed_text(["quiet"])
    assert model.loaded
    assert configured_clap(Settings(PLYR_CLAP_DIR=None)) is None


def test_a_missing_file_is_named_at_start(clap_dir: Path, tmp_path: Path) -> None:
    directory = copy_of(clap_dir, tmp_path)
    (directory / "tokenizer.json").unlink()
    with pytest.raises(ClapUnavailable, match=r"lacks tokenizer\.json.*Mood search with CLAP"):
        check_clap_dir(Settings(PLYR_CLAP_DIR=directory))
    with pytest.raises(ClapUnavailable, match="is not a directory"):
        ClapModel(tmp_path / "nowhere")


async def test_plyr_does_not_start_with_an_incomplete_clap_dir(tmp_path: Path) -> None:
    from plyr.wiring import start_runtime

    (tmp_path / "clap").mkdir()
    settings = Settings(PLYR_DATA_DIR=tmp_path, PLYR_CLAP_DIR=tmp_path / "clap")
    with pytest.raises(ClapUnavailable, match=r"lacks clap_audio\.onnx, clap_text\.onnx"):
        await start_runtime(settings)


def test_a_wrong_signature_fails_once_with_a_clear_message(clap_dir: Path, tmp_path: Path) -> None:
    directory = copy_of(clap_dir, tmp_path)
    write_audio_model(directory / "clap_audio.onnx", frames=1000)  # a fused or HTK export
    model = ClapModel(directory)
    assert model.available()

    with pytest.raises(ClapUnavailable, match=r"wrong signature.*\[n, 1, 1001, 64\]") as first:
        model.embed_text(["calm"])
    assert not model.available()
    with pytest.raises(ClapUnavailable) as again:  # remembered: no reload per request
        model.embed_audio(pad_clip(4))
    assert again.value is first.value


def test_a_file_that_is_not_onnx_fails_on_first_use(clap_dir: Path, tmp_path: Path) -> None:
    directory = copy_of(clap_dir, tmp_path)
    (directory / "clap_text.onnx").write_bytes(b"not a model")
    model = ClapModel(directory)  # lazily: construction only looks at the folder
    with pytest.raises(ClapUnavailable, match=r"clap_text\.onnx is not a loadable ONNX model"):
        model.load()


def test_the_manifest_names_the_version_and_guards_files(clap_dir: Path, tmp_path: Path) -> None:

    directory = copy_of(clap_dir, tmp_path)
    audio_sha = hashlib.sha256((directory / "clap_audio.onnx").read_bytes()).hexdigest()
    manifest = {"checkpoint": "stand-in", "sha256": {"clap_audio.onnx": audio_sha}}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    version = ClapModel(directory).model_version
    assert version.startswith("clap-onnx/htsat-unfused-slaney-1/stand-in/")
    assert version.endswith(audio_sha[:12])

    manifest["sha256"] = {"clap_text.onnx": audio_sha}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ClapUnavailable, match=r"clap_text\.onnx does not match"):
        ClapModel(directory).load()

    (directory / "manifest.json").write_text(json.dumps({"frontend": "htk-1"}))
    with pytest.raises(ClapUnavailable, match="front-end 'htk-1'"):
        ClapModel(directory).load()


# --- an operator's real export ------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("PLYR_CLAP_DIR"), reason="PLYR_CLAP_DIR names no operator CLAP export"
)
def test_contract_of_the_operators_clap_export() -> None:
    """Shapes and norms of a real export; with `reference_vectors.npz` in the folder (made by
    the reference pipeline: `audio` 48 kHz float32, `audio_embedding` [512], `texts`,
    `text_embeddings` [k, 512]) the adapter must reproduce it."""
    directory = Path(os.environ["PLYR_CLAP_DIR"])
    model = ClapModel(directory)
    texts = model.embed_text(["ambient calm", "electronic dance beat"])
    audio = model.embed_audio(pad_clip(12))
    assert texts.shape == (2, EMBEDDING_DIM) and audio.shape == (EMBEDDING_DIM,)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-4)
    assert np.linalg.norm(audio) == pytest.approx(1.0, abs=1e-4)

    reference_path = directory / "reference_vectors.npz"
    if not reference_path.is_file():
        return
    reference = np.load(reference_path)
    if "audio" in reference:
        expected = reference["audio_embedding"] / np.linalg.norm(reference["audio_embedding"])
        assert float(model.embed_audio(reference["audio"]) @ expected) >= 0.9999
    if "texts" in reference:
        got = model.embed_text([str(t) for t in reference["texts"]])
        expected = reference["text_embeddings"]
        expected = expected / np.linalg.norm(expected, axis=1, keepdims=True)
        assert (np.sum(got * expected, axis=1) >= 0.9999).all()
