"""lamina.datasets.shapes: a drawn image folder, the same for a seed."""
import numpy as np
from PIL import Image

from lamina.datasets import shapes


def test_the_folder_has_each_class_interleaved_and_a_seed_draws_the_same_images(tmp_path):
    paths, labels = shapes.make_folder(tmp_path / "a", per_class=3, size=40, seed=5)
    again, _ = shapes.make_folder(tmp_path / "b", per_class=3, size=40, seed=5)
    other, _ = shapes.make_folder(tmp_path / "c", per_class=3, size=40, seed=6)
    assert labels.tolist() == [0, 1, 2, 3] * 3
    assert sorted(path.name for path in (tmp_path / "a").iterdir()) == sorted(shapes.CLASSES)
    assert paths[5] == str(tmp_path / "a" / "horizontal_stripes" / "001.png")
    with Image.open(paths[0]) as image:
        assert image.size == (40, 40) and image.mode == "RGB"
    read = [np.asarray(Image.open(path)) for path in (paths[7], again[7], other[7])]
    np.testing.assert_array_equal(read[0], read[1])
    assert not np.array_equal(read[0], read[2])
