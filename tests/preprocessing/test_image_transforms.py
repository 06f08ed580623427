"""ImageDataGenerator.apply_transform / get_random_transform against Keras's legacy ImageDataGenerator.

Tolerance: Keras resamples with scipy.ndimage.affine_transform(order=1), which interpolates in float64 and rounds
once to float32. lamina computes the source coordinates in float64 in scipy's order (so every output pixel uses
the same neighbours and the same inside/outside decision) and resamples in float64 with grid_sample, whose
normalized coordinates round differently from scipy's: the results differ by a few float32 ulps of the largest
pixel value. For pixels in [0, 255] that is below 1e-4, the tolerance used here; everything that involves no
interpolation is compared exactly.
"""
import numpy as np
import pytest

from lamina.preprocessing.image import ImageDataGenerator, apply_affine_transform

ATOL = 1e-4


def keras_image():
    from keras.src.legacy.preprocessing import image as keras_module

    return keras_module


def sample_image(data_format, height=13, width=17, channels=3, seed=0):
    """A non-square image (so rows and columns cannot be confused) with values in [0, 255)."""
    pixels = (np.random.default_rng(seed).random((height, width, channels)) * 255).astype("float32")
    return pixels.transpose(2, 0, 1).copy() if data_format == "channels_first" else pixels


def both(data_format, **options):
    return (ImageDataGenerator(data_format=data_format, **options),
            keras_image().ImageDataGenerator(data_format=data_format, **options))


GEOMETRIC = [
    {"theta": 33.0}, {"theta": -90.0}, {"theta": 180.0}, {"tx": 3.3}, {"ty": -5.7}, {"tx": -20.0, "ty": 31.0},
    {"shear": 25.0}, {"zx": 0.6, "zy": 1.0}, {"zx": 1.0, "zy": 1.8}, {"zx": 0.75, "zy": 1.3},
    {"theta": -71.0, "tx": 4.0, "ty": -2.5, "shear": -15.0, "zx": 1.7, "zy": 0.6},
]


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "wrap"])
def test_apply_transform_matches_keras_for_each_parameter_and_fill_mode(data_format, fill_mode):
    ours, theirs = both(data_format, fill_mode=fill_mode, cval=-7.5)
    image = sample_image(data_format)
    for parameters in GEOMETRIC:
        expected = theirs.apply_transform(image.copy(), parameters)
        actual = ours.apply_transform(image.copy(), parameters)
        assert actual.shape == expected.shape and actual.dtype == np.float32
        np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=0, err_msg=str(parameters))
        assert not np.array_equal(actual, image)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_flips_and_channel_shift_equal_keras_exactly(data_format):
    ours, theirs = both(data_format)
    image = sample_image(data_format)
    for parameters in ({"flip_horizontal": True}, {"flip_vertical": True},
                       {"flip_horizontal": True, "flip_vertical": True}, {"channel_shift_intensity": 40.5},
                       {"channel_shift_intensity": -300.0, "flip_vertical": True}):
        np.testing.assert_array_equal(ours.apply_transform(image.copy(), parameters),
                                      theirs.apply_transform(image.copy(), parameters))


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_brightness_equals_keras_exactly(data_format, channels, keras_image_format):
    keras_image_format(data_format)  # Keras's brightness shift reads its global layout
    ours, theirs = both(data_format)
    for image in (sample_image(data_format, channels=channels), sample_image(data_format, channels=channels) * 3 - 200):
        for factor in (0.3, 0.77, 1.0, 1.6):
            np.testing.assert_array_equal(ours.apply_transform(image.copy(), {"brightness": factor}),
                                          theirs.apply_transform(image.copy(), {"brightness": factor}))


RANDOM_OPTIONS = [
    {"rotation_range": 30, "width_shift_range": 0.2, "height_shift_range": 0.1, "shear_range": 10,
     "zoom_range": 0.3, "horizontal_flip": True, "vertical_flip": True, "channel_shift_range": 20.0,
     "brightness_range": (0.5, 1.5)},
    {"width_shift_range": 4, "height_shift_range": [1, 2, 3]},
    {"width_shift_range": 2.5, "height_shift_range": 1.0, "zoom_range": (0.5, 0.9)},
    {},
]


@pytest.mark.parametrize("options", RANDOM_OPTIONS)
def test_get_random_transform_draws_keras_parameters(options):
    ours, theirs = both("channels_last", **options)
    for seed in (0, 1, 123):
        expected = theirs.get_random_transform((13, 17, 3), seed=seed)
        assert ours.get_random_transform((13, 17, 3), seed=seed) == expected
    np.random.seed(5)
    expected = theirs.get_random_transform((13, 17, 3))
    np.random.seed(5)
    assert ours.get_random_transform((13, 17, 3)) == expected


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_random_transform_with_seed_matches_keras(data_format, keras_image_format):
    keras_image_format(data_format)
    ours, theirs = both(data_format, fill_mode="reflect", **RANDOM_OPTIONS[0])
    image = sample_image(data_format)
    for seed in range(5):
        np.testing.assert_allclose(ours.random_transform(image.copy(), seed=seed),
                                   theirs.random_transform(image.copy(), seed=seed), atol=ATOL, rtol=0)


def test_apply_affine_transform_function_matches_keras_for_any_axis_order():
    image = sample_image("channels_last")
    for axes in ({"row_axis": 0, "col_axis": 1, "channel_axis": 2}, {"row_axis": 1, "col_axis": 0, "channel_axis": 2},
                 {"row_axis": 2, "col_axis": 1, "channel_axis": 0}):
        for order in (0, 1):
            arguments = dict(theta=20, tx=2, ty=-3, shear=5, zx=1.2, zy=0.9, fill_mode="wrap", order=order, **axes)
            image_for_axes = image if axes["channel_axis"] == 2 else image.transpose(2, 1, 0).copy()
            np.testing.assert_allclose(apply_affine_transform(image_for_axes, **arguments),
                                       keras_image().apply_affine_transform(image_for_axes, **arguments),
                                       atol=ATOL, rtol=0)
    np.testing.assert_array_equal(apply_affine_transform(image, row_axis=0, col_axis=1, channel_axis=2), image)


def test_invalid_arguments_name_the_argument():
    with pytest.raises(ValueError, match="fill_mode='mirror'.*Expected one of: 'constant', 'nearest', 'reflect'"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="`zoom_range` must be a float or a \\(low, high\\) pair"):
        ImageDataGenerator(zoom_range=(0.5, 1, 2))
    with pytest.raises(ValueError, match="`brightness_range` must be a \\(low, high\\) pair"):
        ImageDataGenerator(brightness_range=0.5)
    with pytest.raises(ValueError, match="`validation_split` must be strictly between 0 and 1, received 1.5"):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="interpolation_order=3"):
        ImageDataGenerator(interpolation_order=3)
    with pytest.raises(ValueError, match="expected one image of rank 3"):
        ImageDataGenerator().apply_transform(np.zeros((2, 3, 4, 4)), {})
