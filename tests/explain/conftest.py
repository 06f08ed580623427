"""A small ConvNet trained on a generated task where a bright patch's position decides the class."""
import numpy as np
import pytest

from lamina import losses, optimizers
from lamina.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from lamina.models import Sequential
from lamina.utils import set_random_seed

SIZE, PATCH = 16, 6


def patch_images(count, rng, one_patch):
    """Dim noise images (1, 16, 16) with bright 6x6 patches; label q is 1 when quadrant q holds a patch.

    Training images hold a patch in each quadrant independently (multi-label): the evidence for a class is the
    presence of a patch in its quadrant, not the absence of patches elsewhere. Test images hold one patch.
    Returns (images, labels (count, 4), top-left corner of the last patch (count, 2)).
    """
    images = rng.random((count, 1, SIZE, SIZE), dtype=np.float32) * 0.3
    labels = np.zeros((count, 4), dtype=np.float32)
    if one_patch:
        labels[np.arange(count), rng.integers(0, 4, count)] = 1
    else:
        labels[:] = rng.random((count, 4)) < 0.5
    corners = np.zeros((count, 2), dtype=int)
    half = SIZE // 2
    for index in range(count):
        for quadrant in np.flatnonzero(labels[index]):
            top = (quadrant // 2) * half + rng.integers(0, half - PATCH + 1)
            left = (quadrant % 2) * half + rng.integers(0, half - PATCH + 1)
            images[index, 0, top:top + PATCH, left:left + PATCH] = 1.0
            corners[index] = top, left
    return images, labels, corners


@pytest.fixture(scope="session")
def patch_task():
    """(trained model, test images, their classes, their patches' corners)."""
    set_random_seed(0)
    images, labels, _ = patch_images(512, np.random.default_rng(0), one_patch=False)
    model = Sequential([Input((1, SIZE, SIZE)), Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2),
                        Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2), Flatten(), Dense(4)])
    model.compile(loss=losses.BinaryCrossentropy(from_logits=True), optimizer=optimizers.Adam(learning_rate=0.01))
    model.fit(images, labels, epochs=5, batch_size=32, verbose=0)
    test_images, test_labels, corners = patch_images(24, np.random.default_rng(1), one_patch=True)
    return model, test_images, test_labels.argmax(axis=1), corners
