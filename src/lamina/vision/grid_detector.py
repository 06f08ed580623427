"""GridDetector: the seed's regions. An S x S grid of cells predicts, per class, whether an object covers the cell,
and that object's box (lamina.vision.grid_encoding); decoded to boxes with per-class NMS.

The model is a small ConvNet whose output stride is image_size / grid_size: pixels scaled to [0, 1], blocks of a
3x3 convolution, batch normalization and 2x2 max pooling (32, 64, 128, ... filters), one more 3x3 convolution,
then a 1x1 convolution to classes + 4 sigmoid channels. The loss is binary crossentropy on the class channels
(positives weighted by `positive_weight`, as cells with objects are rare) plus L1 on the box channels of the cells
that hold an object. Batches are augmented (TargetAugmentation moves the boxes) and encoded as grids on the fly.
"""
import math

import numpy as np
import torch

from lamina.layers import BatchNormalization, Conv2D, Input, MaxPooling2D, Rescaling
from lamina.models import Model
from lamina.vision.backbones import build_backbone
from lamina.vision.classifier import image_features_model
from lamina.vision.grid_encoding import decode_grid, encode_boxes
from lamina.vision.localization import _ImageRegressor
from lamina.vision.localization_metrics import mean_average_precision
from lamina.vision.target_augment import TargetAugmentation


def padded_targets(boxes, labels, scales):
    """(N, M, 5) float32 (x_min, y_min, x_max, y_max, class) of each image's boxes scaled by its (x, y) scale,
    rows past an image's boxes NaN: one tensor, so that batches can be drawn from it."""
    most = max([len(np.asarray(image_labels).reshape(-1)) for image_labels in labels] + [1])
    targets = torch.full((len(boxes), most, 5), float("nan"))
    for row, (image_boxes, image_labels, scale) in enumerate(zip(boxes, labels, scales)):
        image_boxes = np.asarray(image_boxes, dtype=np.float32).reshape(-1, 4) * np.tile(scale, 2)
        image_labels = np.asarray(image_labels, dtype=np.float32).reshape(-1)
        if len(image_labels) != len(image_boxes):
            raise ValueError(f"GridDetector.fit: image {row} has {len(image_boxes)} boxes and {len(image_labels)} "
                             f"labels; give one class index per box.")
        targets[row, :len(image_labels)] = torch.from_numpy(np.column_stack([image_boxes, image_labels]))
    return targets


def grid_loss(classes, positive_weight=5.0, box_weight=5.0):
    """The loss of (batch, classes + 4, S, S) grids: weighted BCE on the class channels + L1 on occupied boxes."""
    def loss(y_true, y_pred):
        scores, truth = y_pred[:, :classes].clamp(1e-6, 1 - 1e-6), y_true[:, :classes]
        crossentropy = -(positive_weight * truth * scores.log() + (1 - truth) * (1 - scores).log()).mean()
        occupied = truth.amax(dim=1, keepdim=True)
        box_error = ((y_pred[:, classes:] - y_true[:, classes:]).abs() * occupied).sum()
        return crossentropy + box_weight * box_error / (4 * occupied.sum()).clamp_min(1.0)

    loss.__name__ = "grid_loss"
    return loss


class GridDetector(_ImageRegressor):
    """Objects of several classes per image, as an S x S grid of cells (DetectNet's coverage grid).

    Args:
        class_names: the classes, in label order.
        image_size: images are resized to this square side; a multiple of grid_size by a power of two.
        grid_size: cells per side (8: one cell per 8 pixels of a 64-pixel image).
        backbone: None for the ConvNet above, a name in lamina.vision.backbones.BACKBONES (taken without its
            pooling) or your own lamina Model from ImageNet-normalized images to a (batch, channels, grid_size,
            grid_size) feature map; e.g. 'resnet18' with image_size 256 for an 8 x 8 grid.
        weights: 'imagenet', None, or a path (for a named backbone).
        augment: a TargetAugmentation (boxes move with the pixels and are re-encoded per batch), or None;
            default: flips, zooms of 0.8-1.2, 10% shifts and colour jitter (no rotation: it would widen boxes).

    Example:
        >>> detector = GridDetector(["disc", "square", "triangle"], image_size=64, grid_size=8)
        >>> detector.fit(images, boxes, labels, epochs=25)        # boxes: a list of (M_i, 4) pixel arrays
        >>> detector.predict(images)[0]                            # {'boxes', 'scores', 'labels'}
    """

    kind = "grid"
    cosine_decay = True

    def __init__(self, class_names, image_size=64, grid_size=8, augment="default", backbone=None,
                 weights="imagenet"):
        if augment == "default":
            augment = TargetAugmentation(flip=0.5, scale=(0.8, 1.2), shift=0.1, brightness=0.2, contrast=0.2)
        super().__init__(image_size, augment)
        stages = math.log2(self.image_size[0] / grid_size)
        if backbone is None and (self.image_size[0] != self.image_size[1] or stages != int(stages) or stages < 1):
            raise ValueError(f"GridDetector: image_size must be a square side grid_size times a power of two; "
                             f"received image_size={image_size!r}, grid_size={grid_size}.")
        self.class_names, self.grid_size, self.stages = list(class_names), int(grid_size), int(stages)
        self.backbone, self.weights = backbone, weights

    def _build(self):
        images = Input((3, *self.image_size), name="images")
        x = self._backbone_map(images) if self.backbone is not None else self._convnet(images)
        x = Conv2D(128, 3, padding="same", activation="relu", data_format="channels_first", name="cells")(x)
        grid = Conv2D(len(self.class_names) + 4, 1, activation="sigmoid", data_format="channels_first",
                      name="grid")(x)
        self.model = Model(images, grid, name="grid_detector")

    def _convnet(self, images):
        x = Rescaling(1 / 255, name="scale")(images)
        for stage in range(self.stages):
            x = Conv2D(32 * 2 ** stage, 3, padding="same", activation="relu", data_format="channels_first",
                       name=f"conv_{stage + 1}")(x)
            x = BatchNormalization(axis=1, momentum=0.9, name=f"batch_norm_{stage + 1}")(x)
            x = MaxPooling2D(2, data_format="channels_first", name=f"pool_{stage + 1}")(x)
        return x

    def _backbone_map(self, images):
        shape = (3, *self.image_size)
        backbone = self.backbone if isinstance(self.backbone, Model) else build_backbone(self.backbone, self.weights,
                                                                                         shape, pooling=None)
        feature_map = image_features_model(backbone, shape, "channels_first")(images)
        if tuple(feature_map.shape[1:][-2:]) != (self.grid_size, self.grid_size) or len(feature_map.shape) != 4:
            raise ValueError(f"GridDetector: the backbone's feature map must be {self.grid_size} x {self.grid_size} "
                             f"cells (batch, channels, {self.grid_size}, {self.grid_size}) for grid_size="
                             f"{self.grid_size}; at image_size={self.image_size} it is {tuple(feature_map.shape[1:])}. "
                             f"Change image_size or grid_size.")
        return feature_map

    def fit(self, images, boxes, labels, epochs=30, batch_size=32, learning_rate=3e-3, validation_split=0.1, seed=0,
            verbose=1):
        """Trains on images, their boxes (a list of (M_i, 4) arrays in pixels of each image) and class indices."""
        pixels, sizes = self.images(images)
        targets = padded_targets(boxes, labels, np.array(self.image_size[::-1], dtype=np.float32) / sizes)
        if self.model is None:
            self._build()
        return self._fit(pixels, targets, self._encode, grid_loss(len(self.class_names)), epochs, batch_size,
                         learning_rate, validation_split, seed, verbose)

    def _encode(self, images, targets, augment, generator):
        """(images, grids) after augmentation: the padded targets (B, M, 5) split per image, moved, encoded."""
        present = [torch.isfinite(rows[:, 0]) for rows in targets]
        boxes = [rows[keep, :4] for rows, keep in zip(targets, present)]
        labels = [rows[keep, 4].long() for rows, keep in zip(targets, present)]
        if augment is not None:
            moved = augment(images, boxes=boxes, generator=generator)
            images, boxes = moved.images, moved.boxes
            labels = [image_labels[kept] for image_labels, kept in zip(labels, moved.kept_boxes)]
        size = images.shape[-1], images.shape[-2]
        return images, torch.stack([encode_boxes(image_boxes, image_labels, size, self.grid_size,
                                                 len(self.class_names))
                                    for image_boxes, image_labels in zip(boxes, labels)])

    def predict(self, images, threshold=0.05, iou_threshold=0.5, agnostic=False, batch_size=64):
        """One {'boxes' (K, 4) pixels of each input image, 'scores' (K,), 'labels' (K,) indices} per image; NMS per
        class, or across classes with agnostic=True (one label per place, as `lamina predict` shows them)."""
        self._require_model("predict")
        pixels, sizes = self.images(images)
        results = []
        for grid, size in zip(self._outputs(pixels, batch_size), sizes):
            boxes, scores, labels = decode_grid(torch.from_numpy(grid), self.image_size[::-1], threshold,
                                                iou_threshold, agnostic)
            scale = np.tile(size / np.array(self.image_size[::-1], dtype=np.float32), 2)
            results.append({"boxes": boxes.numpy() * scale, "scores": scores.numpy(), "labels": labels.numpy()})
        return results

    def evaluate(self, images, boxes, labels, iou_thresholds=0.5):
        """COCO mean average precision (lamina.vision.localization_metrics) of the predictions."""
        targets = [{"boxes": np.asarray(image_boxes, dtype=np.float32).reshape(-1, 4), "labels": image_labels}
                   for image_boxes, image_labels in zip(boxes, labels)]
        return mean_average_precision(self.predict(images), targets, iou_thresholds=iou_thresholds)

    def _settings(self):
        return {"class_names": self.class_names, "grid_size": self.grid_size}
