"""lamina.utils.image_dataset_from_directory against Keras 3.

Keras's function itself needs TensorFlow or Grain (neither is a lamina dependency), so the comparison uses the
pieces it is built from, which run without them: keras.src.utils.dataset_utils.index_directory and
get_training_or_validation_split (file order, labels, shuffling with the seed, class names, splits) and Keras's
Grain-path image loader `_load_image_grain` (Pillow decoding, then keras.ops.image.resize on the torch backend)
for the pixels. What Keras leaves to tf.data (the order of each epoch's shuffle buffer) is not compared; lamina
draws a fresh permutation of the files each epoch.
"""
import numpy as np
import pytest
import torch

from lamina import config
from lamina.utils import image_dataset_from_directory


def keras_dataset_utils():
    from keras.src.utils import dataset_utils

    return dataset_utils


def keras_files(directory, validation_split=None, subset=None, **options):
    from keras.src.utils.image_dataset_utils import ALLOWLIST_FORMATS

    paths, labels, class_names = keras_dataset_utils().index_directory(str(directory), formats=ALLOWLIST_FORMATS,
                                                                       verbose=False, **options)
    paths, labels = keras_dataset_utils().get_training_or_validation_split(paths, labels, validation_split, subset)
    return paths, labels, class_names


def keras_pixels(path, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio=False):
    from keras.src.utils.image_dataset_utils import _load_image_grain

    return np.asarray(_load_image_grain(path, image_size, num_channels, interpolation, data_format,
                                        crop_to_aspect_ratio))


@pytest.mark.parametrize("options", [
    dict(shuffle=True, seed=3),
    dict(shuffle=False),
    dict(shuffle=True, seed=9, class_names=["zebras", "cats"]),
])
def test_file_order_labels_and_class_names_equal_keras(image_folder, options):
    dataset = image_dataset_from_directory(str(image_folder), image_size=(8, 8), verbose=False, **options)
    paths, labels, class_names = keras_files(image_folder, labels="inferred", **options)
    assert dataset.file_paths == paths
    np.testing.assert_array_equal(dataset.labels, labels)
    assert dataset.class_names == class_names
    assert ".checkpoints" not in class_names


def test_validation_split_subsets_equal_keras(image_folder):
    training, validation = image_dataset_from_directory(str(image_folder), image_size=(8, 8), seed=5,
                                                        validation_split=0.3, subset="both", verbose=False)
    for dataset, subset in ((training, "training"), (validation, "validation")):
        paths, labels, _ = keras_files(image_folder, labels="inferred", shuffle=True, seed=5,
                                       validation_split=0.3, subset=subset)
        assert dataset.file_paths == paths
        np.testing.assert_array_equal(dataset.labels, labels)
    assert not set(training.file_paths) & set(validation.file_paths)
    single = image_dataset_from_directory(str(image_folder), image_size=(8, 8), seed=5, validation_split=0.3,
                                          subset="validation", verbose=False)
    assert single.file_paths == validation.file_paths


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("interpolation,color_mode,crop", [
    ("bilinear", "rgb", False), ("nearest", "grayscale", False), ("bicubic", "rgba", True),
])
def test_pixels_equal_keras_loader(image_folder, data_format, interpolation, color_mode, crop):
    dataset = image_dataset_from_directory(str(image_folder), image_size=(9, 13), shuffle=False, batch_size=4,
                                           interpolation=interpolation, color_mode=color_mode,
                                           crop_to_aspect_ratio=crop, data_format=data_format, verbose=False)
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
    images = torch.cat([batch[0] for batch in dataset]).numpy()
    for path, pixels in zip(dataset.file_paths, images):
        np.testing.assert_allclose(pixels, keras_pixels(path, (9, 13), channels, interpolation, data_format, crop),
                                   atol=1e-4, rtol=0)
    assert images.shape[1:] == ((channels, 9, 13) if data_format == "channels_first" else (9, 13, channels))


def test_label_modes_and_batches(image_folder):
    options = dict(image_size=(6, 6), shuffle=False, verbose=False, batch_size=4)
    dataset = image_dataset_from_directory(str(image_folder), label_mode="categorical", **options)
    assert len(dataset) == 4
    images, labels = next(iter(dataset))
    assert images.shape == (4, 3, 6, 6) and images.dtype == torch.float32
    np.testing.assert_array_equal(labels.numpy(), np.eye(3, dtype="float32")[dataset.labels[:4]])
    binary = image_dataset_from_directory(str(image_folder), label_mode="binary", class_names=["cats", "zebras"],
                                          **options)
    labels = torch.cat([batch[1] for batch in binary])
    assert labels.shape == (len(binary.file_paths), 1)
    np.testing.assert_array_equal(labels[:, 0].numpy(), binary.labels)
    unlabeled = image_dataset_from_directory(str(image_folder), labels=None, **options)
    assert isinstance(next(iter(unlabeled)), torch.Tensor) and unlabeled.class_names is None
    explicit = image_dataset_from_directory(str(image_folder / "cats"), labels=[0, 1, 0, 1, 0, 1], **options)
    assert explicit.class_names == ["0", "1"]
    single = image_dataset_from_directory(str(image_folder), batch_size=None, image_size=(6, 6), shuffle=False,
                                          verbose=False)
    image, label = next(iter(single))
    assert image.shape == (3, 6, 6) and label.dtype == torch.int64 and len(single) == len(single.file_paths)


def test_each_epoch_is_a_new_permutation_of_all_files(image_folder):
    dataset = image_dataset_from_directory(str(image_folder), image_size=(5, 5), batch_size=5, seed=1,
                                           verbose=False)
    epochs = [torch.cat([labels for _, labels in dataset]).tolist() for _ in range(3)]
    assert all(sorted(epoch) == sorted(dataset.labels.tolist()) for epoch in epochs)
    assert epochs[0] != epochs[1] or epochs[1] != epochs[2]


def test_layout_follows_lamina_config(image_folder):
    config.set_image_data_format("channels_last")
    images, _ = next(iter(image_dataset_from_directory(str(image_folder), image_size=(5, 7), verbose=False)))
    assert images.shape[1:] == (5, 7, 3)


def test_errors_name_the_argument(image_folder, tmp_path):
    directory = str(image_folder)
    with pytest.raises(ValueError, match="pass a `seed`"):
        image_dataset_from_directory(directory, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="`subset` and `validation_split` go together"):
        image_dataset_from_directory(directory, subset="training", seed=1)
    with pytest.raises(ValueError, match="label_mode='binary' needs exactly 2 classes, found 3"):
        image_dataset_from_directory(directory, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="interpolation='lanczos3'.*Expected one of: 'bilinear'"):
        image_dataset_from_directory(directory, interpolation="lanczos3")
    with pytest.raises(ValueError, match="must be subfolders"):
        image_dataset_from_directory(directory, class_names=["cats", "horses"], verbose=False)
    with pytest.raises(ValueError, match="received 2 labels for 6 image files"):
        image_dataset_from_directory(str(image_folder / "cats"), labels=[0, 1], verbose=False)
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images found"):
        image_dataset_from_directory(str(tmp_path / "empty"), verbose=False)
