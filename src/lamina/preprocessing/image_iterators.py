"""Batch iterators behind ImageDataGenerator.flow and flow_from_directory.

Both follow Keras's legacy iterators: the same batch order for the same seed (the random state of batch k is
seeded with `seed + k`, the shuffling permutation is drawn at the start of each epoch), endless iteration with
next() and indexed access with [i], so they work with lamina's fit() and with hand-written loops.
"""
import os

import numpy as np

from lamina import config
from lamina.identifiers import check_choice
from lamina.preprocessing import image_files
from lamina.utils.arrays import to_categorical
from lamina.utils.sequence import Sequence

CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
SUBSETS = ("training", "validation")


class ImageBatchIterator(Sequence):
    """Base class: yields batches of `n` samples in Keras's order; subclasses build a batch from indices.

    Use `next(iterator)` for an endless stream (epochs wrap around, reshuffled), or `iterator[i]` with
    `len(iterator)` batches per epoch.
    """

    def __init__(self, n, batch_size, shuffle, seed):
        if int(batch_size) <= 0:
            raise ValueError(f"`batch_size` must be a positive integer, received {batch_size!r}.")
        self.n, self.batch_size, self.shuffle, self.seed = n, int(batch_size), shuffle, seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array = None
        self._random_state = None
        self._index_stream = self._indices_forever()

    def _next_random_state(self):
        """np.random itself without a seed (so np.random.seed reproduces runs), else a state seeded per batch."""
        if self.seed is None:
            self._random_state = np.random
        else:
            self._random_state = np.random.RandomState(self.seed + self.total_batches_seen)
        return self._random_state

    def _set_index_array(self, random_state):
        self.index_array = random_state.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"Batch {index} requested from an iterator of {len(self)} batches.")
        random_state = self._next_random_state()
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array(random_state)
        start = self.batch_size * index
        return self._make_batch(self.index_array[start:start + self.batch_size], random_state)

    def on_epoch_end(self):
        """Draws a new order for the next epoch (used with indexed access)."""
        self._set_index_array(self._random_state if self._random_state is not None else np.random)

    def reset(self):
        """Starts the next() stream again at the beginning of an epoch."""
        self.batch_index = 0

    def _indices_forever(self):
        self.reset()
        while True:
            random_state = self._next_random_state()
            if self.batch_index == 0:
                self._set_index_array(random_state)
            start = (self.batch_index * self.batch_size) % self.n if self.n else 0
            self.batch_index = self.batch_index + 1 if self.n > start + self.batch_size else 0
            self.total_batches_seen += 1
            yield self.index_array[start:start + self.batch_size], random_state

    def __iter__(self):
        return self

    def __next__(self):
        indices, random_state = next(self._index_stream)
        return self._make_batch(indices, random_state)

    def _make_batch(self, indices, random_state):
        raise NotImplementedError

    def _save_batch(self, images, indices, random_state, digits):
        for image, index in zip(images, indices):
            name = f"{self.save_prefix}_{index}_{random_state.randint(10 ** digits)}.{self.save_format}"
            image_files.array_to_img(image, self.data_format, scale=True).save(os.path.join(self.save_to_dir, name))


class NumpyArrayIterator(ImageBatchIterator):
    """Batches of augmented images from arrays (what ImageDataGenerator.flow returns).

    Each batch is `x`, `(x, y)` or `(x, y, sample_weight)` as numpy arrays; `x` may be `(images, [extra arrays])`
    as in Keras, in which case the batch's x is `[images, *extra]`.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None):
        self.dtype = dtype or config.floatx()
        self.data_format = config.normalize_data_format(data_format)
        extra = []
        if isinstance(x, (tuple, list)):
            extra = [np.asarray(part) for part in (x[1] if isinstance(x[1], list) else [x[1]])]
            x = x[0]
            for part in extra:
                if len(part) != len(x):
                    raise ValueError(f"flow: all arrays in `x` need the same number of samples; the images have "
                                     f"{len(x)} and an extra input has {len(part)}.")
        for name, other in (("y", y), ("sample_weight", sample_weight)):
            if other is not None and len(other) != len(x):
                raise ValueError(f"flow: `x` (images) and `{name}` need the same number of samples; received "
                                 f"x.shape={np.shape(x)} and {name}.shape={np.shape(other)}.")
        if subset is not None:
            check_choice("subset", subset, SUBSETS, owner="flow")
            split_at = int(len(x) * image_data_generator._validation_split)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(y[:split_at]), np.unique(y[split_at:]))):
                raise ValueError("flow: the training and validation subsets hold different classes after the split. "
                                 "If the arrays are sorted by label, shuffle them first (or pass "
                                 "ignore_class_split=True).")
            part = slice(None, split_at) if subset == "validation" else slice(split_at, None)
            x, extra = x[part], [array[part] for array in extra]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError(f"flow: `x` must be a batch of images of rank 4, received shape {self.x.shape}.")
        self.x_misc = extra
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _make_batch(self, indices, random_state):
        images = self.image_data_generator.augment_batch(self.x[indices], random_state)
        if self.save_to_dir:
            self._save_batch(images, indices, random_state, digits=4)
        batch_x = [images] + [array[indices] for array in self.x_misc] if self.x_misc else images
        if self.y is None:
            return batch_x
        if self.sample_weight is None:
            return batch_x, self.y[indices]
        return batch_x, self.y[indices], self.sample_weight[indices]


class DirectoryIterator(ImageBatchIterator):
    """Batches of augmented images read from one subfolder per class (what flow_from_directory returns).

    Attributes:
        class_indices: {class name: index}, classes in sorted folder order unless `classes` is given.
        filenames: paths relative to `directory` ('cats/001.png'), in class order then sorted file order.
        filepaths: the same, joined with `directory`.
        classes: the class index of each file (int32 array).
    """

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None):
        check_choice("color_mode", color_mode, image_files.COLOR_MODES, owner="flow_from_directory")
        check_choice("class_mode", class_mode, CLASS_MODES, owner="flow_from_directory")
        self.directory, self.image_data_generator = directory, image_data_generator
        self.target_size, self.color_mode, self.class_mode = tuple(target_size), color_mode, class_mode
        self.data_format = config.normalize_data_format(data_format)
        self.dtype = dtype or config.floatx()
        self.interpolation, self.keep_aspect_ratio = interpolation, keep_aspect_ratio
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        channels = image_files.CHANNELS[color_mode]
        self.image_shape = ((channels,) + self.target_size if self.data_format == "channels_first"
                            else self.target_size + (channels,))
        split = self._split(subset)
        class_names = list(classes) if classes else image_files.class_subdirectories(directory)
        self.class_indices = {name: index for index, name in enumerate(class_names)}
        self.num_classes = len(class_names)
        self.filenames, labels = [], []
        for name in class_names:
            files = image_files.image_files(os.path.join(directory, name), follow_links=follow_links)
            if split is not None:
                files = files[int(split[0] * len(files)):int(split[1] * len(files))]
            self.filenames += [os.path.join(name, file) for file in files]
            labels += [self.class_indices[name]] * len(files)
        self.classes = np.array(labels, dtype="int32")
        self.samples = len(self.filenames)
        self.filepaths = [os.path.join(directory, name) for name in self.filenames]
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _split(self, subset):
        if subset is None:
            return None
        check_choice("subset", subset, SUBSETS, owner="flow_from_directory")
        fraction = self.image_data_generator._validation_split if self.image_data_generator else 0.0
        return (0, fraction) if subset == "validation" else (fraction, 1)

    @property
    def labels(self):
        """The class index of each file, as Keras names it."""
        return self.classes

    def _make_batch(self, indices, random_state):
        images = np.zeros((len(indices),) + self.image_shape, dtype=self.dtype)
        for row, index in enumerate(indices):
            image = image_files.load_img(self.filepaths[index], color_mode=self.color_mode,
                                         target_size=self.target_size, interpolation=self.interpolation,
                                         keep_aspect_ratio=self.keep_aspect_ratio)
            images[row] = image_files.img_to_array(image, data_format=self.data_format, dtype=self.dtype)
            image.close()
        if self.image_data_generator:
            images = self.image_data_generator.augment_batch(images, random_state)
        if self.save_to_dir:
            self._save_batch(images, indices, random_state, digits=7)
        if self.class_mode == "input":
            return images, images.copy()
        if self.class_mode in ("binary", "sparse"):
            return images, self.classes[indices].astype(self.dtype)
        if self.class_mode == "categorical":
            return images, to_categorical(self.classes[indices], self.num_classes, dtype=self.dtype)
        return images
