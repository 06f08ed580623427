"""Keras's image preprocessing: ImageDataGenerator (real-time augmentation) and image file helpers.

Augmentation runs on torch tensors, one batch at a time (see image_transforms). Random parameters are drawn with
numpy exactly as Keras draws them, so a fixed seed gives Keras's batches.
"""
import warnings

import numpy as np
import torch

from lamina import config
from lamina.identifiers import check_choice
from lamina.preprocessing import image_transforms
from lamina.preprocessing.image_files import array_to_img, img_to_array, load_img, save_img
from lamina.preprocessing.image_iterators import DirectoryIterator, ImageBatchIterator, NumpyArrayIterator

__all__ = ["DirectoryIterator", "ImageDataGenerator", "Iterator", "NumpyArrayIterator", "apply_affine_transform",
           "array_to_img", "img_to_array", "load_img", "save_img"]

Iterator = ImageBatchIterator
INTERPOLATION_ORDERS = (0, 1)


class ImageDataGenerator:
    """Generates batches of images with real-time augmentation and standardization, as Keras's does.

    Args:
        featurewise_center / featurewise_std_normalization: subtract the dataset's per-channel mean / divide by its
            std, computed by `fit(x)`.
        samplewise_center / samplewise_std_normalization: the same per image.
        zca_whitening: ZCA-whiten with the matrix computed by `fit(x)` (epsilon `zca_epsilon`).
        rotation_range: degrees; a rotation is drawn uniformly in [-rotation_range, rotation_range].
        width_shift_range / height_shift_range: float below 1: fraction of the width/height; float of 1 or more:
            pixels; int n: a whole number of pixels in (-n, n); list: values to choose from (with a random sign).
            As in Keras, the height shift moves the image along its columns and the width shift along its rows
            (docs/preprocessing.md lists such Keras behaviours, kept so that results equal Keras's).
        brightness_range: (low, high) brightness factors (1.0 keeps it).
        shear_range: shear angle in degrees.
        zoom_range: float z for [1 - z, 1 + z], or (low, high).
        channel_shift_range: range of a random shift added to all channels.
        fill_mode: 'constant' (with `cval`), 'nearest', 'reflect' or 'wrap' for points outside the image.
        horizontal_flip / vertical_flip: flip half the images at random.
        rescale: factor multiplied into the data after augmentation (e.g. 1/255).
        preprocessing_function: called on each image (a rank-3 numpy array) after augmentation, before rescale.
        data_format: None uses lamina.config.image_data_format() ('channels_first' unless changed).
        validation_split: fraction of the data reserved for `subset='validation'` in flow/flow_from_directory.
        interpolation_order: 1 (bilinear, the default) or 0 (nearest pixel).
        dim_ordering: Keras 1's name for data_format ('th' = channels_first, 'tf' = channels_last).

    Example:
        >>> datagen = ImageDataGenerator(rescale=1 / 255, rotation_range=20, horizontal_flip=True)
        >>> model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=10)
        >>> train = datagen.flow_from_directory("data/train", target_size=(100, 100), class_mode="binary")
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None, dim_ordering=None):
        self.featurewise_center, self.samplewise_center = featurewise_center, samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.shear_range, self.channel_shift_range = shear_range, channel_shift_range
        self.fill_mode = check_choice("fill_mode", fill_mode, image_transforms.FILL_MODES, owner="ImageDataGenerator")
        self.cval = cval
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.dtype = dtype or config.floatx()
        self.interpolation_order = check_choice("interpolation_order", interpolation_order, INTERPOLATION_ORDERS,
                                                owner="ImageDataGenerator")
        self.data_format = config.normalize_data_format(data_format if dim_ordering is None else dim_ordering)
        self.channel_axis, self.row_axis, self.col_axis = (1, 2, 3) if self.data_format == "channels_first" else (
            3, 1, 2)
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"ImageDataGenerator: `validation_split` must be strictly between 0 and 1, received "
                             f"{validation_split}.")
        self._validation_split = validation_split
        self.mean = self.std = self.zca_whitening_matrix = None
        self.zoom_range = _zoom_bounds(zoom_range)
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list))
                                             or len(brightness_range) != 2):
            raise ValueError(f"ImageDataGenerator: `brightness_range` must be a (low, high) pair of floats, received "
                             f"{brightness_range!r}.")
        self.brightness_range = brightness_range
        self._resolve_implied_options()

    def _resolve_implied_options(self):
        """Keras's implications: ZCA implies featurewise centering (and replaces std normalization); std
        normalization implies centering. Each override warns, as in Keras."""
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn("zca_whitening implies featurewise_center=True.", UserWarning, stacklevel=3)
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("zca_whitening replaces featurewise_std_normalization, which is turned off.",
                              UserWarning, stacklevel=3)
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("featurewise_std_normalization implies featurewise_center=True.", UserWarning, stacklevel=3)
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn("samplewise_std_normalization implies samplewise_center=True.", UserWarning, stacklevel=3)

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        """An iterator of augmented batches `(x, y)` (or `x` without y, `(x, y, sample_weight)` with weights).

        Args:
            x: images, rank 4 in this generator's data_format; or (images, extra array or list of arrays).
            subset: 'training' or 'validation' with validation_split: validation is the first
                `int(len(x) * validation_split)` samples, as in Keras.
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):
        """An iterator of augmented batches read from `directory`, which holds one subfolder per class.

        Args:
            target_size: (height, width) every image is resized to (with Pillow, `interpolation`).
            color_mode: 'rgb', 'rgba' or 'grayscale'.
            classes: class subfolder names (and their order); None takes all subfolders, sorted.
            class_mode: 'categorical' (one-hot), 'binary' / 'sparse' (class index as float), 'input' (the images
                again, for autoencoders) or None (images only).
            subset: 'training' or 'validation' with validation_split: validation is the first fraction of each
                class's sorted files.
        """
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 data_format=self.data_format, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links, subset=subset,
                                 interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def get_random_transform(self, img_shape, seed=None):
        """Draws the random transform parameters for one image of shape `img_shape`, as Keras does.

        Returns a dict with theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical, channel_shift_intensity
        and brightness. A seed gives the same parameters as Keras's with that seed; without one, numpy's global
        random state is used (as in Keras).
        """
        return self._draw_transform(img_shape, np.random if seed is None else np.random.RandomState(seed))

    def _draw_transform(self, img_shape, random_state):
        rows, cols = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        theta = random_state.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = _draw_shift(self.height_shift_range, rows, random_state)
        ty = _draw_shift(self.width_shift_range, cols, random_state)
        shear = random_state.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = random_state.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (random_state.random() < 0.5) * self.horizontal_flip
        flip_vertical = (random_state.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = random_state.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = random_state.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity, "brightness": brightness}

    def apply_transform(self, x, transform_parameters):
        """Applies transform parameters (from get_random_transform) to one image (rank-3 array); returns numpy."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"apply_transform: expected one image of rank 3, received shape {x.shape}. For a batch, "
                             f"use apply_transforms.")
        return self.apply_transforms(x[None], [transform_parameters])[0]

    def apply_transforms(self, images, transform_parameters):
        """Applies one parameter dict per image to a batch (rank-4 array), on torch tensors; returns numpy."""
        tensor = self._to_channels_first(torch.as_tensor(np.asarray(images, dtype=self.dtype)))
        tensor = self._transform_tensor(tensor, transform_parameters)
        return self._from_channels_first(tensor).numpy()

    def _transform_tensor(self, images, parameters):
        """Affine resampling, channel shift, flips, then brightness, in Keras's order, on a channels_first batch."""
        shape = tuple(images.shape[2:])
        matrices = [image_transforms.affine_matrix(shape, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                                   p.get("shear", 0), p.get("zx", 1), p.get("zy", 1))
                    for p in parameters]
        images = image_transforms.affine_transform(images, matrices, self.fill_mode, self.cval,
                                                   self.interpolation_order)
        images = image_transforms.channel_shift(images, [p.get("channel_shift_intensity") for p in parameters])
        images = image_transforms.flip(images, [p.get("flip_horizontal", False) for p in parameters],
                                       [p.get("flip_vertical", False) for p in parameters])
        return image_transforms.brightness(images, [p.get("brightness") for p in parameters])

    def random_transform(self, x, seed=None):
        """One image, randomly augmented (get_random_transform then apply_transform)."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def standardize(self, x):
        """Applies preprocessing_function, rescale and the normalizations to one image or a batch (in place, as
        Keras does for float arrays); returns the result."""
        x = np.asarray(x)
        batch = self._preprocess(x if x.ndim == 4 else x[None])
        result = self._standardize_tensor(torch.as_tensor(np.ascontiguousarray(batch))).numpy()
        if x.ndim != 4:
            result = result[0]
        if x.dtype == result.dtype and x.shape == result.shape and x.flags.writeable:
            x[...] = result
            return x
        return result

    def _preprocess(self, batch):
        """preprocessing_function applied to each image of a numpy batch (the batch itself without one)."""
        if not self.preprocessing_function:
            return batch
        return np.stack([self.preprocessing_function(sample) for sample in batch]).astype(self.dtype, copy=False)

    def _standardize_tensor(self, batch):
        """rescale, samplewise and featurewise normalization and ZCA on a batch in this generator's layout."""
        if self.rescale:
            batch = batch * self.rescale
        sample_axes = tuple(range(1, batch.ndim))
        if self.samplewise_center:
            batch = batch - batch.mean(sample_axes, keepdim=True)
        if self.samplewise_std_normalization:
            batch = batch / (batch.std(sample_axes, keepdim=True, unbiased=False) + 1e-6)
        for enabled, value, name in ((self.featurewise_center, self.mean, "featurewise_center"),
                                     (self.featurewise_std_normalization, self.std, "featurewise_std_normalization"),
                                     (self.zca_whitening, self.zca_whitening_matrix, "zca_whitening")):
            if enabled and value is None:
                warnings.warn(f"This ImageDataGenerator specifies `{name}`, but it has not been fit on any training "
                              f"data. Call `.fit(x_train)` first.", UserWarning, stacklevel=4)
        if self.featurewise_center and self.mean is not None:
            batch = batch - torch.as_tensor(self.mean)
        if self.featurewise_std_normalization and self.std is not None:
            batch = batch / (torch.as_tensor(self.std) + 1e-6)
        if self.zca_whitening and self.zca_whitening_matrix is not None:
            matrix = torch.as_tensor(self.zca_whitening_matrix)
            flat = batch.reshape(len(batch), -1).to(matrix.dtype) @ matrix
            batch = flat.reshape(batch.shape).to(batch.dtype)
        return batch

    def augment_batch(self, images, random_state):
        """Draws parameters for each image (in order, from `random_state`), transforms and standardizes the batch.

        Args:
            images: numpy batch (rank 4) in this generator's layout.
            random_state: np.random or a np.random.RandomState.
        Returns:
            The augmented batch as a numpy array of this generator's dtype.
        """
        batch = self._preprocess(self._random_transforms(images, random_state))
        return self._standardize_tensor(torch.from_numpy(batch)).numpy()  # from_numpy shares memory: no copy

    def _random_transforms(self, images, random_state):
        """The batch with parameters drawn for each image in order from `random_state`, then applied."""
        return self.apply_transforms(images, [self._draw_transform(image.shape, random_state) for image in images])

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the featurewise mean, std and ZCA matrix from sample images (needed only for those options).

        Args:
            x: images, rank 4 in this generator's data_format.
            augment: also fit on `rounds` randomly augmented copies of x.
            seed: seed for those augmentations.
        """
        x = np.array(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: expected a batch of images of rank 4, received shape "
                             f"{x.shape}.")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f"ImageDataGenerator.fit: expected 1, 3 or 4 channels on axis {self.channel_axis} "
                          f"({self.data_format}); received shape {x.shape}. Check data_format.", UserWarning,
                          stacklevel=2)
        random_state = np.random if seed is None else np.random.RandomState(seed)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.concatenate([self._random_transforms(x, random_state) for _ in range(rounds)])
        statistic_axes = (0, self.row_axis, self.col_axis)
        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=statistic_axes), broadcast_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=statistic_axes), broadcast_shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = np.reshape(x, (len(x), -1))
            vectors, singular_values, _ = np.linalg.svd(flat.T, full_matrices=False)
            inverse_scale = np.sqrt(len(x)) / (singular_values + self.zca_epsilon)
            self.zca_whitening_matrix = (vectors * inverse_scale).dot(vectors.T)

    def _to_channels_first(self, batch):
        return batch if self.data_format == "channels_first" else batch.permute(0, 3, 1, 2)

    def _from_channels_first(self, batch):
        return batch if self.data_format == "channels_first" else batch.permute(0, 2, 3, 1).contiguous()


def _zoom_bounds(zoom_range):
    if isinstance(zoom_range, (int, float)):
        return [1 - zoom_range, 1 + zoom_range]
    if isinstance(zoom_range, (tuple, list)) and len(zoom_range) == 2 and all(
            isinstance(value, (int, float)) for value in zoom_range):
        return [zoom_range[0], zoom_range[1]]
    raise ValueError(f"ImageDataGenerator: `zoom_range` must be a float or a (low, high) pair of floats, received "
                     f"{zoom_range!r}.")


def _draw_shift(shift_range, size, random_state):
    """A shift in pixels drawn as Keras does: a choice (with a random sign) for ints and lists, else uniform."""
    if not shift_range:
        return 0
    try:
        shift = random_state.choice(shift_range)
        shift *= random_state.choice([-1, 1])
    except ValueError:  # a float range: numpy's choice refuses it before drawing anything
        shift = random_state.uniform(-shift_range, shift_range)
    if np.max(shift_range) < 1:
        shift *= size
    return shift


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2, channel_axis=0,
                           fill_mode="nearest", cval=0.0, order=1):
    """Applies one affine transform to one image (rank-3 array), as Keras's function of the same name.

    Args:
        x: image array; axes named by row_axis, col_axis and channel_axis (channels first or last).
        theta: rotation (degrees); tx, ty: shifts (pixels) along rows and columns; shear: degrees;
            zx, zy: zoom along rows and columns.
        fill_mode, cval: how points outside the image are filled ('constant', 'nearest', 'reflect', 'wrap').
        order: 1 (bilinear) or 0 (nearest pixel).
    """
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2] or channel_axis not in (0, 2):
        raise ValueError(f"apply_affine_transform: row_axis, col_axis and channel_axis must be 0, 1, 2 in some order "
                         f"with channels first (0) or last (2); received {row_axis}, {col_axis}, {channel_axis}.")
    x = np.asarray(x)
    check_choice("fill_mode", fill_mode, image_transforms.FILL_MODES, owner="apply_affine_transform")
    check_choice("order", order, INTERPOLATION_ORDERS, owner="apply_affine_transform")
    matrix = image_transforms.affine_matrix((x.shape[row_axis], x.shape[col_axis]), theta, tx, ty, shear, zx, zy)
    if matrix is None:
        return x
    if row_axis > col_axis:  # the image is read (columns, rows): Keras then uses the matrix unswapped
        matrix = matrix[[1, 0]][:, [1, 0, 2]]
    channels_first = torch.as_tensor(np.ascontiguousarray(np.moveaxis(x, channel_axis, 0)))
    result = image_transforms.affine_transform(channels_first[None], [matrix], fill_mode, cval, order)[0].numpy()
    return np.moveaxis(result, 0, channel_axis)
