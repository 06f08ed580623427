"""Image collections for the vision workflows: a folder per class, given train/ and val/ folders, or a CSV file.

`image_dataset` finds the labelled images, checks that Pillow can decode each (the files it cannot are skipped
with one warning that lists them) and splits them into training and validation parts; `image_list` does the same
for unlabelled images (similarity search, clustering). Each part gives batches of uint8 or float tensors, resized
and center-cropped to the backbone's input (`lamina.vision.loading`), augmented for training if asked
(`lamina.vision.augment`).
"""
import csv
import hashlib
import os
import pathlib
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from lamina.identifiers import nearest_suggestion
from lamina.preprocessing.image_files import IMAGE_EXTENSIONS, class_subdirectories, image_files
from lamina.vision.augment import Augmentation
from lamina.vision.loading import ImageBatches, ImageTransform, unreadable_files

EXTENSIONS = IMAGE_EXTENSIONS + ("gif", "webp")
VALIDATION_FOLDERS = ("val", "validation", "valid")
LISTED_IN_WARNING = 20  # skipped files named in the warning; all of them are in ImageDataset.skipped
LAYOUTS = ("one subfolder per class (e.g. {0}/cats/1.jpg, {0}/dogs/2.jpg), a folder with train/ and val/ "
           "subfolders of that layout, or a CSV file of (path, label) rows")


class UnreadableImagesWarning(UserWarning):
    """Files with an image extension that Pillow cannot decode were skipped."""


@dataclass
class ImageFiles:
    """Image files, their integer labels (None when unlabelled), and how they are decoded.

    Attributes:
        paths: the files, in order.
        labels: int64 array, one class index per path, or None.
        class_names: the name of each class index, or None.
        transform: the ImageTransform (resize, center crop) every file goes through.
    """

    paths: list
    labels: np.ndarray
    class_names: list
    transform: ImageTransform

    def __len__(self):
        return len(self.paths)

    def batches(self, batch_size=32, shuffle=False, augment=False, seed=None, dtype=torch.uint8, data_format=None,
                device=None, workers=None):
        """Batches of `(images, labels)` (`images` when unlabelled): an ImageBatches, one pass per iteration.

        Args:
            batch_size: images per batch.
            shuffle: a new random order each pass.
            augment: False for the deterministic evaluation transform; True for `Augmentation()`'s defaults
                (flip, crop, rotation, colour); or an Augmentation (or any `(images, generator) -> images`).
            seed: None (torch's global generator), an int, or a torch.Generator: draws order and augmentations.
            dtype: torch.uint8, or a floating dtype (values 0-255).
            data_format: None uses lamina.config.image_data_format().
            device: where batches (and augmentation) go; None: the CPU.
            workers: decoding threads (default: the usable CPU cores, at most 8).
        """
        augment = Augmentation() if augment is True else augment or None
        return ImageBatches(self.paths, self.labels, self.transform, batch_size=batch_size, shuffle=shuffle,
                            augment=augment, seed=seed, dtype=dtype, data_format=data_format, device=device,
                            workers=workers)


@dataclass
class ImageDataset:
    """Labelled images split into `train` and `validation` (ImageFiles), with the files that were skipped.

    Attributes:
        class_names: the name of each label index (sorted, unless given).
        train, validation: ImageFiles.
        skipped: [(path, reason)] of the files Pillow cannot decode.
        transform: the ImageTransform of both parts.
    """

    class_names: list
    train: ImageFiles
    validation: ImageFiles
    skipped: list
    transform: ImageTransform

    def __repr__(self):
        skipped = f", {len(self.skipped)} unreadable files skipped" if self.skipped else ""
        return (f"ImageDataset({len(self.class_names)} classes ({', '.join(self.class_names)}), "
                f"{len(self.train)} training and {len(self.validation)} validation images{skipped})")


def image_dataset(source, image_size=224, resize_size=None, validation_split=0.2, seed=0, class_names=None,
                  interpolation="bilinear", check=True, workers=None):
    """Labelled images from a folder or a CSV file, split into training and validation parts.

    `source` is one of:
    - a folder with one subfolder per class (`photos/cats/1.jpg`; files in nested folders count for their class);
    - a folder with `train/` and `val/` (or `validation/`, `valid/`) subfolders, each with one subfolder per
      class: the split is given, `validation_split` is not used, other subfolders (`test/`) are ignored;
    - a CSV file (`.tsv`: tab-separated) of (path, label) rows, paths relative to the file's folder; a first
      row whose path has no image extension is a header; more columns are ignored.

    Files with extensions other than .png .jpg .jpeg .bmp .ppm .tif .tiff .gif .webp, and hidden files and
    folders, are ignored. Files Pillow cannot decode (truncated, not images) are skipped with one
    UnreadableImagesWarning that lists them.

    The split: in each class, the round(validation_split * n) files whose seeded hash of their path (relative to
    `source`) is smallest go to validation. Each class keeps its proportion, the same seed gives the same split
    on any machine, and adding a file moves at most one other file between the parts.

    Args:
        source: the folder or CSV file.
        image_size: the backbone's input, an int or (height, width): the center crop.
        resize_size: the shorter side before cropping (None: the crop's larger side); e.g. 232 for MobileNetV2's
            ImageNet weights.
        validation_split: the fraction of each class held out, in [0, 1).
        seed: the split's seed (an int).
        class_names: the classes to use, in this order (default: all, sorted); other files are left out.
        interpolation: 'bilinear', 'bicubic', 'lanczos' or 'nearest'.
        check: decode every file once (JPEGs at 1/8 scale) to skip unreadable ones; False defers that to
            loading, which then raises UnreadableImageError on such a file.
        workers: threads for checking and decoding (default: the usable CPU cores, at most 8).

    Returns:
        An ImageDataset with `class_names`, `train`, `validation` and `skipped`.

    Example:
        >>> data = image_dataset("photos", image_size=224, resize_size=232)
        >>> for images, labels in data.train.batches(32, shuffle=True, augment=True, seed=0):
        ...     ...   # images: uint8 (32, 3, 224, 224); labels: int64 (32,)
    """
    if not 0 <= validation_split < 1:
        raise ValueError(f"image_dataset: `validation_split` must be in [0, 1), received {validation_split!r}.")
    transform = ImageTransform(image_size, resize_size, interpolation)
    source = os.fspath(source)
    relative, labels, given_validation, names = _labelled_files(source, class_names)
    paths = [os.path.join(_root(source), name) for name in relative]
    skipped = _check(source, paths, check, workers)
    unreadable = dict(skipped)
    kept = [index for index, path in enumerate(paths) if path not in unreadable]
    _require_every_class(source, names, labels, kept)
    relative, paths, labels = [relative[i] for i in kept], [paths[i] for i in kept], labels[kept]
    if given_validation is None:
        is_validation = validation_mask(relative, labels, validation_split, seed)
    else:
        is_validation = given_validation[kept]

    def part(selected):
        return ImageFiles([paths[i] for i in np.flatnonzero(selected)], labels[selected], names, transform)

    return ImageDataset(names, part(~is_validation), part(is_validation), skipped, transform)


def image_list(source, image_size=224, resize_size=None, interpolation="bilinear", check=True, workers=None):
    """Unlabelled images: every image file under a folder (nested folders included), or a list of paths.

    Arguments and skipping as `image_dataset`. Returns an ImageFiles with labels and class_names None.

    Example:
        >>> photos = image_list("holiday", image_size=224)
        >>> for images in photos.batches(64): ...
    """
    transform = ImageTransform(image_size, resize_size, interpolation)
    if isinstance(source, (str, os.PathLike)):
        source = os.fspath(source)
        if not os.path.isdir(source):
            raise FileNotFoundError(f"image_list: no such folder: {source!r}. Pass a folder of images or a list of "
                                    f"image paths.")
        paths = [os.path.join(source, name) for name in visible_images(source)]
        if not paths:
            raise ValueError(f"image_list: {source!r} holds no images ({accepted_extensions()}).")
    else:
        source, paths = None, [os.fspath(path) for path in source]
    skipped = _check(source, paths, check, workers)
    unreadable = dict(skipped)
    return ImageFiles([path for path in paths if path not in unreadable], None, None, transform)


def validation_mask(keys, labels, validation_split, seed):
    """A boolean array: True for the items held out for validation.

    In each class (label), the round(validation_split * n) items (halves rounded up) whose key (a relative path)
    has the smallest blake2b hash, salted with `seed`, are held out.
    """
    labels = np.asarray(labels)
    digests = [hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest() for key in keys]
    mask = np.zeros(len(keys), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = int(validation_split * len(members) + 0.5)
        mask[sorted(members, key=digests.__getitem__)[:count]] = True
    return mask


def _root(source):
    """The folder that relative paths start from: the source folder, or the CSV file's folder."""
    return source if os.path.isdir(source) else os.path.dirname(source)


def _labelled_files(source, class_names):
    """(relative paths, int64 labels, the given validation mask or None, class names)."""
    if os.path.isdir(source):
        validation = next((name for name in VALIDATION_FOLDERS if os.path.isdir(os.path.join(source, name))), None)
        if os.path.isdir(os.path.join(source, "train")) and validation:
            return _given_split(source, validation, class_names)
        names = _class_names(source, "", class_names)
        relative, labels = _class_folders(source, "", names, names)
        return relative, labels, None, names
    if os.path.isfile(source) and source.lower().endswith((".csv", ".tsv")):
        relative, labels, names = _csv_rows(source, class_names)
        return relative, labels, None, names
    if os.path.exists(source):
        raise ValueError(f"image_dataset: {source!r} is neither a folder nor a .csv file. Pass "
                         f"{LAYOUTS.format('photos')}.")
    raise FileNotFoundError(f"image_dataset: no such file or folder: {source!r}. Pass {LAYOUTS.format('photos')}.")


def _given_split(source, validation, class_names):
    names = _class_names(source, "train", class_names)
    found = _class_names(source, validation, None)
    unknown = sorted(set(found) - set(names))
    if unknown and class_names is None:
        raise ValueError(f"image_dataset: {os.path.join(source, validation)!r} has classes that "
                         f"{os.path.join(source, 'train')!r} lacks: {', '.join(unknown)}. Add training images for "
                         f"them or remove them.")
    train_files, train_labels = _class_folders(source, "train", names, names)
    validation_files, validation_labels = _class_folders(source, validation, [n for n in found if n in names], names)
    mask = np.array([False] * len(train_files) + [True] * len(validation_files), dtype=bool)
    return train_files + validation_files, np.concatenate([train_labels, validation_labels]), mask, names


def _class_names(source, subfolder, class_names):
    """The class subfolders of source/subfolder (all visible ones, or `class_names`, which must exist)."""
    folder = os.path.join(source, subfolder) if subfolder else source
    found = [name for name in class_subdirectories(folder) if not name.startswith(".")]
    if not found:
        images = len(visible_images(folder))
        holds = f" (it holds {images} images directly)" if images else ""
        raise ValueError(f"image_dataset: {folder!r} has no class subfolders{holds}. Expected "
                         f"{LAYOUTS.format(folder)}. For unlabelled images use image_list({folder!r}).")
    if class_names is None:
        return found
    missing = [name for name in class_names if name not in found]
    if missing:
        raise ValueError(f"image_dataset: class {missing[0]!r} of `class_names` is not a subfolder of "
                         f"{folder!r}.{nearest_suggestion(missing[0], found)} Subfolders: {', '.join(found)}.")
    return list(class_names)


def _class_folders(source, subfolder, names, label_order):
    """(image paths relative to source, int64 labels: positions in label_order) of the class folders `names`."""
    relative, labels = [], []
    for name in names:
        folder = os.path.join(subfolder, name) if subfolder else name
        found = visible_images(os.path.join(source, folder))
        if not found:
            raise ValueError(f"image_dataset: the class folder {os.path.join(source, folder)!r} holds no images "
                             f"({accepted_extensions()}). Add images to it or remove it.")
        relative += [pathlib.PurePath(folder, file).as_posix() for file in found]
        labels += [label_order.index(name)] * len(found)
    return relative, np.array(labels, dtype=np.int64)


def visible_images(folder):
    """Image files under `folder` (relative, sorted walk order), leaving out hidden files and folders."""
    return [name for name in image_files(folder, EXTENSIONS)
            if not any(part.startswith(".") for part in pathlib.PurePath(name).parts)]


def _csv_rows(path, class_names):
    """(relative paths, int64 labels, class names) from a CSV file of (path, label) rows."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter="\t" if path.lower().endswith(".tsv") else ",")
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if rows and not rows[0][1][0].strip().lower().endswith(tuple("." + extension for extension in EXTENSIONS)):
        rows = rows[1:]  # a header
    for line, row in rows:
        if len(row) < 2:
            raise ValueError(f"image_dataset: line {line} of {path!r} has {len(row)} column; each row is "
                             f"(path, label), e.g. 'cats/1.jpg,cat'.")
    if not rows:
        raise ValueError(f"image_dataset: {path!r} has no (path, label) rows.")
    labels = [row[1].strip() for _, row in rows]
    names = sorted(set(labels), key=natural_order) if class_names is None else list(class_names)
    index = {name: position for position, name in enumerate(names)}
    kept = [(row[0].strip(), label) for (_, row), label in zip(rows, labels) if label in index]
    return [file for file, _ in kept], np.array([index[label] for _, label in kept], dtype=np.int64), names


def natural_order(label):
    """Integer labels in numeric order ('2' before '10'), then the others alphabetically."""
    return (0, int(label), "") if label.lstrip("-").isdigit() else (1, 0, label)


def _check(source, paths, check, workers):
    """[(path, reason)] of the unreadable files, announced in one warning; [] when check is false."""
    skipped = unreadable_files(paths, workers) if check else []
    if skipped:
        root = None if source is None else _root(source)
        listed = ", ".join(f"{path if root is None else os.path.relpath(path, root)} ({reason})"
                           for path, reason in skipped[:LISTED_IN_WARNING])
        more = f" and {len(skipped) - LISTED_IN_WARNING} more" if len(skipped) > LISTED_IN_WARNING else ""
        where = "" if source is None else f" in {source!r}"
        warnings.warn(f"Skipped {len(skipped)} files{where} that Pillow cannot read as images: {listed}{more}. "
                      f"Remove or replace them.", UnreadableImagesWarning, stacklevel=3)
    return skipped


def _require_every_class(source, names, labels, kept):
    """A ValueError naming the first class left with no readable image."""
    present = set(labels[kept].tolist())
    for index, name in enumerate(names):
        if index not in present:
            files = int(np.sum(labels == index))
            detail = f"all its {files} files are unreadable" if files else "it has no rows"
            raise ValueError(f"image_dataset: class {name!r} of {source!r} has no readable images ({detail}). "
                             f"Add images for it or leave it out with `class_names`.")


def accepted_extensions():
    return "accepted: " + ", ".join("." + extension for extension in EXTENSIONS)
