"""Image files to batches of tensors: torchvision's evaluation transform, decoded by a pool of threads.

`ImageTransform` turns an image upright (its EXIF orientation), converts it to RGB, resizes its shorter side and
center-crops it: torchvision's `Resize(resize_size) + CenterCrop(image_size)` on a PIL image, through the same
Pillow calls, so the pixels are equal. `ImageBatches` decodes the files of the next batches in threads while the
current one is used: Pillow releases the GIL while it decodes and resizes, so threads run in parallel, without
the start-up and the pickling of a DataLoader's worker processes (measured in docs/vision.md).
"""
import concurrent.futures
import math
import numbers
import os
from collections import deque
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from lamina import config
from lamina.identifiers import check_choice
from lamina.layers.core import check_positive_int

RESAMPLING = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC,
              "lanczos": Image.Resampling.LANCZOS, "nearest": Image.Resampling.NEAREST}
PREFETCH = 2  # batches decoded ahead of the one being used


class UnreadableImageError(OSError):
    """A file that Pillow cannot decode, met while loading a batch."""


@dataclass(frozen=True)
class ImageTransform:
    """Resize the shorter side to `resize_size`, then center-crop `image_size`: torchvision's evaluation transform.

    Args:
        image_size: the crop, the backbone's input: an int (square) or (height, width).
        resize_size: the shorter side after resizing; None resizes it to the crop's larger side (no margin).
            Pretrained weights were evaluated with a margin, e.g. MobileNetV2's 232 for a 224 crop.
        interpolation: 'bilinear', 'bicubic', 'lanczos' or 'nearest' (Pillow's antialiased filters).
        jpeg_draft: decode a JPEG whose sides are at least 4x `resize_size` at 1/2, 1/4 or 1/8 scale (libjpeg's
            DCT scaling, keeping at least twice `resize_size`), then resize as usual: about 4x faster on camera
            photos; pixels then differ from a full decode by a few grey levels. False decodes them fully, as
            torchvision does.

    Example:
        >>> transform = ImageTransform(224, resize_size=232)
        >>> transform.load("cat.jpg").shape        # uint8, channels first
        torch.Size([3, 224, 224])
    """

    image_size: tuple = (224, 224)
    resize_size: int = None
    interpolation: str = "bilinear"
    jpeg_draft: bool = True

    def __post_init__(self):
        size = (self.image_size,) * 2 if isinstance(self.image_size, numbers.Integral) else tuple(self.image_size)
        if len(size) != 2:
            raise ValueError(f"ImageTransform: `image_size` must be an int or (height, width), received "
                             f"{self.image_size!r}.")
        size = tuple(check_positive_int("ImageTransform", "image_size", side) for side in size)
        resize = max(size) if self.resize_size is None else check_positive_int(
            "ImageTransform", "resize_size", self.resize_size)
        if resize < max(size):
            raise ValueError(f"ImageTransform: `resize_size` ({resize}) is smaller than the crop {size}; the "
                             f"shorter side must be resized to at least {max(size)} (or pass resize_size=None).")
        check_choice("interpolation", self.interpolation, tuple(RESAMPLING), owner="ImageTransform")
        object.__setattr__(self, "image_size", size)
        object.__setattr__(self, "resize_size", resize)

    def __call__(self, image):
        """A PIL image as a uint8 tensor (3, height, width)."""
        return torch.from_numpy(self.pixels(image)).permute(2, 0, 1)

    def pixels(self, image):
        """A PIL image resized and cropped, as a uint8 array (height, width, 3)."""
        image = _rgb(image)
        width, height = image.size
        short, long = sorted((width, height))
        new_long = int(self.resize_size * long / short)
        new_size = (self.resize_size, new_long) if width <= height else (new_long, self.resize_size)
        if new_size != image.size:
            image = image.resize(new_size, RESAMPLING[self.interpolation])
        crop_height, crop_width = self.image_size
        top = int(round((image.size[1] - crop_height) / 2.0))
        left = int(round((image.size[0] - crop_width) / 2.0))
        return np.array(image.crop((left, top, left + crop_width, top + crop_height)))

    def load(self, path):
        """An image file as a uint8 tensor (3, height, width)."""
        return torch.from_numpy(self.load_pixels(path)).permute(2, 0, 1)

    def load_pixels(self, path):
        """An image file as a uint8 array (height, width, 3); UnreadableImageError when Pillow cannot decode it."""
        try:
            with Image.open(path) as image:
                if self.jpeg_draft and image.format == "JPEG":
                    image.draft("RGB", (2 * self.resize_size, 2 * self.resize_size))
                return self.pixels(ImageOps.exif_transpose(image))
        except (OSError, SyntaxError, ValueError) as error:  # what Pillow raises for broken files
            raise UnreadableImageError(f"Cannot read the image file {os.fspath(path)!r}: {_reason(error)}. Remove "
                                       f"or replace it.") from error

    def get_config(self):
        """The transform as JSON-able values; ImageTransform(**config) rebuilds it."""
        return {"image_size": list(self.image_size), "resize_size": self.resize_size,
                "interpolation": self.interpolation, "jpeg_draft": self.jpeg_draft}


def _rgb(image):
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")  # Pillow warns when palette transparency goes straight to RGB
    return image.convert("RGB")


def _reason(error):
    if isinstance(error, UnidentifiedImageError):
        return "not an image format Pillow reads"
    return str(error) or type(error).__name__


def default_workers():
    """Threads that decode images: the CPU cores this process may use, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(8, cores)


def unreadable_files(paths, workers=None):
    """[(path, reason)] for the files that Pillow cannot decode, checked in parallel.

    JPEGs are decoded at 1/8 scale (a truncated file still fails), PNGs verified (chunk checksums, no
    decompression), other formats decoded fully.
    """
    with concurrent.futures.ThreadPoolExecutor(workers or default_workers()) as pool:
        reasons = list(pool.map(_problem, paths))
    return [(path, reason) for path, reason in zip(paths, reasons) if reason is not None]


def _problem(path):
    """None when Pillow decodes the file, else why it does not."""
    try:
        with Image.open(path) as image:
            if image.format == "PNG":
                image.verify()
            else:
                if image.format == "JPEG":
                    image.draft("RGB", (1, 1))
                image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        return _reason(error)
    return None


class ImageBatches:
    """Batches of images (and labels) from image files; each iteration is one pass (epoch) over them.

    Yields `(images, labels)`, or `images` when `labels` is None. Images are (batch, 3, height, width), or
    (batch, height, width, 3) for channels_last, of `dtype`: uint8, or floats in 0-255 (what the applications'
    `preprocess_input(mode='torch')` takes); labels are int64. `len()` is the number of batches.

    Args:
        paths: image file paths.
        labels: one integer label per path, or None.
        transform: an ImageTransform (resize and crop).
        batch_size: images per batch (the last batch may be smaller).
        shuffle: a new random order each pass.
        augment: None, or a function `(images, generator) -> images` on float (batch, 3, height, width) batches
            in 0-255, e.g. `lamina.vision.augment.Augmentation()`.
        seed: None (torch's global generator), an int (a generator made once here: the same seed gives the same
            sequence of passes) or a torch.Generator; it draws the order and the augmentations.
        dtype: torch.uint8 or a floating dtype.
        data_format: 'channels_first' or 'channels_last'; None uses lamina.config.image_data_format().
        device: where the batches go (augmentation runs there); None keeps them on the CPU.
        workers: decoding threads; None: the usable CPU cores, at most 8.

    Example:
        >>> batches = ImageBatches(paths, labels, ImageTransform(224), batch_size=32, shuffle=True, seed=0)
        >>> for images, labels in batches: ...
    """

    def __init__(self, paths, labels, transform, batch_size=32, shuffle=False, augment=None, seed=None,
                 dtype=torch.uint8, data_format=None, device=None, workers=None):
        self.paths = list(paths)
        self.labels = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        if self.labels is not None and len(self.labels) != len(self.paths):
            raise ValueError(f"ImageBatches: received {len(self.labels)} labels for {len(self.paths)} paths; give "
                             f"one label per path.")
        self.transform = transform
        self.batch_size = check_positive_int("ImageBatches", "batch_size", batch_size)
        self.shuffle, self.augment = shuffle, augment
        self.generator = torch.Generator().manual_seed(seed) if isinstance(seed, numbers.Integral) else seed
        if not (dtype == torch.uint8 or dtype.is_floating_point):
            raise ValueError(f"ImageBatches: `dtype` must be torch.uint8 or a floating dtype, received {dtype}.")
        self.dtype = dtype
        self.data_format = config.normalize_data_format(data_format)
        self.device = device
        self.workers = check_positive_int("ImageBatches", "workers", workers) if workers else default_workers()

    def __len__(self):
        return math.ceil(len(self.paths) / self.batch_size)

    def __iter__(self):
        count = len(self.paths)
        order = torch.randperm(count, generator=self.generator) if self.shuffle else torch.arange(count)
        starts = iter(range(0, count, self.batch_size))
        pool = concurrent.futures.ThreadPoolExecutor(self.workers)
        pending = deque()

        def submit():
            start = next(starts, None)
            if start is not None:
                indices = order[start:start + self.batch_size]
                pending.append((indices, [pool.submit(self.transform.load_pixels, self.paths[index])
                                          for index in indices.tolist()]))

        try:
            for _ in range(PREFETCH + 1):
                submit()
            while pending:
                indices, futures = pending.popleft()
                submit()
                yield self._batch(indices, [future.result() for future in futures])
        finally:
            pool.shutdown(cancel_futures=True)

    def _batch(self, indices, pixels):
        images = torch.from_numpy(np.stack(pixels)).to(self.device).permute(0, 3, 1, 2)
        if self.augment is not None:
            images = self.augment(images.float(), self.generator)
        if self.dtype == torch.uint8 and images.is_floating_point():
            images = images.round().clamp(0, 255)
        images = images.to(self.dtype)
        if self.data_format == "channels_last":
            images = images.permute(0, 2, 3, 1)
        images = images.contiguous()
        if self.labels is None:
            return images
        return images, self.labels[indices].to(self.device)
