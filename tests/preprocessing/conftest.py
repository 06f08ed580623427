"""Shared fixtures: a folder of generated images (one subfolder per class) and Keras's image layout setting."""
import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def image_folder(tmp_path):
    """tmp_path/images/{cats,dogs,zebras}/...: PNG and JPEG files of several sizes and modes, a nested folder,
    a text file (ignored) and a hidden folder."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    layout = {"cats": 5, "dogs": 4, "zebras": 3}
    for class_index, (name, count) in enumerate(layout.items()):
        folder = root / name
        folder.mkdir(parents=True)
        for index in range(count):
            height, width = 10 + 3 * index, 12 + 2 * class_index
            pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{name}_{index:02d}.png")
        (folder / "notes.txt").write_text("not an image")
    nested = root / "dogs" / "puppies"
    nested.mkdir()
    Image.fromarray(rng.integers(0, 256, (9, 9), dtype=np.uint8), "L").save(nested / "small.png")
    Image.fromarray(rng.integers(0, 256, (8, 11, 4), dtype=np.uint8), "RGBA").save(root / "cats" / "alpha.png")
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(root / "zebras" / "photo.jpg")
    hidden = root / ".checkpoints"
    hidden.mkdir()
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(hidden / "copy.png")
    return root


@pytest.fixture
def keras_image_format():
    """Sets Keras's global image layout for a test (Keras's brightness shift reads it) and restores it."""
    import keras

    saved = keras.config.image_data_format()
    yield keras.config.set_image_data_format
    keras.config.set_image_data_format(saved)
