"""load_img, img_to_array, array_to_img and save_img against keras.utils's functions of the same names."""
import io

import numpy as np
import pytest
import torch
from PIL import Image

from lamina import config
from lamina.preprocessing import image
from oracle import keras


def read(path, mode=None):
    """A file's pixels as an array (the file is closed before returning)."""
    with Image.open(path) as picture:
        return np.asarray(picture.convert(mode) if mode else picture)


@pytest.mark.parametrize("options", [
    {}, {"color_mode": "grayscale"}, {"color_mode": "rgba"}, {"target_size": (7, 5)},
    {"target_size": (20, 31), "interpolation": "bilinear"}, {"target_size": (9, 9), "interpolation": "lanczos"},
    {"target_size": (6, 12), "keep_aspect_ratio": True, "interpolation": "bicubic"},
])
def test_load_img_equals_keras(image_folder, options):
    for path in (image_folder / "cats" / "cats_01.png", image_folder / "cats" / "alpha.png",
                 image_folder / "dogs" / "puppies" / "small.png", image_folder / "zebras" / "photo.jpg"):
        actual, expected = image.load_img(path, **options), keras().utils.load_img(path, **options)
        assert actual.mode == expected.mode and actual.size == expected.size
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


def test_load_img_reads_bytes_and_keras1_grayscale_flag(image_folder):
    data = (image_folder / "cats" / "cats_00.png").read_bytes()
    assert image.load_img(io.BytesIO(data)).size == (12, 10)
    assert image.load_img(str(image_folder / "cats" / "cats_00.png"), grayscale=True).mode == "L"
    with pytest.raises(ValueError, match="color_mode='gray'.*Did you mean 'grayscale'"):
        image.load_img(io.BytesIO(data), color_mode="gray")
    with pytest.raises(ValueError, match="interpolation='linear'"):
        image.load_img(io.BytesIO(data), target_size=(3, 3), interpolation="linear")
    with pytest.raises(TypeError, match="file path or an io.BytesIO, received int"):
        image.load_img(3)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_img_to_array_and_array_to_img_equal_keras(image_folder, data_format):
    for mode in ("RGB", "RGBA", "L"):
        picture = Image.fromarray(read(image_folder / "cats" / "cats_02.png", mode))
        array = image.img_to_array(picture, data_format=data_format)
        np.testing.assert_array_equal(array, keras().utils.img_to_array(picture, data_format=data_format))
        for scale in (True, False):
            for values in (array, array * 2 - 100):
                actual = image.array_to_img(values, data_format=data_format, scale=scale)
                expected = keras().utils.array_to_img(values, data_format=data_format, scale=scale)
                assert actual.mode == expected.mode
                np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))
    tensor = torch.from_numpy(image.img_to_array(picture, data_format=data_format))
    assert image.array_to_img(tensor, data_format=data_format).size == picture.size


def test_layout_follows_lamina_config(image_folder):
    picture = image.load_img(image_folder / "cats" / "cats_00.png")
    assert image.img_to_array(picture).shape == (3, 10, 12)
    config.set_image_data_format("channels_last")
    assert image.img_to_array(picture).shape == (10, 12, 3)
    with pytest.raises(ValueError, match="images have 1, 3 or 4 channels; received 12"):
        image.array_to_img(np.zeros((3, 10, 12)))


def test_save_img_writes_what_keras_writes(tmp_path, image_folder):
    array = image.img_to_array(image.load_img(image_folder / "cats" / "cats_03.png"), data_format="channels_last")
    for name in ("ours.png", "ours.jpg", "ours.bmp"):
        image.save_img(tmp_path / name, array, data_format="channels_last")
        keras().utils.save_img(tmp_path / ("keras_" + name), array, data_format="channels_last")
        np.testing.assert_array_equal(read(tmp_path / name), read(tmp_path / ("keras_" + name)))
    rgba = np.concatenate([array, np.full(array.shape[:2] + (1,), 255.0, dtype="float32")], axis=-1)
    with pytest.warns(UserWarning, match="JPEG has no alpha channel"):
        image.save_img(tmp_path / "alpha.jpg", rgba, data_format="channels_last")
    assert read(tmp_path / "alpha.jpg").shape == array.shape
