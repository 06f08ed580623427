"""Reading and writing images with Pillow: load_img, img_to_array, array_to_img, save_img, and folder listing.

Layouts follow `lamina.config.image_data_format()` unless `data_format` is given (lamina's default is
'channels_first', Keras's 'channels_last').
"""
import io
import os
import pathlib
import warnings

import numpy as np
import torch

from lamina import config
from lamina.identifiers import check_choice

COLOR_MODES = ("rgb", "rgba", "grayscale")
CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")


def _pil():
    from PIL import Image

    return Image


def interpolation_methods():
    """Pillow resampling filters by Keras's names: nearest, bilinear, bicubic, hamming, box, lanczos."""
    resampling = _pil().Resampling
    return {"nearest": resampling.NEAREST, "bilinear": resampling.BILINEAR, "bicubic": resampling.BICUBIC,
            "hamming": resampling.HAMMING, "box": resampling.BOX, "lanczos": resampling.LANCZOS}


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False,
             grayscale=False):
    """Loads an image file as a Pillow image, converted to `color_mode` and optionally resized.

    Args:
        path: a file path (str or pathlib.Path) or an io.BytesIO.
        color_mode: 'rgb', 'rgba' or 'grayscale'. Keras 1's `grayscale=True` means 'grayscale'.
        target_size: (height, width) to resize to, or None to keep the file's size.
        interpolation: Pillow filter for resizing: 'nearest' (Keras's default), 'bilinear', 'bicubic',
            'hamming', 'box' or 'lanczos'.
        keep_aspect_ratio: crop the centre of the image to the target aspect ratio before resizing.

    Example:
        >>> image = load_img("cat.png", target_size=(100, 100))
        >>> img_to_array(image).shape      # channels_first by default
        (3, 100, 100)
    """
    if grayscale:
        color_mode = "grayscale"
    check_choice("color_mode", color_mode, COLOR_MODES, owner="load_img")
    Image = _pil()
    if isinstance(path, io.BytesIO):
        image = Image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as file:
            image = Image.open(io.BytesIO(file.read()))
    else:
        raise TypeError(f"load_img: `path` must be a file path or an io.BytesIO, received {type(path).__name__}.")
    if color_mode == "grayscale":
        if image.mode not in ("L", "I;16", "I"):
            image = image.convert("L")
    elif image.mode != color_mode.upper():
        image = image.convert(color_mode.upper())
    if target_size is None:
        return image
    width_height = (int(target_size[1]), int(target_size[0]))
    if image.size == width_height:
        return image
    resample = interpolation_methods().get(interpolation)
    if resample is None:
        check_choice("interpolation", interpolation, tuple(interpolation_methods()), owner="load_img")
    box = _center_crop_box(image.size, width_height) if keep_aspect_ratio else None
    return image.resize(width_height, resample, box=box)


def _center_crop_box(size, target):
    """The centred (left, top, right, bottom) box of `size` with the aspect ratio of `target` (width, height)."""
    width, height = size
    target_width, target_height = target
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return [left, top, left + crop_width, top + crop_height]


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image (or array) as a float array: (channels, height, width) or (height, width, channels).

    Args:
        img: a Pillow image or anything numpy can read.
        data_format: 'channels_first' or 'channels_last'; None uses lamina.config.image_data_format().
        dtype: the array's dtype, lamina.config.floatx() by default.
    """
    data_format = config.normalize_data_format(data_format)
    array = np.asarray(img, dtype=dtype or config.floatx())
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.ndim != 3:
        raise ValueError(f"img_to_array: expected an image of rank 2 or 3, received shape {array.shape}.")
    return array.transpose(2, 0, 1) if data_format == "channels_first" else array


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A rank-3 image array as a Pillow image (1, 3 or 4 channels).

    Args:
        x: array or tensor (channels, height, width) or (height, width, channels), per `data_format`.
        data_format: None uses lamina.config.image_data_format().
        scale: stretch values to [0, 255] first (as Keras does); otherwise values are cast to 8 bits as they are.
    """
    data_format = config.normalize_data_format(data_format)
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected one image of rank 3, received shape {x.shape}. For a batch, "
                         f"pass one image, e.g. x[0].")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    Image = _pil()
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: images have 1, 3 or 4 channels; received {channels} (shape {x.shape} read as "
                     f"{data_format}). Check `data_format`.")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes an image array to a file; the format comes from the file name unless `file_format` is given.

    Extra keyword arguments go to Pillow's Image.save (e.g. quality=90).
    """
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    image = array_to_img(x, data_format=data_format, scale=scale)
    if image.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: JPEG has no alpha channel; the image is saved as RGB.", UserWarning, stacklevel=2)
        image = image.convert("RGB")
    image.save(path, format=file_format, **kwargs)


def class_subdirectories(directory):
    """The sorted names of the subfolders of `directory` (one per class)."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"No such directory: {directory!r}. Pass the folder that holds one subfolder "
                                f"per class.")
    return [name for name in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, name))]


def image_files(directory, extensions=IMAGE_EXTENSIONS, follow_links=False):
    """Paths relative to `directory` of its image files, walking subfolders in sorted order (Keras's order)."""
    suffixes = tuple("." + extension.lstrip(".") for extension in extensions)
    found = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(suffixes):
                found.append(os.path.relpath(os.path.join(root, name), directory))
    return found
