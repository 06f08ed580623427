"""Augmentation that moves keypoints and boxes with the pixels: a target drawn into the image before the transform
is where the transformed target says after it (within half a pixel for points), for flips with pairs, rotations,
scales, shifts and crops; points leaving the image are masked; boxes are clipped or dropped."""
import math

import numpy as np
import pytest
import torch

from lamina.vision.target_augment import (TargetAugmentation, affine_matrices, apply_transforms, normalized,
                                          to_pixels)

WIDTH, HEIGHT = 96, 64


def blob_image(points, sigma=1.5):
    """(1, 1, H, W) float image with a Gaussian blob at each (x, y) point (continuous pixel coordinates)."""
    columns, rows = np.meshgrid(np.arange(WIDTH) + 0.5, np.arange(HEIGHT) + 0.5)
    image = sum(np.exp(-((columns - x) ** 2 + (rows - y) ** 2) / (2 * sigma ** 2)) for x, y in points)
    return torch.from_numpy(image)[None, None].float() * 255


def centroid(image, around, radius=6):
    """The intensity-weighted centre of the blob near `around` in a (H, W) image."""
    columns, rows = np.meshgrid(np.arange(WIDTH) + 0.5, np.arange(HEIGHT) + 0.5)
    near = (np.abs(columns - around[0]) < radius) & (np.abs(rows - around[1]) < radius)
    weights = image * near
    return np.array([(weights * columns).sum(), (weights * rows).sum()]) / weights.sum()


def transform(flip, degrees, zoom, shift=(0.0, 0.0)):
    return affine_matrices(WIDTH, HEIGHT, torch.tensor([flip]), torch.tensor([math.radians(degrees)],
                                                                          dtype=torch.float64),
                           torch.tensor([zoom], dtype=torch.float64), torch.tensor([shift], dtype=torch.float64)), \
        torch.tensor([flip])


@pytest.mark.parametrize("flip, degrees, zoom, shift", [(True, 0, 1.0, (0, 0)), (False, 17, 1.0, (0, 0)),
                                                         (False, 0, 1.3, (5.5, -3.0)), (True, -25, 0.8, (-4, 6)),
                                                         (False, 40, 1.6, (2, 2))])
def test_points_drawn_in_the_image_move_with_the_pixels(flip, degrees, zoom, shift):
    points = torch.tensor([[[30.3, 20.7], [60.0, 40.2], [48.5, 33.0]]])
    result = apply_transforms(blob_image(points[0].tolist()), transform(flip, degrees, zoom, shift), points)
    for moved in result.points[0].numpy():
        assert np.all(np.isfinite(moved))
        found = centroid(result.images[0, 0].numpy(), moved)
        assert np.abs(found - moved).max() < 0.5, (found, moved)


def test_a_horizontal_flip_swaps_the_paired_points_and_maps_x_to_width_minus_x():
    points = torch.tensor([[[20.0, 30.0], [70.0, 31.0], [45.0, 50.0]]])  # left eye, right eye, mouth
    result = apply_transforms(blob_image(points[0].tolist()), transform(True, 0, 1.0), points, pairs=[(0, 1)])
    np.testing.assert_allclose(result.points[0].numpy(), [[WIDTH - 70.0, 31.0], [WIDTH - 20.0, 30.0],
                                                          [WIDTH - 45.0, 50.0]], atol=1e-5)
    flipped = blob_image(points[0].tolist())[0, 0].flip(-1)
    np.testing.assert_allclose(result.images[0, 0].numpy(), flipped.numpy(), atol=1e-3)


def test_points_leaving_the_image_are_masked():
    points = torch.tensor([[[5.0, 5.0], [48.0, 32.0]]])
    result = apply_transforms(blob_image(points[0].tolist()), transform(False, 0, 2.0), points)
    assert torch.isnan(result.points[0, 0]).all() and torch.isfinite(result.points[0, 1]).all()
    np.testing.assert_allclose(result.points[0, 1].numpy(), [48.0, 32.0], atol=1e-5)  # the centre stays


@pytest.mark.parametrize("flip, degrees, zoom, shift", [(True, 0, 1.0, (3, 0)), (False, 30, 1.0, (0, 0)),
                                                         (False, 0, 1.5, (0, 0)), (True, -20, 1.2, (-6, 4))])
def test_boxes_drawn_in_the_image_move_with_the_pixels(flip, degrees, zoom, shift):
    box = [30.0, 20.0, 62.0, 44.0]
    image = torch.zeros(1, 1, HEIGHT, WIDTH)
    image[0, 0, 20:44, 30:62] = 255
    result = apply_transforms(image, transform(flip, degrees, zoom, shift), boxes=[torch.tensor([box])])
    moved = result.boxes[0][0].numpy()
    rows, columns = np.nonzero(result.images[0, 0].numpy() > 127.5)
    drawn = [columns.min(), rows.min(), columns.max() + 1, rows.max() + 1]
    assert np.abs(np.array(drawn) - moved).max() <= 1.0, (drawn, moved)


def test_boxes_are_clipped_to_the_image_and_dropped_when_mostly_outside():
    boxes = [torch.tensor([[2.0, 2.0, 20.0, 20.0], [40.0, 24.0, 56.0, 40.0], [0.0, 0.0, 40.0, 10.0]])]
    result = apply_transforms(torch.zeros(1, 3, HEIGHT, WIDTH), transform(False, 0, 1.0, (-10.0, 0)), boxes=boxes)
    assert result.kept_boxes[0].tolist() == [0, 1, 2]
    np.testing.assert_allclose(result.boxes[0].numpy(), [[0, 2, 10, 20], [30, 24, 46, 40], [0, 0, 30, 10]])
    result = apply_transforms(torch.zeros(1, 3, HEIGHT, WIDTH), transform(False, 0, 1.0, (-16.0, 0)), boxes=boxes)
    assert result.kept_boxes[0].tolist() == [1, 2]  # the first has 4 of its 18 columns left, under a quarter


def test_random_augmentation_keeps_targets_consistent_and_is_seeded():
    points = torch.tensor([[[40.0, 30.0], [60.0, 36.0]]]).repeat(6, 1, 1)
    images = blob_image(points[0].tolist()).repeat(6, 1, 1, 1)
    augment = TargetAugmentation(flip=0.5, pairs=[(0, 1)], rotation=20, scale=(0.8, 1.2), shift=0.05, crop=0.8)
    result = augment(images, points=points, generator=torch.Generator().manual_seed(0))
    again = augment(images, points=points, generator=torch.Generator().manual_seed(0))
    assert torch.equal(result.images, again.images)
    for image, moved in zip(result.images[:, 0].numpy(), result.points.numpy()):
        for point in moved[np.isfinite(moved).all(axis=1)]:
            assert np.abs(centroid(image, point) - point).max() < 0.5
    small = torch.tensor([[[2.0, 3.0], [5.5, 6.0]]]).repeat(4, 1, 1)
    pixels = torch.rand(4, 3, 8, 8) * 255
    colour = TargetAugmentation(flip=0, brightness=0.3, contrast=0.3, saturation=0.3)(
        pixels, points=small, generator=torch.Generator().manual_seed(1))
    assert torch.equal(colour.points, small) and colour.images.max() <= 255 and colour.images.min() >= 0
    assert not torch.allclose(colour.images, pixels)


def test_normalized_coordinates_round_trip_and_errors():
    points = np.array([[48.0, 16.0]])
    np.testing.assert_array_equal(normalized(points, WIDTH, HEIGHT), [[0.5, 0.25]])
    np.testing.assert_array_equal(to_pixels(normalized(points, WIDTH, HEIGHT), WIDTH, HEIGHT), points)
    with pytest.raises(ValueError, match=r"scale=\(smallest, largest\) with 0 < smallest <= largest"):
        TargetAugmentation(scale=(1.2, 0.9))
    with pytest.raises(ValueError, match="images must be a float tensor"):
        TargetAugmentation()(torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
