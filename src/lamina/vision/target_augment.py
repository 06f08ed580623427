"""Augmentation that moves keypoints and boxes with the pixels: flips (swapping left/right pairs of points),
rotations, scales, shifts and crops as one affine warp per image, plus colour changes that leave targets alone.

Coordinates are continuous pixel coordinates: an image of width W and height H spans [0, W] x [0, H], and the
centre of pixel (column c, row r) is (c + 0.5, r + 0.5), as in torch's grid_sample with align_corners=False, so a
horizontal flip maps x to W - x. Each image's warp T (input coordinates -> output coordinates) is
T(p) = centre + s R(flip(p) - centre) + t; pixels are resampled at T^-1 (bilinear, zeros outside), points are
mapped by T (and marked missing, NaN, when they leave the image), boxes by T's four corners (their envelope),
clipped to the image and dropped when less than `min_box_visibility` of them remains.
"""
import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from lamina.vision.augment import adjust_colours


class AugmentedTargets(NamedTuple):
    """Augmented images (B, C, H, W), points (B, K, 2) with NaN for points outside (or None), boxes (a list of
    (M_i, 4) tensors, or None), and for each image the indices of its boxes that were kept (or None)."""

    images: torch.Tensor
    points: torch.Tensor
    boxes: list
    kept_boxes: list


class TargetAugmentation:
    """Random flips, rotations, scales, shifts, crops and colour changes of images with their points and boxes.

    Args:
        flip: probability of a horizontal flip.
        pairs: (left, right) point indices swapped by a horizontal flip (e.g. the eyes), so that 'left eye' stays
            the subject's left eye.
        rotation: the largest rotation, in degrees either way.
        scale: (smallest, largest) zoom factor; above 1 zooms in.
        shift: the largest translation, as a fraction of the width and height either way.
        crop: None, or the smallest side fraction f of a random crop resized back to the image (a zoom of 1 to
            1/f placed so the crop stays inside the image, on top of `scale`).
        brightness, contrast, saturation: colour jitter strengths (factors drawn in [1 - x, 1 + x]).
        value_range: the pixels' largest value (255 for 0-255 images, 1 for 0-1), to clip colour changes.
        min_box_visibility: a box is dropped when less than this fraction of its transformed area is inside.

    Example:
        >>> augment = TargetAugmentation(pairs=[(0, 1)], rotation=15, scale=(0.9, 1.1), shift=0.1)
        >>> result = augment(images, points=points, boxes=boxes)    # images (B, 3, H, W) float
    """

    def __init__(self, flip=0.5, pairs=(), rotation=0.0, scale=(1.0, 1.0), shift=0.0, crop=None, brightness=0.0,
                 contrast=0.0, saturation=0.0, value_range=255.0, min_box_visibility=0.25):
        if not 0 <= flip <= 1:
            raise ValueError(f"TargetAugmentation: flip is a probability in [0, 1], received {flip!r}.")
        if not 0 < scale[0] <= scale[1]:
            raise ValueError(f"TargetAugmentation: scale=(smallest, largest) with 0 < smallest <= largest, received "
                             f"{scale!r}.")
        if crop is not None and not 0 < crop <= 1:
            raise ValueError(f"TargetAugmentation: crop is the smallest side fraction in (0, 1], received {crop!r}.")
        self.flip, self.pairs, self.rotation = float(flip), [tuple(pair) for pair in pairs], float(rotation)
        self.scale, self.shift, self.crop = (float(scale[0]), float(scale[1])), float(shift), crop
        self.brightness, self.contrast, self.saturation = float(brightness), float(contrast), float(saturation)
        self.value_range, self.min_box_visibility = float(value_range), float(min_box_visibility)

    def __call__(self, images, points=None, boxes=None, generator=None):
        """Augments a batch: images (B, C, H, W) float, points (B, K, 2) pixels, boxes a list of (M_i, 4)."""
        if images.dim() != 4 or not images.is_floating_point():
            raise ValueError(f"TargetAugmentation: images must be a float tensor (batch, channels, height, width), "
                             f"received {tuple(images.shape)} of {images.dtype}.")
        transforms = self.random_transforms(len(images), images.shape[-1], images.shape[-2], generator)
        return apply_transforms(self.colour(images, generator), transforms, points, boxes, self.pairs,
                                self.min_box_visibility)

    def random_transforms(self, batch, width, height, generator=None):
        """(B, 3, 3) float64 matrices T mapping input pixel coordinates to output ones, and the flips (B,) bool."""
        draw = torch.rand(batch, 6, generator=generator, dtype=torch.float64)
        flips = draw[:, 0] < self.flip
        angles = (2 * draw[:, 1] - 1) * math.radians(self.rotation)
        zooms = self.scale[0] * (self.scale[1] / self.scale[0]) ** draw[:, 2]
        shifts = (2 * draw[:, 3:5] - 1) * self.shift * torch.tensor([width, height], dtype=torch.float64)
        if self.crop is not None:
            fractions = self.crop + (1 - self.crop) * draw[:, 5]
            zooms = zooms / fractions
            room = (1 - fractions)[:, None] * torch.tensor([width, height], dtype=torch.float64) / 2
            crop_draw = torch.rand(batch, 2, generator=generator, dtype=torch.float64)
            shifts = shifts + (2 * crop_draw - 1) * room / fractions[:, None]
        return affine_matrices(width, height, flips, angles, zooms, shifts), flips

    def colour(self, images, generator=None):
        """Brightness, contrast and saturation jitter of RGB images (B, 3, H, W), per image, as
        lamina.vision.augment's (torchvision's definitions); targets are unchanged."""
        jitter = {"brightness": self.brightness, "contrast": self.contrast, "saturation": self.saturation}
        draws = torch.rand(3, len(images), generator=generator, dtype=torch.float64)
        factors = {name: 1 + (2 * draw - 1) * strength for (name, strength), draw in zip(jitter.items(), draws)
                   if strength}
        return adjust_colours(images, factors, self.value_range) if factors else images


def affine_matrices(width, height, flips, angles, zooms, shifts):
    """(B, 3, 3) float64: p -> centre + zoom R(angle) (flip(p) - centre) + shift, in pixel coordinates.

    A positive angle turns the picture counter-clockwise as seen on screen (y grows downwards)."""
    batch = len(angles)
    centre = torch.tensor([width / 2, height / 2], dtype=torch.float64)
    flip = torch.eye(3, dtype=torch.float64).repeat(batch, 1, 1)
    flip[flips, 0, 0], flip[flips, 0, 2] = -1.0, float(width)
    cos, sin = torch.cos(angles) * zooms, torch.sin(angles) * zooms
    turn = torch.zeros(batch, 3, 3, dtype=torch.float64)
    turn[:, 0, 0], turn[:, 0, 1], turn[:, 1, 0], turn[:, 1, 1] = cos, sin, -sin, cos
    turn[:, 2, 2] = 1.0
    turn[:, :2, 2] = centre + shifts - (turn[:, :2, :2] @ centre)
    return turn @ flip


def apply_transforms(images, transforms, points=None, boxes=None, pairs=(), min_box_visibility=0.25):
    """Warps images by (matrices (B, 3, 3), flips (B,)) from random_transforms, and moves points and boxes."""
    matrices, flips = transforms
    batch, _, height, width = images.shape
    to_unit = torch.tensor([[2 / width, 0, -1], [0, 2 / height, -1], [0, 0, 1]], dtype=torch.float64)
    theta = to_unit @ torch.linalg.inv(matrices) @ torch.linalg.inv(to_unit)  # output unit coords -> input ones
    grid = F.affine_grid(theta[:, :2].to(images), list(images.shape), align_corners=False)
    warped = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    moved_points = None if points is None else _move_points(points, matrices, flips, pairs, width, height)
    moved_boxes = kept = None
    if boxes is not None:
        moved_boxes, kept = zip(*[_move_boxes(torch.as_tensor(image_boxes, dtype=torch.float64), matrix, width,
                                              height, min_box_visibility)
                                  for image_boxes, matrix in zip(boxes, matrices)])
        moved_boxes, kept = list(moved_boxes), list(kept)
    return AugmentedTargets(warped, moved_points, moved_boxes, kept)


def _move_points(points, matrices, flips, pairs, width, height):
    points = torch.as_tensor(points, dtype=torch.float64).clone()
    order = torch.arange(points.shape[1])
    for left, right in pairs:  # in a flipped image the subject's left point is on the right: swap their names
        order[left], order[right] = right, left
    points[flips] = points[flips][:, order]
    moved = points @ matrices[:, :2, :2].transpose(1, 2) + matrices[:, None, :2, 2]
    outside = (moved[..., 0] < 0) | (moved[..., 0] > width) | (moved[..., 1] < 0) | (moved[..., 1] > height)
    moved[outside] = float("nan")
    return moved.float()


def _move_boxes(boxes, matrix, width, height, min_visibility):
    """(boxes (M, 4) float32: the envelope of the moved corners clipped to the image, indices of the kept ones)."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4).float(), torch.zeros(0, dtype=torch.int64)
    corners = torch.stack([boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [0, 3]], boxes[:, [2, 3]]], dim=1)
    moved = corners @ matrix[:2, :2].T + matrix[:2, 2]
    envelope = torch.cat([moved.amin(dim=1), moved.amax(dim=1)], dim=1)
    clipped = torch.stack([envelope[:, 0].clamp(0, width), envelope[:, 1].clamp(0, height),
                           envelope[:, 2].clamp(0, width), envelope[:, 3].clamp(0, height)], dim=1)
    area = (envelope[:, 2] - envelope[:, 0]) * (envelope[:, 3] - envelope[:, 1])
    inside = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    kept = torch.nonzero(inside >= min_visibility * area.clamp_min(1e-12))[:, 0]
    return clipped[kept].float(), kept


def normalized(points, width, height):
    """Pixel coordinates (..., 2) as fractions of the image, in [0, 1] (the targets a model learns)."""
    return np.asarray(points, dtype=np.float32) / np.array([width, height], dtype=np.float32)


def to_pixels(fractions, width, height):
    """The inverse of normalized: fractions of the image (..., 2) as pixel coordinates."""
    return np.asarray(fractions, dtype=np.float32) * np.array([width, height], dtype=np.float32)
