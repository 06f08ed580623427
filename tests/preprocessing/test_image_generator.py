"""ImageDataGenerator.flow / flow_from_directory / fit / standardize against Keras's legacy ImageDataGenerator.

Batches are compared for the same seed: order, batching, labels and every deterministic step exactly; random
geometric augmentation within the interpolation tolerance explained in test_image_transforms.py. Statistics
computed by reductions (means, standard deviations, ZCA) are compared to float32 precision, since torch and numpy
sum in different orders.
"""
import os

import numpy as np
import pytest

from lamina import config
from lamina.preprocessing.image import ImageDataGenerator
from test_image_transforms import ATOL, RANDOM_OPTIONS, both, keras_image


def images_and_labels(data_format, count=12, height=10, width=8, seed=0):
    rng = np.random.default_rng(seed)
    pixels = (rng.random((count, height, width, 3)) * 255).astype("float32")
    if data_format == "channels_first":
        pixels = pixels.transpose(0, 3, 1, 2).copy()
    return pixels, np.arange(count) % 3


def assert_batches_equal(actual, expected, atol=0.0):
    actual, expected = (actual, expected) if isinstance(expected, tuple) else ((actual,), (expected,))
    assert len(actual) == len(expected)
    for ours, theirs in zip(actual, expected):
        if isinstance(theirs, list):
            assert_batches_equal(tuple(ours), tuple(theirs), atol)
            continue
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        if atol:
            np.testing.assert_allclose(ours, theirs, atol=atol, rtol=1e-6)
        else:
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_flow_batches_equal_keras_with_a_seed(data_format):
    x, y = images_and_labels(data_format)
    ours, theirs = both(data_format, rescale=1 / 255, horizontal_flip=True, vertical_flip=True)
    iterators = [generator.flow(x, y, batch_size=5, shuffle=True, seed=3) for generator in (ours, theirs)]
    assert len(iterators[0]) == len(iterators[1]) == 3
    for _ in range(7):  # more than two epochs: the last batch of each epoch has 2 samples
        assert_batches_equal(next(iterators[0]), next(iterators[1]))


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_flow_indexed_access_and_epoch_end_equal_keras(data_format):
    x, y = images_and_labels(data_format)
    weights = np.linspace(0.5, 2, len(x))
    ours, theirs = both(data_format, horizontal_flip=True)
    iterators = [generator.flow(x, y, batch_size=4, seed=11, sample_weight=weights) for generator in (ours, theirs)]
    for _ in range(2):
        for index in (0, 2, 1):
            assert_batches_equal(iterators[0][index], iterators[1][index])
        for iterator in iterators:
            iterator.on_epoch_end()


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "wrap"])
def test_flow_with_random_augmentation_matches_keras(data_format, fill_mode, keras_image_format):
    keras_image_format(data_format)
    x, y = images_and_labels(data_format)
    ours, theirs = both(data_format, fill_mode=fill_mode, cval=3.0, **RANDOM_OPTIONS[0])
    iterators = [generator.flow(x, y, batch_size=5, seed=7) for generator in (ours, theirs)]
    for _ in range(4):
        assert_batches_equal(next(iterators[0]), next(iterators[1]), atol=ATOL)


def test_flow_without_seed_follows_numpy_global_state_like_keras():
    x, y = images_and_labels("channels_last")
    ours, theirs = both("channels_last", width_shift_range=0.3, horizontal_flip=True)
    batches = []
    for generator in (ours, theirs):
        np.random.seed(21)
        iterator = generator.flow(x, y, batch_size=6)
        batches.append([next(iterator) for _ in range(3)])
    for actual, expected in zip(*batches):
        assert_batches_equal(actual, expected, atol=ATOL)


def test_flow_extra_inputs_no_labels_and_validation_subsets_equal_keras():
    x, y = images_and_labels("channels_last", count=10)
    extra = np.arange(10.0)[:, None]
    ours, theirs = both("channels_last", validation_split=0.3)
    for subset in ("training", "validation"):
        iterators = [generator.flow((x, extra), y, batch_size=3, seed=1, subset=subset) for generator in (ours, theirs)]
        assert iterators[0].n == iterators[1].n == (3 if subset == "validation" else 7)
        for _ in range(3):
            assert_batches_equal(next(iterators[0]), next(iterators[1]))
    unlabeled = [generator.flow(x, batch_size=4, shuffle=False) for generator in (ours, theirs)]
    assert_batches_equal(next(unlabeled[0]), next(unlabeled[1]))
    with pytest.raises(ValueError, match="different classes after the split"):
        ours.flow(x, np.sort(y), subset="training")
    with pytest.raises(ValueError, match="subset='train'.*Did you mean 'training'"):
        ours.flow(x, y, subset="train")


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_fit_and_standardization_match_keras(data_format):
    x, y = images_and_labels(data_format, count=20)
    options = dict(featurewise_center=True, featurewise_std_normalization=True, samplewise_center=True,
                   samplewise_std_normalization=True, rescale=0.5)
    ours, theirs = both(data_format, **options)
    ours.fit(x)
    theirs.fit(x)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-6)
    np.testing.assert_allclose(ours.std, theirs.std, rtol=1e-6)
    assert ours.mean.shape == theirs.mean.shape == ((3, 1, 1) if data_format == "channels_first" else (1, 1, 3))
    iterators = [generator.flow(x, y, batch_size=8, seed=2) for generator in (ours, theirs)]
    for _ in range(3):
        assert_batches_equal(next(iterators[0]), next(iterators[1]), atol=1e-5)
    np.testing.assert_allclose(ours.standardize(x[0].copy()), theirs.standardize(x[0].copy()), atol=1e-5)


def test_zca_whitening_matches_keras():
    x, y = images_and_labels("channels_last", count=60, height=4, width=4)
    with pytest.warns(UserWarning, match="zca_whitening implies featurewise_center"):
        ours = ImageDataGenerator(zca_whitening=True, data_format="channels_last")
    with pytest.warns(UserWarning):
        theirs = keras_image().ImageDataGenerator(zca_whitening=True, data_format="channels_last")
    ours.fit(x)
    theirs.fit(x)
    np.testing.assert_allclose(ours.zca_whitening_matrix, theirs.zca_whitening_matrix, atol=1e-4)
    actual = next(ours.flow(x, y, batch_size=10, seed=0))[0]
    expected = next(theirs.flow(x, y, batch_size=10, seed=0))[0]
    np.testing.assert_allclose(actual, expected, atol=1e-3)
    whitened = ours.standardize(x.copy()).reshape(60, -1)
    np.testing.assert_allclose(np.cov(whitened, rowvar=False), np.eye(48) * 60 / 59, atol=0.1)


def test_fit_with_augmentation_matches_keras():
    x, _ = images_and_labels("channels_last")
    ours, theirs = both("channels_last", featurewise_center=True, rotation_range=40, horizontal_flip=True)
    ours.fit(x, augment=True, rounds=2, seed=4)
    theirs.fit(x, augment=True, rounds=2, seed=4)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-5)


def test_preprocessing_function_runs_per_image_before_rescale():
    x, y = images_and_labels("channels_last", count=4)
    ours, theirs = both("channels_last", preprocessing_function=lambda image: image[::-1] + 1.0, rescale=2.0)
    assert_batches_equal(next(ours.flow(x, y, shuffle=False)), next(theirs.flow(x, y, shuffle=False)))


def test_unfitted_featurewise_options_warn():
    generator = ImageDataGenerator(featurewise_center=True, data_format="channels_last")
    with pytest.warns(UserWarning, match="has not been fit on any training data"):
        generator.standardize(np.ones((4, 4, 3), dtype="float32"))


def test_data_format_follows_lamina_config():
    x, y = images_and_labels("channels_first", count=4)
    assert ImageDataGenerator().data_format == "channels_first"
    assert next(ImageDataGenerator().flow(x, y))[0].shape == (4, 3, 10, 8)
    config.set_image_data_format("channels_last")
    assert ImageDataGenerator().data_format == "channels_last"


# flow_from_directory


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
def test_flow_from_directory_equals_keras(image_folder, data_format, class_mode):
    ours, theirs = both(data_format, rescale=1 / 255, horizontal_flip=True)
    options = dict(target_size=(12, 9), class_mode=class_mode, batch_size=5, seed=8)
    if class_mode == "binary":
        options["classes"] = ["dogs", "cats"]
    iterators = [generator.flow_from_directory(str(image_folder), **options) for generator in (ours, theirs)]
    actual, expected = iterators
    assert actual.class_indices == expected.class_indices
    assert actual.filenames == expected.filenames
    assert actual.filepaths == expected.filepaths
    np.testing.assert_array_equal(actual.classes, expected.classes)
    assert actual.samples == expected.samples and len(actual) == len(expected)
    for _ in range(len(actual) + 2):
        assert_batches_equal(next(actual), next(expected))


def test_flow_from_directory_options_equal_keras(image_folder, keras_image_format):
    keras_image_format("channels_last")
    ours, theirs = both("channels_last", validation_split=0.4, rotation_range=20, zoom_range=0.2,
                        brightness_range=(0.8, 1.2))
    for options in (dict(subset="training", color_mode="grayscale", interpolation="bilinear"),
                    dict(subset="validation", color_mode="rgba", interpolation="bicubic", keep_aspect_ratio=True),
                    dict(classes=["zebras", "cats"], shuffle=False, interpolation="lanczos")):
        iterators = [generator.flow_from_directory(str(image_folder), target_size=(11, 14), batch_size=3, seed=5,
                                                   **options) for generator in (ours, theirs)]
        assert iterators[0].filenames == iterators[1].filenames
        for index in range(len(iterators[1])):
            assert_batches_equal(iterators[0][index], iterators[1][index], atol=ATOL)


def test_flow_from_directory_lists_files_as_keras_does(image_folder):
    iterator = ImageDataGenerator().flow_from_directory(str(image_folder), target_size=(8, 8))
    assert iterator.class_indices == {".checkpoints": 0, "cats": 1, "dogs": 2, "zebras": 3}
    assert iterator.filenames[:3] == [os.path.join(".checkpoints", "copy.png"), os.path.join("cats", "alpha.png"),
                                      os.path.join("cats", "cats_00.png")]
    assert os.path.join("dogs", "puppies", "small.png") in iterator.filenames
    assert not any(name.endswith(".txt") for name in iterator.filenames)
    assert next(iterator)[0].shape == (len(iterator.filenames), 3, 8, 8)


def test_flow_from_directory_errors_name_the_argument(image_folder, tmp_path):
    generator = ImageDataGenerator()
    with pytest.raises(ValueError, match="class_mode='catgorical'.*Did you mean 'categorical'"):
        generator.flow_from_directory(str(image_folder), class_mode="catgorical")
    with pytest.raises(ValueError, match="color_mode='rgbb'"):
        generator.flow_from_directory(str(image_folder), color_mode="rgbb")
    with pytest.raises(FileNotFoundError, match="No such directory"):
        generator.flow_from_directory(str(tmp_path / "missing"))


def test_save_to_dir_writes_the_augmented_images(image_folder, tmp_path):
    output = tmp_path / "augmented"
    output.mkdir()
    iterator = ImageDataGenerator(horizontal_flip=True).flow_from_directory(
        str(image_folder), target_size=(8, 8), batch_size=4, seed=0, save_to_dir=str(output), save_prefix="aug")
    next(iterator)
    names = sorted(os.listdir(output))
    assert len(names) == 4 and all(name.startswith("aug_") and name.endswith(".png") for name in names)
