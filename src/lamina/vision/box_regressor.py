"""BoxRegressor: one object per image, its box and its class, from a backbone's feature map.

Each cell of the backbone's (channels, h, w) feature map says, through a 1x1 convolution, how likely the object's
centre is in it (a logit), where in the cell the centre is, the box's width and height, and class logits. A softmax
over the cells turns the logits into weights, and the box and class logits are the weighted averages of the cells'
(a soft arg-max, `CellAttentionBox`): the position comes from where the evidence is, as in a grid detector, yet the
model is trained end to end on one box. The loss is torchvision's generalized IoU loss plus L1 on the box as
fractions of the image, plus crossentropy on the class.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import box_iou, generalized_box_iou_loss

from lamina.layers import Conv2D, Layer
from lamina.models import Model
from lamina.vision.backbones import build_backbone
from lamina.vision.classifier import image_features_model
from lamina.vision.localization import _ImageRegressor
from lamina.vision.target_augment import TargetAugmentation


class CellAttentionBox(Layer):
    """(batch, 5 + classes, h, w) cell outputs -> (batch, 4 + classes): the box (x_min, y_min, x_max, y_max) as
    fractions of the image, then class probabilities, each the softmax-weighted average over the cells.

    Channel 0 is the cell's logit of holding the object's centre, 1-2 the centre within the cell (a sigmoid spread
    to [-0.5, 1.5], so that a cell may point into its neighbours), 3-4 the width and height as fractions of the
    image (sigmoid), the rest class logits.
    """

    def call(self, inputs):
        batch, channels, height, width = inputs.shape
        weights = inputs[:, 0].flatten(1).softmax(dim=1)                       # (batch, h * w)
        rows, columns = torch.meshgrid(torch.arange(height, device=inputs.device, dtype=inputs.dtype),
                                       torch.arange(width, device=inputs.device, dtype=inputs.dtype), indexing="ij")
        offsets = 2 * inputs[:, 1:3].sigmoid() - 0.5
        centres = torch.stack([(columns + offsets[:, 0]) / width, (rows + offsets[:, 1]) / height], dim=1)
        sizes = inputs[:, 3:5].sigmoid()
        averaged = torch.einsum("bcn,bn->bc", torch.cat([centres, sizes, inputs[:, 5:]], dim=1).flatten(2), weights)
        centre, size = averaged[:, :2], averaged[:, 2:4]
        return torch.cat([centre - size / 2, centre + size / 2, averaged[:, 4:].softmax(dim=1)], dim=1)


def box_loss(y_true, y_pred):
    """Generalized IoU loss + L1 on the boxes (fractions) + crossentropy on the classes, over samples whose box is
    present: y_true (batch, 6) holds (x_min, y_min, x_max, y_max, class index, present)."""
    present = y_true[:, 5]
    boxes, truth = y_pred[:, :4], y_true[:, :4]
    classes = y_pred[:, 4:].clamp_min(1e-7).log()
    per_sample = (generalized_box_iou_loss(boxes, truth, reduction="none") + (boxes - truth).abs().sum(dim=1)
                  + F.nll_loss(classes, y_true[:, 4].long(), reduction="none"))
    return (per_sample * present).sum() / present.sum().clamp_min(1.0)


class BoxRegressor(_ImageRegressor):
    """One object per image: its box in pixels and its class, on any backbone that gives a feature map.

    Args:
        class_names: the classes, in label order.
        backbone: a name in lamina.vision.backbones.BACKBONES (taken without its pooling), or your own lamina Model
            from ImageNet-normalized (3, height, width) images to a (batch, channels, h, w) feature map.
        weights: 'imagenet', None, or a path (for a named backbone).
        image_size: images are resized to this (height, width) (an int: square).
        augment: a TargetAugmentation, or None; default: flips, zooms of 0.9-1.1, 5% shifts and colour jitter.

    Example:
        >>> regressor = BoxRegressor(["cat", "dog"], "resnet18", image_size=128)
        >>> regressor.fit(images, boxes, labels, epochs=20)       # boxes (N, 4) pixels, labels (N,) indices
        >>> regressor.predict(["pet.jpg"])                         # {'boxes' (1, 4), 'labels', 'scores'}
    """

    kind = "box"
    cosine_decay = True

    def __init__(self, class_names, backbone="resnet18", weights="imagenet", image_size=96, augment="default"):
        if augment == "default":
            augment = TargetAugmentation(flip=0.5, scale=(0.9, 1.1), shift=0.05, brightness=0.2, contrast=0.2)
        super().__init__(image_size, augment)
        self.class_names, self.backbone, self.weights = list(class_names), backbone, weights

    def _build(self):
        shape = (3, *self.image_size)
        backbone = self.backbone if isinstance(self.backbone, Model) else build_backbone(self.backbone, self.weights,
                                                                                         shape, pooling=None)
        features = image_features_model(backbone, shape, "channels_first")
        if len(features.outputs[0].shape) != 4:
            raise ValueError(f"BoxRegressor: the backbone must give a feature map (batch, channels, h, w), not "
                             f"{tuple(features.outputs[0].shape)}; leave out its pooling and Flatten.")
        cells = Conv2D(5 + len(self.class_names), 1, data_format="channels_first", name="cells")(features.outputs[0])
        self.model = Model(features.inputs[0], CellAttentionBox(name="box")(cells), name="box_regressor")

    def fit(self, images, boxes, labels, epochs=20, batch_size=32, learning_rate=3e-3, validation_split=0.1, seed=0,
            verbose=1):
        """Trains on images, one box (N, 4) in pixels of each image, and class indices (N,)."""
        pixels, sizes = self.images(images)
        boxes, labels = np.asarray(boxes, dtype=np.float32), np.asarray(labels).reshape(-1)
        if boxes.shape != (len(pixels), 4) or len(labels) != len(pixels):
            raise ValueError(f"BoxRegressor.fit: give one box (x_min, y_min, x_max, y_max) and one class index per "
                             f"image: boxes ({len(pixels)}, 4) and labels ({len(pixels)},); received boxes "
                             f"{boxes.shape} and labels {labels.shape}.")
        if not np.isin(labels, np.arange(len(self.class_names))).all():
            raise ValueError(f"BoxRegressor.fit: labels must be class indices in [0, {len(self.class_names)}); "
                             f"received {sorted(set(labels.tolist()) - set(range(len(self.class_names))))[:5]}.")
        scaled = boxes * np.tile(np.array(self.image_size[::-1], dtype=np.float32) / sizes, 2)
        targets = torch.from_numpy(np.column_stack([scaled, labels]).astype(np.float32))
        if self.model is None:
            self._build()
        return self._fit(pixels, targets, self._encode, box_loss, epochs, batch_size, learning_rate,
                         validation_split, seed, verbose)

    @staticmethod
    def _encode(images, targets, augment, generator):
        """(images, (box fractions, class, present)) after augmentation; a box pushed out of the image is absent."""
        boxes, present = targets[:, :4], torch.ones(len(targets))
        if augment is not None:
            moved = augment(images, boxes=[box[None] for box in boxes], generator=generator)
            images = moved.images
            present = torch.tensor([float(len(kept)) for kept in moved.kept_boxes])
            boxes = torch.stack([box[0] if len(box) else torch.zeros(4) for box in moved.boxes])
        height, width = images.shape[-2:]
        fractions = boxes / torch.tensor([width, height, width, height], dtype=boxes.dtype)
        return images, torch.cat([fractions, targets[:, 4:5], present[:, None]], dim=1)

    def predict(self, images, batch_size=64):
        """{'boxes' (N, 4) pixels of each input image, 'labels' (N,) class indices, 'scores' (N,) their
        probabilities}."""
        self._require_model("predict")
        pixels, sizes = self.images(images)
        outputs = self._outputs(pixels, batch_size)
        probabilities = outputs[:, 4:]
        return {"boxes": outputs[:, :4] * np.tile(sizes, 2), "labels": probabilities.argmax(axis=1),
                "scores": probabilities.max(axis=1)}

    def evaluate(self, images, boxes, labels):
        """{'iou': mean IoU of the predicted and true boxes, 'accuracy': of the classes}."""
        found = self.predict(images)
        overlaps = box_iou(torch.from_numpy(found["boxes"]), torch.as_tensor(np.asarray(boxes, dtype=np.float32)))
        return {"iou": float(overlaps.diagonal().mean()),
                "accuracy": float(np.mean(found["labels"] == np.asarray(labels).reshape(-1)))}

    def _settings(self):
        return {"class_names": self.class_names}
