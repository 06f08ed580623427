"""KeypointRegressor and SteeringRegressor on generated images (lamina.datasets.landmarks): they learn the
landmarks and angles to stated accuracies, give points in pixels of each input image, move targets with their
augmentation (a flip swaps paired points and negates angles), and save and load."""
import numpy as np
import pytest
import torch

from lamina.datasets import landmarks
from lamina.layers import BatchNormalization, Conv2D, Flatten, Input, MaxPooling2D
from lamina.models import Model
from lamina.utils import set_random_seed
from lamina.vision.localization import (KeypointRegressor, SteeringRegressor, masked_smooth_l1, masked_squared_error,
                                       pilotnet)
from lamina.vision.localization_files import load_model
from lamina.vision.target_augment import TargetAugmentation


def small_backbone(shape=(3, 64, 64)):
    x = images = Input(shape)
    for filters in (16, 32, 64, 64):
        x = Conv2D(filters, 3, padding="same", activation="relu", data_format="channels_first")(x)
        x = BatchNormalization(axis=1, momentum=0.9)(x)
        x = MaxPooling2D(2, data_format="channels_first")(x)
    return Model(images, Flatten()(x))


@pytest.fixture(scope="module")
def trained_keypoints():
    set_random_seed(0)
    regressor = KeypointRegressor(5, small_backbone(), image_size=64, pairs=landmarks.FACE_PAIRS, augment=None)
    regressor.fit(*landmarks.faces(1500, 0), epochs=20, learning_rate=3e-3, verbose=0)
    return regressor


def test_the_generated_landmarks_are_where_the_face_is_drawn():
    images, points = landmarks.faces(20, 3)
    for image, face_points in zip(images, points):
        darkest = image.astype(float).sum(0)
        for x, y in face_points[:3]:  # the eyes and the nose are dark dots centred on their landmarks
            assert darkest[int(y), int(x)] < np.median(darkest)


def test_keypoints_are_learned_to_under_two_pixels(trained_keypoints):
    scores = trained_keypoints.evaluate(*landmarks.faces(200, 1))
    assert scores["rmse"] < 2.0, scores  # pixels of 64x64 images (1.57 measured)


def test_points_come_back_in_pixels_of_each_input_image(trained_keypoints, tmp_path):
    images, points = landmarks.faces(4, 2)
    small = trained_keypoints.predict(images)
    doubled = [torch.nn.functional.interpolate(torch.from_numpy(image)[None].float(), scale_factor=2)[0]
               .round().byte().numpy() for image in images]
    resized, sizes = trained_keypoints.images(np.stack(doubled))
    assert resized.shape == (4, 3, 64, 64) and sizes.tolist() == [[128, 128]] * 4
    fractions = trained_keypoints.model.predict(resized.float().numpy())
    np.testing.assert_allclose(trained_keypoints.predict(np.stack(doubled)), fractions * 128, rtol=1e-6)
    trained_keypoints.save(tmp_path / "faces.lamina")
    loaded = load_model(tmp_path / "faces.lamina")
    np.testing.assert_array_equal(loaded.predict(images), small)
    assert loaded.pairs == [list(pair) for pair in landmarks.FACE_PAIRS]


def test_missing_points_are_masked_in_the_loss():
    truth = torch.tensor([[[0.5, 0.5, 1.0], [0.9, 0.9, 0.0]]])
    prediction = torch.tensor([[[0.6, 0.5], [0.0, 0.0]]])
    assert float(masked_squared_error(truth, prediction)) == pytest.approx(0.01 / 2)
    # smooth L1 with beta 0.02: |0.1| > beta, so 0.1 - beta / 2 = 0.09, over 2 visible coordinates
    assert float(masked_smooth_l1(truth, prediction)) == pytest.approx(0.09 / 2)
    regressor = KeypointRegressor(2, small_backbone(), image_size=64, augment=None, loss="smooth_l1")
    assert regressor.loss is masked_smooth_l1
    with pytest.raises(ValueError, match="loss"):
        KeypointRegressor(2, loss="l2")


def test_augmented_keypoint_batches_move_the_points_and_swap_pairs():
    images, points = landmarks.faces(8, 4)
    regressor = KeypointRegressor(5, small_backbone(), image_size=64, pairs=landmarks.FACE_PAIRS,
                                  augment=TargetAugmentation(flip=1.0, pairs=landmarks.FACE_PAIRS))
    batch_images, targets = regressor._encode(torch.from_numpy(images).float(), torch.from_numpy(points),
                                              regressor.augment, torch.Generator().manual_seed(0))
    expected = points[:, [1, 0, 2, 4, 3]] * [-1, 1] + [64, 0]
    np.testing.assert_allclose(targets[..., :2].numpy() * 64, expected, atol=1e-4)
    np.testing.assert_allclose(batch_images.numpy(), np.flip(images, -1).astype(np.float32), atol=1e-3)
    history = regressor.fit(images, points, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_steering_angles_are_learned_and_a_flip_negates_them():
    set_random_seed(0)
    regressor = SteeringRegressor()
    assert [layer.filters for layer in regressor.model.layers if isinstance(layer, Conv2D)] == [24, 36, 48, 64, 64]
    images, angles = landmarks.roads(400, 0)
    flipped, negated = SteeringRegressor._encode(torch.from_numpy(images[:4]).float(), torch.from_numpy(angles[:4,
                                                 None]), TargetAugmentation(flip=1.0), torch.Generator())
    assert torch.equal(negated[:, 0], -torch.from_numpy(angles[:4]))
    assert torch.equal(flipped, torch.from_numpy(images[:4]).float().flip(-1))
    regressor.fit(images, angles, epochs=12, verbose=0)
    assert regressor.evaluate(*landmarks.roads(100, 1))["mae"] < 6.0  # degrees, of angles in +-25


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"points must be \(3, 5, 2\), one \(x, y\) per keypoint"):
        KeypointRegressor(5, small_backbone(), image_size=64).fit(landmarks.faces(3)[0], np.zeros((3, 4, 2)))
    with pytest.raises(ValueError, match="KeypointRegressor.predict: there is no trained model yet"):
        KeypointRegressor(5, small_backbone(), image_size=64).predict(landmarks.faces(1)[0])
    assert pilotnet().output.shape == (None, 1)
