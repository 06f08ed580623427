"""preprocess_input equals torchvision's transforms and Keras's modes; decode_predictions names ImageNet classes."""
import numpy as np
import pytest
import torch
import torchvision

from lamina.applications import decode_predictions, preprocess_input, vgg16

keras_imagenet = pytest.importorskip("keras.applications.imagenet_utils")


def images(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def test_uint8_images_equal_torchvisions_weights_transform():
    transform = torchvision.models.VGG16_Weights.IMAGENET1K_V1.transforms()
    image = images((3, 300, 260))
    expected = transform(torch.from_numpy(image))
    ours = vgg16.preprocess_input(image)
    assert ours.shape == (3, 224, 224) and isinstance(ours, np.ndarray)
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-5)
    batch = preprocess_input(torch.from_numpy(np.stack([image, image])).permute(0, 2, 3, 1),
                             data_format="channels_last")
    np.testing.assert_allclose(batch[1].permute(2, 0, 1).numpy(), expected.numpy(), atol=1e-5)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_keras_modes_equal_keras(mode):
    x = images((2, 8, 8, 3), seed=1).astype(np.float32)
    expected = keras_imagenet.preprocess_input(x.copy(), data_format="channels_last", mode=mode)
    ours = preprocess_input(x, data_format="channels_last", mode=mode)
    np.testing.assert_allclose(ours, np.asarray(expected), rtol=1e-6, atol=1e-4)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="`mode` must be None"):
        preprocess_input(images((3, 8, 8)), mode="inception")
    with pytest.raises(ValueError, match="expected 3 colour channels"):
        preprocess_input(images((4, 8, 8)), mode="torch")


def test_decode_predictions_on_one_hot_predictions():
    predictions = np.zeros((2, 1000), dtype=np.float32)
    predictions[0, 2], predictions[1, 999] = 1.0, 1.0
    decoded = decode_predictions(predictions, top=3)
    assert decoded[0][0] == ("n01484850", "great_white_shark", 1.0)
    assert decoded[1][0] == ("n15075141", "toilet_tissue", 1.0) and len(decoded[1]) == 3
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        decode_predictions(np.zeros((2, 10)))
