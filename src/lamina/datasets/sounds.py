"""A folder of generated recordings in three classes, made on the spot (no download): for trying the audio workflows.

Each one-second clip (8 kHz, 16-bit wav) is a tone, a rising chirp or a burst of noise, with a random start,
length, pitch and loudness over faint background noise. Clips come from four "speakers" whose pitch range and level
differ, and are named `{label}_{speaker}_{n}.wav`, so that a split by speaker can be tried too.

Example:
    >>> from lamina.datasets import sounds
    >>> paths, labels = sounds.make_folder("sounds", per_class=40)    # sounds/tone/tone_anna_0.wav, ...
"""
import os

import numpy as np
import soundfile

CLASSES = ("chirp", "noise", "tone")
SPEAKERS = ("anna", "ben", "carla", "dev")
RATE = 8000


def clip(kind, rng, speaker=0, rate=RATE, seconds=1.0):
    """One float32 clip of class `kind`, drawn with the numpy Generator `rng`, in `speaker`'s pitch range."""
    time = np.arange(int(rate * seconds)) / rate
    pitch = rng.uniform(300, 1200) * (1 + 0.15 * speaker)
    start, length = rng.uniform(0, 0.4) * seconds, rng.uniform(0.3, 0.55) * seconds
    envelope = ((time >= start) & (time < start + length)).astype(np.float64)
    if kind == "tone":
        sound = np.sin(2 * np.pi * pitch * time)
    elif kind == "chirp":
        sound = np.sin(2 * np.pi * (pitch * (time - start) + 1200 * (time - start) ** 2))
    else:
        sound = rng.standard_normal(len(time)) * 0.6
    loudness = rng.uniform(0.2, 0.8) * (1 - 0.1 * speaker)
    return (loudness * envelope * sound + 0.01 * rng.standard_normal(len(time))).astype(np.float32)


def make_folder(folder, per_class=40, seed=0, rate=RATE):
    """Writes folder/<class>/<class>_<speaker>_<n>.wav, `per_class` clips per class spread over the four speakers;
    returns (paths, class indices) in writing order."""
    rng = np.random.default_rng(seed)
    paths, labels = [], []
    for label, kind in enumerate(CLASSES):
        os.makedirs(os.path.join(folder, kind), exist_ok=True)
        for index in range(per_class):
            speaker = index % len(SPEAKERS)
            path = os.path.join(folder, kind, f"{kind}_{SPEAKERS[speaker]}_{index}.wav")
            soundfile.write(path, clip(kind, rng, speaker, rate), rate, subtype="PCM_16")
            paths.append(path)
            labels.append(label)
    return paths, np.array(labels, dtype=np.int64)
