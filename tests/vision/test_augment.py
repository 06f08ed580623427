"""lamina.vision.augment against torchvision: colour adjustments, resized crops, rotations, flips; seeding.

Geometry is compared where both sample inside the crop box: torchvision crops first and so clamps at the box's
edge, lamina resamples once from the whole image and reads the pixels just outside the box.
"""
import math

import pytest
import torch
from torchvision.transforms.v2 import functional as tvf

from lamina.vision.augment import Augmentation, geometry

SIZE = 12


def images(batch=3, seed=0):
    return torch.rand(batch, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed)) * 255


def identity(batch, **changes):
    parameters = {"top": torch.zeros(batch, dtype=torch.float64), "left": torch.zeros(batch, dtype=torch.float64),
                  "height": torch.full((batch,), float(SIZE), dtype=torch.float64),
                  "width": torch.full((batch,), float(SIZE), dtype=torch.float64),
                  "flip": torch.zeros(batch, dtype=torch.bool), "angle": torch.zeros(batch, dtype=torch.float64)}
    return {**parameters, **{key: torch.as_tensor(value) for key, value in changes.items()}}


def test_colour_jitter_equals_torchvisions_adjustments():
    augment = Augmentation(flip=0, crop_scale=None, rotation=0)
    batch = images()
    parameters = augment.draw(3, (SIZE, SIZE), torch.Generator().manual_seed(4))
    for name in ("brightness", "contrast", "saturation"):
        assert ((parameters[name] >= 0.8) & (parameters[name] <= 1.2)).all()
    result = augment.apply(batch, parameters)
    for sample, factors in enumerate(zip(parameters["brightness"], parameters["contrast"], parameters["saturation"])):
        expected = batch[sample] / 255
        for adjust, factor in zip((tvf.adjust_brightness, tvf.adjust_contrast, tvf.adjust_saturation), factors):
            expected = adjust(expected, float(factor))
        torch.testing.assert_close(result[sample], expected * 255, atol=1e-3, rtol=0)


def test_crop_boxes_resample_as_torchvisions_resized_crop():
    batch = images(2)
    boxes = {"top": [1.0, 3.0], "left": [2.0, 0.0], "height": [6.0, 8.0], "width": [9.0, 4.0]}
    result = geometry(batch, identity(2, **{key: torch.tensor(value, dtype=torch.float64)
                                            for key, value in boxes.items()}))
    for sample in range(2):
        top, left, height, width = (int(boxes[key][sample]) for key in ("top", "left", "height", "width"))
        expected = tvf.resized_crop(batch[sample], top, left, height, width, [SIZE, SIZE], antialias=False)
        rows, columns = _inside(height), _inside(width)
        torch.testing.assert_close(result[sample][:, rows][:, :, columns], expected[:, rows][:, :, columns],
                                   atol=1e-3, rtol=0)


def _inside(box):
    """The output indices whose sampling point lies between the centres of the box's first and last pixels."""
    scale = box / SIZE
    return slice(math.ceil(0.5 / scale - 0.5), math.floor((box - 0.5) / scale - 0.5) + 1)


def test_rotation_flip_and_identity():
    batch = images(2)
    quarter = geometry(batch, identity(2, angle=torch.tensor([90.0, -90.0], dtype=torch.float64)))
    torch.testing.assert_close(quarter[0], torch.rot90(batch[0], 1, (1, 2)), atol=1e-3, rtol=0)
    torch.testing.assert_close(quarter[1], torch.rot90(batch[1], -1, (1, 2)), atol=1e-3, rtol=0)
    torch.testing.assert_close(quarter[0], tvf.rotate(batch[0], 90.0), atol=1e-3, rtol=0)  # counter-clockwise
    small = geometry(batch, identity(2, angle=torch.tensor([7.0, 0.0], dtype=torch.float64)))
    inner = slice(3, SIZE - 3)  # away from the corners, where torchvision fills with zeros
    torch.testing.assert_close(small[0][:, inner, inner], tvf.rotate(batch[0], 7.0, tvf.InterpolationMode.BILINEAR)[
        :, inner, inner], atol=1e-3, rtol=0)
    assert torch.equal(small[1], batch[1])
    assert geometry(batch, identity(2)) is batch  # nothing to resample
    flipped = geometry(batch, identity(2, flip=torch.tensor([True, False])))
    assert torch.equal(flipped[0], batch[0].flip(2)) and torch.equal(flipped[1], batch[1])


def test_drawn_parameters_follow_the_arguments():
    augment = Augmentation(flip=0.3, crop_scale=(0.1, 0.2), crop_ratio=(0.5, 2.0), rotation=15)
    parameters = augment.draw(4000, (30, 40), torch.Generator().manual_seed(0))
    area = parameters["height"] * parameters["width"] / (30 * 40)
    assert area.min() >= 0.1 - 1e-9 and area.max() <= 0.2 + 1e-9 and area.max() > 0.199
    ratio = parameters["width"] / parameters["height"]
    assert ratio.min() >= 0.5 - 1e-9 and ratio.max() <= 2.0 + 1e-9
    assert abs(torch.log(ratio).mean().item()) < 0.03  # log-uniform: symmetric about 1
    assert parameters["angle"].abs().max() <= 15 and parameters["angle"].abs().max() > 14.9
    assert abs(parameters["flip"].double().mean().item() - 0.3) < 4 * math.sqrt(0.3 * 0.7 / 4000)
    for name in ("brightness", "contrast", "saturation"):
        assert 0.8 <= parameters[name].min() < 0.801 and 1.199 < parameters[name].max() <= 1.2
    strong = Augmentation(brightness=1.5).draw(4000, (30, 40), torch.Generator().manual_seed(2))["brightness"]
    assert 0 <= strong.min() < 0.01 and 2.49 < strong.max() <= 2.5  # [max(0, 1 - 1.5), 1 + 1.5]
    large = Augmentation(crop_scale=(0.9, 1.0)).draw(4000, (30, 40), torch.Generator().manual_seed(1))
    for start, length, side in (("top", "height", 30), ("left", "width", 40)):  # clipped to the image
        assert (large[start] >= 0).all() and (large[start] + large[length] <= side + 1e-9).all()
    assert (large["height"] == 30).any()  # tall boxes of 90% of the area do not fit in 30 rows


def test_seeded_per_sample_and_uint8_in():
    augment = Augmentation()
    batch = images(4)
    first = augment(batch, torch.Generator().manual_seed(5))
    assert torch.equal(augment(batch, torch.Generator().manual_seed(5)), first)
    assert not torch.equal(augment(batch, torch.Generator().manual_seed(6)), first)
    same = augment(batch[:1].expand(4, -1, -1, -1), torch.Generator().manual_seed(5))
    assert len({bytes(sample.numpy()) for sample in same}) == 4  # one draw per sample
    assert first.min() >= 0 and first.max() <= 255
    from_uint8 = augment(batch.round().to(torch.uint8), torch.Generator().manual_seed(5))
    assert from_uint8.dtype == torch.float32
    torch.testing.assert_close(from_uint8, augment(batch.round(), torch.Generator().manual_seed(5)))
    assert torch.equal(Augmentation(flip=0, crop_scale=None, rotation=0, brightness=0, contrast=0, saturation=0)(
        batch), batch)


@pytest.mark.parametrize("arguments, message", [
    ({"flip": 1.5}, r"`flip` is a probability in \[0, 1\], received 1.5"),
    ({"crop_scale": (0.5, 0.2)}, r"`crop_scale` must be \(min, max\) with 0 < min <= max <= 1, or None"),
    ({"crop_ratio": (0, 1)}, r"`crop_ratio` must be \(min, max\) with 0 < min <= max"),
    ({"rotation": -1}, r"`rotation` must be 0 or more, received -1"),
    ({"contrast": -0.1}, r"`contrast` must be 0 or more"),
])
def test_invalid_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        Augmentation(**arguments)

