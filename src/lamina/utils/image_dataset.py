"""image_dataset_from_directory: batches of (images, labels) tensors read from one subfolder per class."""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from lamina import config
from lamina.identifiers import check_choice
from lamina.preprocessing import image_files

IMAGE_FORMATS = ("bmp", "gif", "jpeg", "jpg", "png")
LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both", None)
RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, data_format=None, verbose=True):
    """A re-iterable dataset of `(images, labels)` batches (torch tensors) from a folder of images, as Keras's.

    The folder holds one subfolder per class (`labels='inferred'`), or `labels` lists one integer label per file
    in sorted path order, or `labels=None` for images only. Files are listed and shuffled (once, with `seed`)
    exactly as Keras lists them; `validation_split` then takes the last fraction as validation. Each pass
    (epoch) visits the files in a fresh random order when `shuffle` is true. Pass the result to `model.fit`.

    Args:
        directory: the folder.
        labels: 'inferred', None, or a list of integer labels in sorted file order.
        label_mode: 'int' (int64 class indices), 'categorical' (one-hot float32), 'binary' (float32, shape
            (batch, 1)) or None (images only).
        class_names: subfolder names to use, in this order (only with labels='inferred').
        color_mode: 'rgb', 'rgba' or 'grayscale'.
        batch_size: images per batch; None yields single images.
        image_size: (height, width) every image is resized to.
        shuffle, seed: shuffle the files (and each epoch); seed is required with validation_split and shuffle.
        validation_split, subset: a fraction held out, and 'training', 'validation' or 'both' (returns both).
        interpolation: 'bilinear', 'nearest' or 'bicubic' (torch's resizing without antialiasing, as Keras on torch).
        crop_to_aspect_ratio: crop the centre to the target aspect ratio before resizing.
        data_format: None uses lamina.config.image_data_format() ('channels_first' unless changed).

    Returns:
        An ImageDirectoryDataset (two for subset='both') with `class_names` and `file_paths`.

    Example:
        >>> train = image_dataset_from_directory("photos", image_size=(100, 100), validation_split=0.2,
        ...                                      subset="training", seed=1)
        >>> model.fit(train, epochs=5)
    """
    _check_arguments(labels, label_mode, class_names, color_mode, validation_split, subset, shuffle, seed,
                     interpolation)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    image_size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(image_size) != 2:
        raise ValueError(f"image_dataset_from_directory: `image_size` must be (height, width), received "
                         f"{image_size!r}.")
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, file_labels, class_names = index_directory(directory, labels, class_names, shuffle, seed,
                                                           follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"image_dataset_from_directory: label_mode='binary' needs exactly 2 classes, found "
                         f"{len(class_names)}: {class_names}. Use label_mode='categorical' or 'int'.")
    options = dict(label_mode=label_mode, class_names=class_names, color_mode=color_mode, batch_size=batch_size,
                   image_size=image_size, interpolation=interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio,
                   data_format=config.normalize_data_format(data_format))
    subsets = ("training", "validation") if subset == "both" else (subset,)
    datasets = []
    for name in subsets:
        paths, part_labels = split_files(file_paths, file_labels, validation_split, name, verbose)
        if not paths:
            which = f"{name} " if name else ""
            raise ValueError(f"No {which}images found in {directory!r}. Allowed formats: {', '.join(IMAGE_FORMATS)}.")
        datasets.append(ImageDirectoryDataset(paths, part_labels, shuffle=shuffle and name != "validation",
                                              seed=seed, **options))
    return datasets if subset == "both" else datasets[0]


def _check_arguments(labels, label_mode, class_names, color_mode, validation_split, subset, shuffle, seed,
                     interpolation):
    owner = "image_dataset_from_directory"
    check_directory_arguments(owner, labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    check_choice("color_mode", color_mode, image_files.COLOR_MODES, owner=owner)
    check_choice("interpolation", interpolation, tuple(RESIZE_MODES), owner=owner)


def check_directory_arguments(owner, labels, label_mode, class_names, validation_split, subset, shuffle, seed):
    """The checks Keras's *_dataset_from_directory functions share: labels, label_mode, the split and the seed."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f"{owner}: `labels` must be 'inferred', None or a list of integer labels (one per file, "
                             f"in sorted path order); received {labels!r}.")
        if class_names:
            raise ValueError(f"{owner}: `class_names` can only be given with labels='inferred'.")
    check_choice("label_mode", label_mode, LABEL_MODES, owner=owner)
    check_choice("subset", subset, SUBSETS, owner=owner)
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"{owner}: `validation_split` must be between 0 and 1, received {validation_split}.")
    if bool(validation_split) != bool(subset):
        raise ValueError(f"{owner}: `subset` and `validation_split` go together; received "
                         f"validation_split={validation_split!r} and subset={subset!r}.")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{owner}: with validation_split and shuffle=True, pass a `seed` so that the training and "
                         f"validation subsets do not overlap.")


def index_directory(directory, labels, class_names, shuffle, seed, follow_links=False, verbose=True,
                    formats=IMAGE_FORMATS, owner="image_dataset_from_directory", kind="image"):
    """(file_paths, labels, class_names) in Keras's order: classes in sorted folder order (or `class_names`'s),
    files with one of `formats`' extensions in sorted walk order, then shuffled with np.random.RandomState(seed)
    when `shuffle`."""
    if labels == "inferred":
        folders = [name for name in image_files.class_subdirectories(directory) if not name.startswith(".")]
        if class_names is not None:
            if not set(class_names) <= set(folders):
                raise ValueError(f"{owner}: `class_names` {list(class_names)} must be "
                                 f"subfolders of {directory!r}, which holds {folders}.")
            folders = list(class_names)
    else:
        folders = [""]
    files, inferred = [], []
    for index, folder in enumerate(folders):
        found = image_files.image_files(os.path.join(directory, folder), formats, follow_links)
        files += [os.path.join(folder, name) if folder else name for name in found]
        inferred += [index] * len(found)
    if labels == "inferred":
        file_labels = np.array(inferred, dtype="int32")
    elif labels is None:
        file_labels, folders = None, None
    else:
        if len(labels) != len(files):
            raise ValueError(f"{owner}: received {len(labels)} labels for {len(files)} {kind} files in "
                             f"{directory!r}; give one label per file, in sorted path order.")
        file_labels = np.asarray(labels)
        folders = [str(label) for label in sorted(set(labels))]
    if verbose:
        print(f"Found {len(files)} files" + ("." if file_labels is None else f" belonging to {len(folders)} classes."))
    file_paths = [os.path.join(directory, name) for name in files]
    if shuffle:
        np.random.RandomState(seed).shuffle(file_paths)
        if file_labels is not None:
            np.random.RandomState(seed).shuffle(file_labels)
    return file_paths, file_labels, folders


def directory_datasets(owner, kind, formats, make_dataset, directory, labels, label_mode, class_names, shuffle, seed,
                       validation_split, subset, follow_links, verbose):
    """What text_ and audio_dataset_from_directory share: the arguments checked, the files listed, labelled,
    shuffled and split as Keras does, and `make_dataset(paths, labels, label_mode, class_names, shuffle, seed)`
    called for the subset asked (a list of two for subset='both')."""
    check_directory_arguments(owner, labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, file_labels, class_names = index_directory(directory, labels, class_names, shuffle, seed,
                                                           follow_links, verbose, formats, owner, kind)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{owner}: label_mode='binary' needs exactly 2 classes, found {len(class_names)}: "
                         f"{class_names}. Use label_mode='categorical' or 'int'.")
    datasets = []
    for name in ("training", "validation") if subset == "both" else (subset,):
        paths, part_labels = split_files(file_paths, file_labels, validation_split, name, verbose)
        if not paths:
            allowed = ", ".join("." + extension for extension in formats)
            raise ValueError(f"No {name + ' ' if name else ''}{kind} files found in {directory!r}. Allowed "
                             f"format{'s' if len(formats) > 1 else ''}: {allowed}.")
        datasets.append(make_dataset(paths, part_labels, label_mode, class_names, shuffle and name != "validation",
                                     seed))
    return datasets if subset == "both" else datasets[0]


def split_files(file_paths, labels, validation_split, subset, verbose=True):
    """The training part (all but the last fraction) or the validation part (the last fraction)."""
    if not validation_split:
        return file_paths, labels
    count = int(validation_split * len(file_paths))
    part = slice(len(file_paths) - count, None) if subset == "validation" else slice(0, len(file_paths) - count)
    if verbose:
        print(f"Using {count if subset == 'validation' else len(file_paths) - count} files for {subset}.")
    return file_paths[part], None if labels is None else labels[part]


class DirectoryDataset:
    """Batches of `(items, labels)` (or items) read from files; each iteration is one epoch. Subclasses define
    `load(path)` (one item) and `stack(items)` (a batch).

    Attributes:
        class_names: the class of each label index.
        file_paths: the files, in the order of the first epoch when shuffle is false.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, batch_size, shuffle, seed):
        self.file_paths, self.labels, self.label_mode = list(file_paths), labels, label_mode
        self.class_names, self.batch_size, self.shuffle = class_names, batch_size, shuffle
        self._random_state = np.random.RandomState(seed)

    def __len__(self):
        return len(self.file_paths) if self.batch_size is None else math.ceil(len(self.file_paths) / self.batch_size)

    def __iter__(self):
        count = len(self.file_paths)
        order = self._random_state.permutation(count) if self.shuffle else np.arange(count)
        size = self.batch_size or 1
        for start in range(0, count, size):
            indices = order[start:start + size]
            items = self.stack([self.load(self.file_paths[index]) for index in indices])
            batch = items if self.labels is None else (items, self._label_batch(indices))
            yield batch if self.batch_size else _first(batch)

    def _label_batch(self, indices):
        labels = torch.as_tensor(self.labels[indices], dtype=torch.int64)
        if self.label_mode == "categorical":
            return F.one_hot(labels, len(self.class_names)).to(torch.float32)
        if self.label_mode == "binary":
            return labels.to(torch.float32).unsqueeze(-1)
        return labels


class ImageDirectoryDataset(DirectoryDataset):
    """Batches of `(images, labels)` (or images) as torch tensors; each iteration is one epoch."""

    def __init__(self, file_paths, labels, label_mode, class_names, color_mode, batch_size, image_size,
                 interpolation, crop_to_aspect_ratio, data_format, shuffle, seed):
        super().__init__(file_paths, labels, label_mode, class_names, batch_size, shuffle, seed)
        self.color_mode, self.image_size, self.interpolation = color_mode, image_size, interpolation
        self.crop_to_aspect_ratio, self.data_format = crop_to_aspect_ratio, data_format

    stack = staticmethod(torch.stack)

    def load(self, path):
        """One image file as a float32 tensor of `image_size`, in this dataset's data_format."""
        image = image_files.load_img(path, color_mode=self.color_mode)
        pixels = torch.from_numpy(image_files.img_to_array(image, "channels_first", "float32"))
        image.close()
        if self.crop_to_aspect_ratio:
            pixels = _center_crop(pixels, self.image_size)
        if tuple(pixels.shape[1:]) != self.image_size:
            mode = RESIZE_MODES[self.interpolation]
            pixels = F.interpolate(pixels[None], size=self.image_size, mode=mode,
                                   align_corners=False if mode in ("bilinear", "bicubic") else None)[0]
        return pixels if self.data_format == "channels_first" else pixels.permute(1, 2, 0)


def _first(batch):
    return tuple(part[0] for part in batch) if isinstance(batch, tuple) else batch[0]


def _center_crop(pixels, size):
    """The centre of a (channels, height, width) image with the aspect ratio of size (height, width)."""
    height, width = pixels.shape[1:]
    crop_height = max(min(height, int(float(width * size[0]) / size[1])), 1)
    crop_width = max(min(width, int(float(height * size[1]) / size[0])), 1)
    top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
    return pixels[:, top:top + crop_height, left:left + crop_width]
