"""ImageNet input preprocessing and class names for the application models.

`preprocess_input` with `mode=None` does what torchvision's weights were evaluated with (resize the shorter side,
center-crop, scale to [0, 1], normalise with ImageNet's mean and std); Keras's modes 'caffe', 'tf' and 'torch' do
Keras's arithmetic only. Images are uint8 or floats in 0-255 (as Keras's `img_to_array` gives), one image or a
batch, in `data_format` (default: `lamina.config.image_data_format()`); numpy in gives numpy out.
The class ids and names ship with lamina (`imagenet_classes.tsv`): nothing is downloaded.
"""
import os
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from lamina.config import normalize_data_format

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR
MODES = (None, "caffe", "tf", "torch")
STANDARD = {"resize": 256, "crop": 224, "interpolation": "bilinear"}  # most torchvision ImageNet weights


def preprocess_input(x, data_format=None, mode=None, transform=None):
    """Prepares images for a model with torchvision's ImageNet weights (mode=None) or in a Keras mode.

    Args:
        x: uint8 or float (0-255) images, (H, W, C)/(C, H, W) or batched, numpy array or torch tensor.
        data_format: 'channels_first' or 'channels_last' (default: lamina's image data format).
        mode: None for torchvision's transform (resize, center crop, /255, mean/std); 'torch' for /255 and
            mean/std; 'tf' for scaling to [-1, 1]; 'caffe' for RGB->BGR and ImageNet's BGR mean subtracted.
        transform: {'resize', 'crop', 'interpolation'} of the model (default: 256, 224, 'bilinear').

    Returns:
        float32 images in `data_format`, numpy if `x` was numpy.
    """
    if mode not in MODES:
        raise ValueError(f"preprocess_input: `mode` must be None (torchvision's transform), 'caffe', 'tf' or "
                         f"'torch', received {mode!r}.")
    data_format = normalize_data_format(data_format)
    was_numpy = not isinstance(x, torch.Tensor)
    images = torch.as_tensor(np.asarray(x) if was_numpy else x)
    given_shape = tuple(images.shape)
    single = images.dim() == 3
    if images.dim() not in (3, 4):
        raise ValueError(f"preprocess_input: expected an image (3 dimensions) or a batch (4), received shape "
                         f"{given_shape}.")
    if single:
        images = images.unsqueeze(0)
    if data_format == "channels_last":
        images = images.permute(0, 3, 1, 2)
    if images.shape[1] != 3:
        raise ValueError(f"preprocess_input: expected 3 colour channels in {data_format} images, received shape "
                         f"{given_shape}.")
    is_uint8 = images.dtype == torch.uint8
    images = images.float()
    if mode is None:
        images = _resize_and_crop(images, {**STANDARD, **(transform or {})}, is_uint8)
    images = _normalize(images, mode or "torch")
    if data_format == "channels_last":
        images = images.permute(0, 2, 3, 1)
    images = images.contiguous()
    if single:
        images = images[0]
    return images.numpy() if was_numpy else images


def transform_of(model, transforms):
    """The transform of `model` (a model's name) in a family's {name: transform}, or the error naming them."""
    if model not in transforms:
        raise ValueError(f"preprocess_input: `model` must be one of {sorted(transforms)}, received {model!r}.")
    return transforms[model]


def _resize_and_crop(images, transform, round_to_uint8):
    """torchvision's Resize(shorter side, antialias) then CenterCrop, on (N, 3, H, W) float images in 0-255."""
    height, width = images.shape[-2:]
    short, long = (height, width) if height <= width else (width, height)
    size = transform["resize"]
    new_short, new_long = size, int(size * long / short)
    new_size = (new_short, new_long) if height <= width else (new_long, new_short)
    if new_size != (height, width):
        images = F.interpolate(images, size=new_size, mode=transform["interpolation"], align_corners=False,
                               antialias=True)
        if round_to_uint8:  # torchvision resizes a uint8 tensor to uint8
            images = images.round_().clamp_(0, 255)
    crop = transform["crop"]
    height, width = images.shape[-2:]
    if height < crop or width < crop:
        raise ValueError(f"preprocess_input: the resized image ({height}x{width}) is smaller than the crop {crop}.")
    top, left = int(round((height - crop) / 2.0)), int(round((width - crop) / 2.0))
    return images[..., top:top + crop, left:left + crop]


def _normalize(images, mode):
    if mode == "tf":
        return images / 127.5 - 1.0
    def constant(values):
        return torch.tensor(values, device=images.device).view(1, 3, 1, 1)

    if mode == "caffe":
        return images.flip(1) - constant(CAFFE_MEAN)
    return (images / 255.0 - constant(MEAN)) / constant(STD)


@lru_cache(maxsize=1)
def imagenet_classes():
    """[(WordNet id, name)] of the 1000 ImageNet classes, in the models' output order."""
    path = os.path.join(os.path.dirname(__file__), "imagenet_classes.tsv")
    with open(path, encoding="utf8") as handle:
        return [tuple(line.rstrip("\n").split("\t")) for line in handle if not line.startswith("#")]


def decode_predictions(preds, top=5):
    """The `top` classes of each prediction: [[(wnid, name, score), ...], ...], best first (as Keras).

    Names are Keras's style: torchvision's class names with spaces as underscores ('great_white_shark').
    """
    scores = preds.detach().cpu().numpy() if isinstance(preds, torch.Tensor) else np.asarray(preds)
    if scores.ndim != 2 or scores.shape[1] != 1000:
        raise ValueError(f"decode_predictions expects a batch of predictions (i.e. a 2D array of shape (samples, "
                         f"1000)). Received array with shape: {scores.shape}")
    classes = imagenet_classes()
    results = []
    for row in scores:
        best = np.argsort(-row, kind="stable")[:top]
        results.append([(classes[i][0], classes[i][1].replace(" ", "_"), float(row[i])) for i in best])
    return results
