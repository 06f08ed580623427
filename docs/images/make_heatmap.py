"""Makes docs/images/heatmap.png, the README's picture, with the documented command.

Trains a small ConvNet (a few seconds on a CPU) to tell which quadrants of a 32x32 picture hold a bright white
square (dim colored squares are distractors), saves it and a test picture, then runs

    lamina heatmap patches.lamina picture.png --logit -o docs/images/heatmap.png

Run from the repository root: .venv/bin/python docs/images/make_heatmap.py
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from lamina import losses, optimizers
from lamina.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from lamina.models import Sequential
from lamina.utils import set_random_seed

SIZE, SQUARE = 32, 8


def pictures(count, rng, squares_per_picture=None):
    """Gray pictures with dim colored squares anywhere and bright white ones; label q is 1 when quadrant q holds a
    bright square."""
    x = 0.35 + rng.random((count, 3, SIZE, SIZE), dtype=np.float32) * 0.15
    labels = (rng.random((count, 4)) < 0.5).astype(np.float32)
    if squares_per_picture == 1:
        labels[:] = np.eye(4, dtype=np.float32)[rng.integers(0, 4, count)]
    for index in range(count):
        for color in rng.random((2, 3)) * 0.4:
            top, left = rng.integers(0, SIZE - SQUARE + 1, 2)
            x[index, :, top:top + SQUARE, left:left + SQUARE] = color[:, None, None]
    half = SIZE // 2
    for index, quadrant in zip(*np.nonzero(labels)):
        top = (quadrant // 2) * half + rng.integers(0, half - SQUARE + 1)
        left = (quadrant % 2) * half + rng.integers(0, half - SQUARE + 1)
        x[index, :, top:top + SQUARE, left:left + SQUARE] = 1.0
    return x, labels


def main(output="docs/images/heatmap.png"):
    set_random_seed(0)
    x, y = pictures(1024, np.random.default_rng(0))
    model = Sequential([Input((3, SIZE, SIZE)), Conv2D(16, 3, padding="same", activation="relu"), MaxPooling2D(2),
                        Conv2D(16, 3, padding="same", activation="relu"), MaxPooling2D(2), Flatten(), Dense(4)])
    model.compile(loss=losses.BinaryCrossentropy(from_logits=True), optimizer=optimizers.Adam(learning_rate=0.01))
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    picture, _ = pictures(1, np.random.default_rng(7), squares_per_picture=1)
    with tempfile.TemporaryDirectory() as folder:
        model.save(os.path.join(folder, "patches.lamina"))
        pixels = np.rint(picture[0].transpose(1, 2, 0) * 255).astype(np.uint8)
        Image.fromarray(pixels).resize((256, 256), Image.NEAREST).save(os.path.join(folder, "picture.png"))
        command = ["heatmap", "patches.lamina", "picture.png", "--logit", "-o", os.path.abspath(output)]
        print("lamina " + " ".join(command))
        subprocess.run([sys.executable, "-m", "lamina.cli", *command], cwd=folder, check=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
