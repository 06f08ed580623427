"""Regression from images: keypoints (KeypointRegressor) and steering angles (SteeringRegressor, NVIDIA's PilotNet).

Both train a lamina Model with `fit` on batches that TargetAugmentation moves with their targets. Keypoints are
learned as fractions of the image's width and height (a sigmoid output), with a mask for missing points, and
returned in pixels of each input image. A horizontal flip negates a steering angle.
"""
import numpy as np
import torch
from PIL import Image

from lamina import optimizers
from lamina.identifiers import check_choice
from lamina.layers import Conv2D, Dense, Dropout, Flatten, Input, Rescaling, Reshape
from lamina.models import Model
from lamina.utils import Sequence
from lamina.vision.backbones import build_backbone
from lamina.vision.classifier import image_features_model
from lamina.vision.localization_metrics import angle_mae, keypoint_rmse, pck
from lamina.vision.pictures import as_image
from lamina.vision.target_augment import TargetAugmentation

METADATA_KEY = "image_regressor"


def masked_squared_error(y_true, y_pred):
    """Mean squared error over the visible points: y_true (batch, points, 3) holds (x, y, visible)."""
    visible = y_true[..., 2:]
    squared = (y_pred - y_true[..., :2]).square() * visible
    return squared.sum() / (2 * visible.sum()).clamp_min(1.0)


def masked_smooth_l1(y_true, y_pred, beta=0.02):
    """Smooth L1 (Huber) over the visible points, with `beta` in fractions of the image (torch's smooth_l1_loss)."""
    visible = y_true[..., 2:]
    errors = torch.nn.functional.smooth_l1_loss(y_pred, y_true[..., :2], reduction="none", beta=beta) * visible
    return errors.sum() / (2 * visible.sum()).clamp_min(1.0)


POINT_LOSSES = {"mse": masked_squared_error, "smooth_l1": masked_smooth_l1}


class AugmentedBatches(Sequence):
    """Batches of (float images, targets) drawn in a seeded order, augmented with their points or angles."""

    def __init__(self, images, targets, batch_size, augment, encode, seed=0):
        self.images, self.targets, self.batch_size = images, targets, batch_size
        self.augment, self.encode = augment, encode
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(len(images), generator=self.generator)

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.encode(self.images[rows].float(), self.targets[rows], self.augment, self.generator)

    def on_epoch_end(self):
        self.order = torch.randperm(len(self.images), generator=self.generator)


class _ImageRegressor:
    """What the localization models share: images of one size in, a Model, fit, save."""

    kind = None
    cosine_decay = False  # Adam's rate decayed to 0 over the epochs (the box models), else constant

    def __init__(self, image_size, augment):
        self.image_size = tuple(image_size) if not isinstance(image_size, int) else (image_size, image_size)
        self.augment = augment
        self.model = self.history = None

    def images(self, inputs):
        """(uint8 tensor (N, 3, height, width) at image_size, the original (width, height) of each)."""
        batch = isinstance(inputs, (list, tuple)) or (isinstance(inputs, (np.ndarray, torch.Tensor))
                                                      and np.ndim(inputs) == 4)
        pictures = [as_image(item).convert("RGB") for item in (inputs if batch else [inputs])]
        resized = [np.asarray(picture.resize(self.image_size[::-1], Image.Resampling.BILINEAR)) for picture in pictures]
        sizes = np.array([picture.size for picture in pictures], dtype=np.float32)
        return torch.from_numpy(np.stack(resized).transpose(0, 3, 1, 2).copy()), sizes

    def _fit(self, images, targets, encode, loss, epochs, batch_size, learning_rate, validation_split, seed, verbose):
        held_out = np.zeros(len(images), dtype=bool)
        held_out[np.random.default_rng(seed).permutation(len(images))[:int(validation_split * len(images))]] = True
        train = AugmentedBatches(images[~held_out], targets[~held_out], batch_size, self.augment, encode, seed)
        if self.cosine_decay:
            learning_rate = optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, epochs * len(train)))
        self.model.compile(optimizer=optimizers.Adam(learning_rate), loss=loss)
        validation = None
        if held_out.any():
            validation = AugmentedBatches(images[held_out], targets[held_out], batch_size, None, encode, seed)
        self.history = self.model.fit(train, epochs=epochs, validation_data=validation, verbose=verbose)
        return self.history

    def _outputs(self, images, batch_size=64):
        return self.model.predict(images.float().numpy(), batch_size=batch_size)

    def _require_model(self, method):
        if self.model is None:
            raise ValueError(f"{type(self).__name__}.{method}: there is no trained model yet; call fit first.")

    def save(self, path):
        """Writes the model and its settings to one `.lamina` file, atomically."""
        self._require_model("save")
        self.model.metadata = {METADATA_KEY: {"kind": self.kind, "image_size": list(self.image_size),
                                              **self._settings()}}
        self.model.save(path, include_optimizer=False)


class KeypointRegressor(_ImageRegressor):
    """K keypoints (x, y) per image from a backbone's pooled features, learned as fractions of the image size.

    Args:
        n_points: keypoints per image.
        backbone: a name in lamina.vision.backbones.BACKBONES, or your own lamina Model from ImageNet-normalized
            (3, height, width) images to (batch, features).
        weights: 'imagenet', None, or a path (for a named backbone).
        image_size: images are resized to this (height, width) (an int: square).
        pairs: (left, right) point indices swapped on a horizontal flip.
        augment: a TargetAugmentation, or None; default: flips (with `pairs`), +-10 degrees, scale 0.9-1.1, 5%
            shifts and colour jitter.
        loss: 'mse' or 'smooth_l1', over the visible points.

    Example:
        >>> regressor = KeypointRegressor(5, "resnet18", image_size=96, pairs=[(0, 1), (3, 4)])
        >>> regressor.fit(images, points, epochs=30)        # points (N, 5, 2) pixels, NaN where missing
        >>> regressor.predict(["face.jpg"])                 # (1, 5, 2) pixels of face.jpg
    """

    kind = "keypoints"

    def __init__(self, n_points, backbone="resnet18", weights="imagenet", image_size=96, pairs=(), augment="default",
                 loss="mse"):
        if augment == "default":
            augment = TargetAugmentation(flip=0.5, pairs=pairs, rotation=10, scale=(0.9, 1.1), shift=0.05,
                                         brightness=0.2, contrast=0.2)
        super().__init__(image_size, augment)
        self.n_points, self.backbone, self.weights, self.pairs = int(n_points), backbone, weights, list(pairs)
        self.loss = POINT_LOSSES[check_choice("loss", loss, tuple(POINT_LOSSES), owner="KeypointRegressor")]

    def _build(self):
        shape = (3, *self.image_size)
        backbone = self.backbone if isinstance(self.backbone, Model) else build_backbone(self.backbone, self.weights,
                                                                                         shape)
        features = image_features_model(backbone, shape, "channels_first")  # 0-255 -> ImageNet normalized
        fractions = Dense(2 * self.n_points, activation="sigmoid", name="points")(
            Dropout(0.1, name="head_dropout")(features.outputs[0]))
        self.model = Model(features.inputs[0], Reshape((self.n_points, 2), name="keypoints")(fractions),
                           name="keypoint_regressor")

    def fit(self, images, points, epochs=30, batch_size=32, learning_rate=1e-3, validation_split=0.1, seed=0,
            verbose=1):
        """Trains on images (paths, PIL images or uint8 arrays (N, 3, H, W)) and their points (N, K, 2) in pixels
        of each image (NaN for missing points)."""
        pixels, sizes = self.images(images)
        points = np.asarray(points, dtype=np.float32)
        if points.shape[1:] != (self.n_points, 2) or len(points) != len(pixels):
            raise ValueError(f"KeypointRegressor.fit: points must be ({len(pixels)}, {self.n_points}, 2), one (x, y) "
                             f"per keypoint of each image; received {points.shape}.")
        scale = np.array(self.image_size[::-1], dtype=np.float32) / sizes[:, None, :]
        if self.model is None:
            self._build()
        return self._fit(pixels, torch.from_numpy(points * scale), self._encode, self.loss, epochs,
                         batch_size, learning_rate, validation_split, seed, verbose)

    def _encode(self, images, points, augment, generator):
        """(images, (x / width, y / height, visible)) after augmentation."""
        if augment is not None:
            moved = augment(images, points=points, generator=generator)
            images, points = moved.images, moved.points
        visible = torch.isfinite(points).all(-1, keepdim=True)
        height, width = images.shape[-2:]
        fractions = torch.nan_to_num(points / torch.tensor([width, height]), nan=0.0)
        return images, torch.cat([fractions, visible.float()], dim=-1)

    def predict(self, images, batch_size=64):
        """(N, K, 2) float32 keypoints in pixels of each input image."""
        self._require_model("predict")
        pixels, sizes = self.images(images)
        return self._outputs(pixels, batch_size) * sizes[:, None, :]

    def evaluate(self, images, points, alpha=0.1):
        """{'rmse' (pixels of the input images), 'pck' (at alpha)} of the predictions against `points`."""
        predicted = self.predict(images)
        return {"rmse": keypoint_rmse(predicted, points), "pck": pck(predicted, points, alpha=alpha)}

    def _settings(self):
        return {"n_points": self.n_points, "pairs": self.pairs}


def pilotnet(input_shape=(3, 66, 200)):
    """NVIDIA's PilotNet (Bojarski et al. 2016): pixels scaled to [-1, 1], five convolutions (24, 36, 48 filters of
    5x5 with stride 2; 64, 64 of 3x3), then 100, 50 and 10 units and one output, ELU activations."""
    images = Input(input_shape, name="images")
    x = Rescaling(1 / 127.5, offset=-1.0, name="scale")(images)
    for index, (filters, size, stride) in enumerate([(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]):
        x = Conv2D(filters, size, strides=stride, activation="elu", data_format="channels_first",
                   name=f"conv_{index + 1}")(x)
    x = Flatten(name="flatten")(x)
    for units in (100, 50, 10):
        x = Dense(units, activation="elu", name=f"dense_{units}")(x)
    return Model(images, Dense(1, name="steering")(x), name="pilotnet")


class SteeringRegressor(_ImageRegressor):
    """A steering angle (or any scalar that a horizontal flip negates) per image; NVIDIA's PilotNet by default.

    Args:
        model: None for pilotnet(image_size), or your own lamina Model from (3, height, width) 0-255 images to
            (batch, 1).
        image_size: (height, width); PilotNet's is (66, 200).
        augment: a TargetAugmentation whose flip probability and colour jitter are used (a flip negates the angle;
            its rotations, scales and shifts are not, since they would change the right answer), or None; default:
            flips and colour jitter.
    """

    kind = "steering"

    def __init__(self, model=None, image_size=(66, 200), augment="default"):
        if augment == "default":
            augment = TargetAugmentation(flip=0.5, brightness=0.3, contrast=0.2)
        super().__init__(image_size, augment)
        self.model = model or pilotnet((3, *self.image_size))

    def fit(self, images, angles, epochs=30, batch_size=32, learning_rate=1e-3, validation_split=0.1, seed=0,
            verbose=1):
        """Trains on images and their angles (N,) (MSE)."""
        pixels, _ = self.images(images)
        angles = torch.as_tensor(np.asarray(angles, dtype=np.float32)).reshape(-1, 1)
        return self._fit(pixels, angles, self._encode, "mse", epochs, batch_size, learning_rate, validation_split,
                         seed, verbose)

    @staticmethod
    def _encode(images, angles, augment, generator):
        """Flips (negating the angle) with the augmentation's flip probability, then its colour changes."""
        if augment is None:
            return images, angles
        flips = torch.rand(len(images), generator=generator) < augment.flip
        images = torch.where(flips[:, None, None, None], images.flip(-1), images)
        return augment.colour(images, generator), torch.where(flips[:, None], -angles, angles)

    def predict(self, images, batch_size=64):
        """(N,) float32 angles."""
        return self._outputs(self.images(images)[0], batch_size)[:, 0]

    def evaluate(self, images, angles):
        """{'mae'} of the predicted angles (degrees)."""
        return {"mae": angle_mae(self.predict(images), angles)}

    def _settings(self):
        return {}
