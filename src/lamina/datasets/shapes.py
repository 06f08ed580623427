"""A folder of drawn images in four classes, made on the spot (no download): for trying the image workflows.

Each image is a disc, horizontal stripes, vertical stripes or a checkerboard, of a random colour, size and place,
over a random background crossed by four random lines. Colours and places vary more than shapes do, so raw
pixels group the images by colour, and only features that see shapes group them by class (the seed's point
about clustering learned features rather than pixels).

Example:
    >>> from lamina.datasets import shapes
    >>> paths, labels = shapes.make_folder("shapes", per_class=50)   # shapes/disc/000.png, ...
"""
import os

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("disc", "horizontal_stripes", "vertical_stripes", "checkerboard")


def draw(kind, rng, size=32):
    """One size x size RGB image of class `kind`, drawn with the numpy Generator `rng`."""
    image = Image.new("RGB", (size, size), _colour(rng))
    pen = ImageDraw.Draw(image)
    for _ in range(4):
        pen.line([tuple(rng.integers(0, size, 2).tolist()) for _ in range(2)], fill=_colour(rng), width=1)
    side = int(rng.integers(size * 3 // 8, size * 5 // 8))
    left, top = (int(value) for value in rng.integers(0, size - side, 2))
    ink = _colour(rng)
    if kind == "disc":
        pen.ellipse([left, top, left + side, top + side], fill=ink)
        return image
    rows, columns = np.mgrid[0:side, 0:side] // 3
    stripes = {"horizontal_stripes": rows % 2, "vertical_stripes": columns % 2}.get(kind, (rows + columns) % 2)
    patch = np.where(stripes[..., None] == 1, ink, tuple(255 - value for value in ink)).astype(np.uint8)
    image.paste(Image.fromarray(patch), (left, top))
    return image


def make_folder(folder, per_class=150, size=32, seed=0):
    """Writes folder/<class>/<index>.png, `per_class` images per class; returns (paths, class indices) with the
    classes interleaved (disc 0, horizontal_stripes 0, ..., disc 1, ...). The same seed draws the same images."""
    rng = np.random.default_rng(seed)
    paths, labels = [], []
    for index in range(per_class):
        for label, kind in enumerate(CLASSES):
            os.makedirs(os.path.join(folder, kind), exist_ok=True)
            paths.append(os.path.join(folder, kind, f"{index:03d}.png"))
            draw(kind, rng, size).save(paths[-1])
            labels.append(label)
    return paths, np.array(labels)


def _colour(rng):
    return tuple(int(value) for value in rng.integers(0, 256, 3))
