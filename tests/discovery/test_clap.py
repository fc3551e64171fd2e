"""The CLAP adapter end to end, on stand-in ONNX graphs with CLAP's signatures (no weights ship
anywhere reachable), plus a contract test against an operator's real export when
`PLYR_CLAP_DIR` names one."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from plyr.core.config import Settings
from plyr.discovery.models.clap import (
    EMBEDDING_DIM,
    ClapModel,
    ClapUnavailable,
    check_clap_dir,
    configured_clap,
)
from plyr.discovery.models.clap_frontend import (
    FRAMES,
    N_MELS,
    WINDOW_SAMPLES,
    LogMel,
    split_windows,
)
from tests.discovery.clap_stand_in import (
    drum_clip,
    pad_clip,
    text_table,
    write_audio_model,
    write_text_model,
    write_tokenizer,
)


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
