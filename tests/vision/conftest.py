"""Image folders drawn on disk for the classifier and command tests."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

# Each class is a hue with clutter: a random shade of its colour behind a random grey shape and line.
COLOURS = {"blue": (40, 60, 220), "green": (40, 200, 60), "red": (220, 50, 40)}
PER_CLASS = 12


def draw_photo(path, colour, rng, size=(56, 44)):
    shade = tuple(int(np.clip(value + rng.integers(-30, 31), 0, 255)) for value in colour)
    image = Image.new("RGB", size, shade)
    pen = ImageDraw.Draw(image)
    grey = int(rng.integers(60, 200))
    left, top = (int(value) for value in rng.integers(0, 20, 2))
    pen.ellipse([left, top, left + 20, top + 16], fill=(grey, grey, grey))
    pen.line([tuple(rng.integers(0, 44, 2).tolist()) for _ in range(2)], fill=(0, 0, 0), width=2)
    image.save(path)


def make_photos(root, per_class=PER_CLASS, seed=0):
    """root/<colour>/<n>.jpg|png: PER_CLASS drawings per class; returns root."""
    rng = np.random.default_rng(seed)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            draw_photo(root / name / f"{index:02d}.{'jpg' if index % 2 else 'png'}", colour, rng)
    return root


@pytest.fixture(scope="session")
def colour_photos(tmp_path_factory):
    """A class-per-folder set of 3 x 12 small photos (read only: tests that change files copy it)."""
    return make_photos(tmp_path_factory.mktemp("colours") / "photos")
