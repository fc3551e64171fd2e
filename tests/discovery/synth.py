"""Generated test audio for the discovery models: 30 s, 16 kHz mono float32, deterministic.

Pure numpy (seeded PCG64), so `reference/make_reference.py` can regenerate the very same
samples in a separate environment that runs the original TensorFlow implementation.
"""

import numpy as np

RATE = 16000
SECONDS = 30.0


def _time(seconds: float = SECONDS) -> np.ndarray:
    return np.arange(int(RATE * seconds)) / RATE


def _lowpass(signal: np.ndarray, cutoff_hz: float) -> np.ndarray:
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(len(signal), 1 / RATE)
    spectrum *= 1 / (1 + (freqs / cutoff_hz) ** 4)
    return np.fft.irfft(spectrum, len(signal))


def _saw(freq: float, t: np.ndarray, phase: float = 0.0) -> np.ndarray:
    return 2 * ((freq * t + phase) % 1.0) - 1


def _normalise(signal: np.ndarray, peak: float = 0.8) -> np.ndarray:
    return (signal / np.max(np.abs(signal)) * peak).astype(np.float32)


def drums(seconds: float = SECONDS) -> np.ndarray:
    """A 120 bpm pattern: kick on every beat, snare on 2 and 4, closed hi-hat on eighths."""
    rng = np.random.default_rng(1)
    out = np.zeros(int(RATE * seconds))
    beat = RATE // 2  # 120 bpm
    hit = np.arange(int(0.25 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (50 * hit + 100 * (1 - np.exp(-hit * 30)) / 30)) * np.exp(-hit * 18)
    snare = (0.6 * rng.standard_normal(len(hit)) + 0.5 * np.sin(2 * np.pi * 190 * hit)) * np.exp(
        -hit * 25
    )
    hat_noise = np.diff(rng.standard_normal(len(hit) + 1))  # differenced noise: bright
    hat = 0.25 * hat_noise * np.exp(-hit * 90)
    for n, start in enumerate(range(0, len(out) - len(hit), beat // 2)):
        out[start : start + len(hit)] += hat
        if n % 2 == 0:
            out[start : start + len(hit)] += kick
        if n % 4 == 2:
            out[start : start + len(hit)] += snare
    return _normalise(out)


def ambient_pad(seconds: float = SECONDS) -> np.ndarray:
    """An A minor chord of detuned saws, low-passed, slow swell: an ambient pad."""
    t = _time(seconds)
    out = np.zeros_like(t)
    for note in (220.0, 261.63, 329.63, 440.0):
        for cents, phase in ((-9, 0.1), (0, 0.5), (8, 0.8)):
            out += _saw(note * 2 ** (cents / 1200), t, phase)
    out = _lowpass(out, 900)
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 8 - np.pi / 2)
    fade = np.minimum(1, t / 3)
    return _normalise(out * swell * fade, 0.5)


def piano_arpeggio(seconds: float = SECONDS) -> np.ndarray:
    """A C major arpeggio in eighths of decaying harmonic tones (higher partials die faster)."""
    notes = (261.63, 329.63, 392.0, 523.25, 392.0, 329.63)
    step = RATE // 4
    t = np.arange(int(1.2 * RATE)) / RATE
    out = np.zeros(int(RATE * seconds) + len(t))
    for n, start in enumerate(range(0, int(RATE * seconds), step)):
        freq = notes[n % len(notes)]
        tone = sum(
            np.sin(2 * np.pi * freq * k * t) / k * np.exp(-t * (2.5 + 1.5 * k)) for k in range(1, 9)
        )
        out[start : start + len(t)] += tone * np.minimum(1, t * 400)
    return _normalise(out[: int(RATE * seconds)], 0.7)


def distorted_guitar(seconds: float = SECONDS) -> np.ndarray:
    """Power chords (E5, A5) strummed in eighths, through a hard tanh distortion, plus hiss."""
    rng = np.random.default_rng(4)
    step = RATE // 4
    t = np.arange(step) / RATE
    out = np.zeros(int(RATE * seconds))
    for n, start in enumerate(range(0, len(out) - step + 1, step)):
        root = 82.41 if (n // 8) % 2 == 0 else 110.0
        chord = sum(_saw(root * ratio, t, 0.13 * i) for i, ratio in enumerate((1, 1.5, 2, 1.007)))
        out[start : start + step] = chord * np.exp(-t * 3)
    out = np.tanh(8 * _lowpass(out, 3000)) + 0.05 * rng.standard_normal(len(out))
    return _normalise(out, 0.9)


def very_loud(seconds: float = SECONDS) -> np.ndarray:
    """Full-scale square waves (a chord, clipped): the input that broke upstream's float16 path."""
    t = _time(seconds)
    chord = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (110.0, 164.81, 220.0))
    return np.clip(chord, -1, 1).astype(np.float32)


CLIPS = {
    "drums": drums,
    "ambient_pad": ambient_pad,
    "piano_arpeggio": piano_arpeggio,
    "distorted_guitar": distorted_guitar,
}
