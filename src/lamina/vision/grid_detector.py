"""GridDetector: the seed's regions. An S x S grid of cells predicts, per class, whether an object's centre is in
the cell, and that object's box (lamina.vision.grid_encoding); decoded to boxes with per-class NMS.

The model is a small ConvNet whose output stride is image_size / grid_size: pixels scaled to [0, 1], blocks of a
3x3 convolution, batch normalization and 2x2 max pooling (32, 64, 128, ... filters), one more 3x3 convolution,
then a 1x1 convolution to classes + 4 sigmoid channels. The loss is binary crossentropy on the class channels
(positives weighted by `positive_weight`, as cells with objects are rare) plus L1 on the box channels of the cells
that hold an object.
"""
import math

import numpy as np
import torch

from lamina import optimizers
from lamina.layers import BatchNormalization, Conv2D, Input, MaxPooling2D, Rescaling
from lamina.models import Model
from lamina.vision.grid_encoding import decode_grid, encode_boxes
from lamina.vision.localization import AugmentedBatches, _ImageRegressor
from lamina.vision.localization_metrics import mean_average_precision


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
        augment: None (augmentation of the grid targets is not available yet).

    Example:
        >>> detector = GridDetector(["disc", "square", "triangle"], image_size=64, grid_size=8)
        >>> detector.fit(images, boxes, labels, epochs=20)        # boxes: a list of (M_i, 4) pixel arrays
        >>> detector.predict(images)[0]                            # {'boxes', 'scores', 'labels'}
    """

    kind = "grid"

    def __init__(self, class_names, image_size=64, grid_size=8, augment=None):
        super().__init__(image_size, augment)
        stages = math.log2(self.image_size[0] / grid_size)
        if self.image_size[0] != self.image_size[1] or stages != int(stages) or stages < 1:
            raise ValueError(f"GridDetector: image_size must be a square side grid_size times a power of two; "
                             f"received image_size={image_size!r}, grid_size={grid_size}.")
        if augment is not None:
            raise ValueError("GridDetector: augmentation is not available yet; pass augment=None.")
        self.class_names, self.grid_size, self.stages = list(class_names), int(grid_size), int(stages)

    def _build(self):
        images = Input((3, *self.image_size), name="images")
        x = Rescaling(1 / 255, name="scale")(images)
        for stage in range(self.stages):
            x = Conv2D(32 * 2 ** stage, 3, padding="same", activation="relu", data_format="channels_first",
                       name=f"conv_{stage + 1}")(x)
            x = BatchNormalization(axis=1, momentum=0.9, name=f"batch_norm_{stage + 1}")(x)
            x = MaxPooling2D(2, data_format="channels_first", name=f"pool_{stage + 1}")(x)
        x = Conv2D(128, 3, padding="same", activation="relu", data_format="channels_first", name="cells")(x)
        grid = Conv2D(len(self.class_names) + 4, 1, activation="sigmoid", data_format="channels_first",
                      name="grid")(x)
        self.model = Model(images, grid, name="grid_detector")

    def fit(self, images, boxes, labels, epochs=20, batch_size=32, learning_rate=1e-3, validation_split=0.1, seed=0,
            verbose=1):
        """Trains on images, their boxes (a list of (M_i, 4) arrays in pixels of each image) and class indices."""
        pixels, sizes = self.images(images)
        scales = [np.tile(np.array(self.image_size[::-1], dtype=np.float32) / size, 2) for size in sizes]
        grids = torch.stack([encode_boxes(np.asarray(image_boxes, dtype=np.float32).reshape(-1, 4) * scale,
                                          image_labels, self.image_size[::-1], self.grid_size, len(self.class_names))
                             for image_boxes, image_labels, scale in zip(boxes, labels, scales)])
        if self.model is None:
            self._build()
        return self._fit(pixels, grids, self._encode, grid_loss(len(self.class_names)), epochs, batch_size,
                         learning_rate, validation_split, seed, verbose)

    @staticmethod
    def _encode(images, grids, augment, generator):
        return images, grids

    def predict(self, images, threshold=0.05, iou_threshold=0.5, batch_size=64):
        """One {'boxes' (K, 4) pixels of each input image, 'scores' (K,), 'labels' (K,) indices} per image."""
        self._require_model("predict")
        pixels, sizes = self.images(images)
        results = []
        for grid, size in zip(self._outputs(pixels, batch_size), sizes):
            boxes, scores, labels = decode_grid(torch.from_numpy(grid), self.image_size[::-1], threshold,
                                                iou_threshold)
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
