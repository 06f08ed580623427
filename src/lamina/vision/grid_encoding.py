"""The seed's regions: boxes encoded as an S x S grid of cells, each predicting, per class, whether an object's
centre falls in it (DetectNet's coverage), and the box of that object; and grids decoded back to boxes.

A grid target is a float32 tensor (classes + 4, S, S): channels 0..classes-1 hold 1 where a box of that class has
its centre in the cell; the last four hold the box as (centre x within the cell, centre y within the cell, width
/ image width, height / image height), each in [0, 1]. When two boxes share a cell, the larger one is kept there.
Decoding takes every cell and class whose score reaches `threshold`, turns its offsets back into a pixel box, and
keeps the best of overlapping boxes of one class (non-maximum suppression, torchvision's).
"""
import numpy as np
import torch

from lamina.layers.core import check_positive_int
from lamina.vision.localization_metrics import non_max_suppression


def encode_boxes(boxes, labels, image_size, grid_size, classes):
    """The grid target (classes + 4, S, S) of one image's boxes (M, 4) in pixels (x_min, y_min, x_max, y_max),
    with class indices `labels` (M,), for an image of `image_size` (width, height)."""
    grid_size = check_positive_int("encode_boxes", "grid_size", grid_size)
    width, height = image_size
    boxes = torch.as_tensor(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
    labels = torch.as_tensor(np.asarray(labels, dtype=np.int64).reshape(-1))
    if len(labels) != len(boxes) or (len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < classes):
        raise ValueError(f"encode_boxes: give one class index in [0, {classes}) per box; received {len(boxes)} "
                         f"boxes and labels {labels.tolist()}.")
    target = torch.zeros(classes + 4, grid_size, grid_size)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2 / torch.tensor([width, height]) * grid_size
    cells = centres.floor().long().clamp(0, grid_size - 1)
    sizes = (boxes[:, 2:] - boxes[:, :2]) / torch.tensor([width, height])
    for index in torch.argsort(sizes.prod(dim=1)).tolist():  # larger boxes written last: they win a shared cell
        column, row = cells[index].tolist()
        target[classes:, row, column] = 0
        target[:classes, row, column] = 0
        target[int(labels[index]), row, column] = 1
        target[classes:classes + 2, row, column] = centres[index] - cells[index]
        target[classes + 2:, row, column] = sizes[index]
    return target


def decode_grid(grid, image_size, threshold=0.5, iou_threshold=0.5):
    """(boxes (K, 4) pixels, scores (K,), labels (K,)) from one predicted grid (classes + 4, S, S) whose class
    channels are probabilities, best score first, after per-class non-maximum suppression."""
    classes, grid_size = grid.shape[0] - 4, grid.shape[-1]
    width, height = image_size
    grid = torch.as_tensor(grid, dtype=torch.float32)
    label, row, column = torch.nonzero(grid[:classes] >= threshold, as_tuple=True)
    scores = grid[:classes][label, row, column]
    offsets = grid[classes:, row, column].T
    centres = (torch.stack([column, row], dim=1) + offsets[:, :2]) / grid_size * torch.tensor([width, height])
    sizes = offsets[:, 2:] * torch.tensor([width, height])
    boxes = torch.cat([centres - sizes / 2, centres + sizes / 2], dim=1)
    kept = non_max_suppression(boxes, scores, label, iou_threshold=iou_threshold)
    return boxes[kept], scores[kept], label[kept]
