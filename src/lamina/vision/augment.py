"""Random changes to a training batch, drawn per sample from a seeded torch.Generator, applied to the whole batch.

Geometry (random resized crop, horizontal flip, rotation) is one affine resampling per batch through
`lamina.preprocessing.image_transforms.affine_transform` (bilinear, edges mirrored); colour (brightness, contrast,
saturation) follows torchvision's `adjust_brightness`, `adjust_contrast` and `adjust_saturation`, in that fixed
order. The crop is taken from the decoded (resized and center-cropped) image, not from the original file.
"""
import math
from dataclasses import dataclass

import torch

from lamina.preprocessing.image_transforms import affine_transform

GRAY_WEIGHTS = (0.2989, 0.587, 0.114)  # torchvision's rgb_to_grayscale
COLUMNS = ("area", "log_ratio", "top", "left", "flip", "angle", "brightness", "contrast", "saturation")


@dataclass(frozen=True)
class Augmentation:
    """Random per-sample flips, crops, rotations and colour changes of a batch, for training.

    Args:
        flip: probability of mirroring a sample left to right.
        crop_scale: (min, max) fraction of the image's area that the random crop covers (then resized back to
            the image's size), or None for no crop. fastai's default minimum is 0.35, torchvision's 0.08.
        crop_ratio: (min, max) aspect ratio (width / height) of the crop, drawn log-uniformly. A crop that would
            be wider or taller than the image is clipped to it (torchvision retries instead).
        rotation: the largest rotation in degrees (uniform in [-rotation, rotation], counter-clockwise positive);
            corners outside the image are filled by mirroring its edges.
        brightness, contrast, saturation: a factor uniform in [max(0, 1 - value), 1 + value] for each, as
            torchvision's ColorJitter; 0 leaves it unchanged.

    Call it on float images (batch, 3, height, width) with values in 0-255 (uint8 is converted to float32) and an
    optional torch.Generator: it returns the changed batch, same shape, values in 0-255.

    Example:
        >>> augment = Augmentation(rotation=0)
        >>> batch = augment(images.float(), torch.Generator().manual_seed(0))
    """

    flip: float = 0.5
    crop_scale: tuple = (0.35, 1.0)
    crop_ratio: tuple = (3 / 4, 4 / 3)
    rotation: float = 10.0
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2

    def __post_init__(self):
        if not 0 <= self.flip <= 1:
            raise ValueError(f"Augmentation: `flip` is a probability in [0, 1], received {self.flip!r}.")
        if self.crop_scale is not None and not 0 < self.crop_scale[0] <= self.crop_scale[1] <= 1:
            raise ValueError(f"Augmentation: `crop_scale` must be (min, max) with 0 < min <= max <= 1, or None for "
                             f"no crop; received {self.crop_scale!r}.")
        if not 0 < self.crop_ratio[0] <= self.crop_ratio[1]:
            raise ValueError(f"Augmentation: `crop_ratio` must be (min, max) with 0 < min <= max, received "
                             f"{self.crop_ratio!r}.")
        for name in ("rotation", "brightness", "contrast", "saturation"):
            if getattr(self, name) < 0:
                raise ValueError(f"Augmentation: `{name}` must be 0 or more, received {getattr(self, name)!r}.")

    def __call__(self, images, generator=None):
        images = images if images.is_floating_point() else images.float()
        return self.apply(images, self.draw(len(images), images.shape[-2:], generator))

    def draw(self, batch, size, generator=None):
        """The random parameters of `batch` samples of `size` (height, width): a dict of float64 tensors.

        Keys: 'top', 'left', 'height', 'width' (the crop box in pixels), 'flip' (bool), 'angle' (degrees),
        'brightness', 'contrast', 'saturation' (factors).
        """
        uniform = dict(zip(COLUMNS, torch.rand(batch, len(COLUMNS), generator=generator, dtype=torch.float64).T))
        height, width = float(size[0]), float(size[1])
        box_height = torch.full((batch,), height, dtype=torch.float64)
        box_width = torch.full((batch,), width, dtype=torch.float64)
        if self.crop_scale is not None:
            area = height * width * _between(uniform["area"], *self.crop_scale)
            ratio = torch.exp(_between(uniform["log_ratio"], math.log(self.crop_ratio[0]),
                                       math.log(self.crop_ratio[1])))
            box_height = torch.sqrt(area / ratio).clamp(max=height)
            box_width = torch.sqrt(area * ratio).clamp(max=width)
        parameters = {"top": uniform["top"] * (height - box_height), "left": uniform["left"] * (width - box_width),
                      "height": box_height, "width": box_width, "flip": uniform["flip"] < self.flip,
                      "angle": _between(uniform["angle"], -self.rotation, self.rotation)}
        for name in ("brightness", "contrast", "saturation"):
            jitter = getattr(self, name)
            parameters[name] = _between(uniform[name], max(0.0, 1 - jitter), 1 + jitter)
        return parameters

    def apply(self, images, parameters):
        """`images` (float, batch, 3, height, width, 0-255) changed by the parameters from `draw`."""
        used = {name: parameters[name] for name in ("brightness", "contrast", "saturation") if getattr(self, name)}
        return adjust_colours(geometry(images, parameters), used)


def _between(uniform, low, high):
    return low + uniform * (high - low)


def geometry(images, parameters):
    """Crops each sample to its box (resized back to the image's size), mirrors it, rotates it: one resampling.

    A box is (top, left, height, width) in pixels; the box's pixels map to the output as torchvision's
    resized_crop maps them (bilinear, align_corners=False). Samples with the identity are left untouched.
    """
    height, width = images.shape[-2:]
    angle = torch.deg2rad(parameters["angle"])
    row_scale = parameters["height"] / height
    column_scale = parameters["width"] / width * torch.where(parameters["flip"], -1.0, 1.0).double()
    cos, sin = torch.cos(angle), torch.sin(angle)
    # input (row, col) = matrix @ (output - output centre) + box centre, in pixels
    linear = torch.stack([torch.stack([cos * row_scale, sin * column_scale], -1),
                          torch.stack([-sin * row_scale, cos * column_scale], -1)], -2)
    output_center = torch.tensor([height / 2 - 0.5, width / 2 - 0.5], dtype=torch.float64)
    box_center = torch.stack([parameters["top"] + parameters["height"] / 2 - 0.5,
                              parameters["left"] + parameters["width"] / 2 - 0.5], -1)
    offset = box_center - linear @ output_center
    matrices = torch.cat([linear, offset.unsqueeze(-1)], -1)
    identity = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    return affine_transform(images, [None if torch.equal(matrix, identity) else matrix.numpy()
                                     for matrix in matrices], fill_mode="reflect")


def adjust_colours(images, factors, value_range=255.0):
    """torchvision's adjust_brightness, adjust_contrast and adjust_saturation, in that order, with one factor per
    sample for each name in `factors` ('brightness', 'contrast', 'saturation'), clipped to [0, value_range]."""
    for name, adjust in (("brightness", _brightness), ("contrast", _contrast), ("saturation", _saturation)):
        if name in factors:
            images = adjust(images, factors[name].to(images.device, images.dtype).view(-1, 1, 1, 1))
            images = images.clamp_(0, value_range)
    return images


def _gray(images):
    red, green, blue = images.unbind(1)
    return (red * GRAY_WEIGHTS[0] + green * GRAY_WEIGHTS[1] + blue * GRAY_WEIGHTS[2]).unsqueeze(1)


def _brightness(images, factors):
    return images * factors


def _contrast(images, factors):
    return factors * images + (1 - factors) * _gray(images).mean(dim=(1, 2, 3), keepdim=True)


def _saturation(images, factors):
    return factors * images + (1 - factors) * _gray(images)
