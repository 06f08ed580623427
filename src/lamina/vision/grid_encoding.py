"""The seed's regions: boxes encoded as an S x S grid of cells, each predicting, per class, whether it is covered by
an object (DetectNet's coverage), and that object's box; and grids decoded back to boxes.

A grid target is a float32 tensor (classes + 4, S, S). Channels 0..classes-1 hold 1 in the cells an object of that
class covers: the cell holding its centre, and every cell whose centre lies in the middle `coverage` fraction of
its box (one cell for a small object, several for a large one: more positives to learn from than the centre cell
alone). The last four hold the box as the distances from the cell's centre to its left, top, right and bottom
edges, as fractions of the image's width and height, in [0, 1]. A cell covered by two boxes holds the smaller one
(the larger has cells of its own). Decoding takes every cell and class whose score reaches `threshold`, turns its
distances back into a pixel box, and keeps the best of overlapping boxes of one class (non-maximum suppression,
torchvision's): the cells of one object predict one box.
"""
import numpy as np
import torch

from lamina.layers.core import check_positive_int
from lamina.vision.localization_metrics import non_max_suppression


def encode_boxes(boxes, labels, image_size, grid_size, classes, coverage=0.5):
    """The grid target (classes + 4, S, S) of one image's boxes (M, 4) in pixels (x_min, y_min, x_max, y_max),
    with class indices `labels` (M,), for an image of `image_size` (width, height).

    A box smaller than a cell may not hold its centre cell's centre; its distances are clipped at 0 there."""
    grid_size = check_positive_int("encode_boxes", "grid_size", grid_size)
    width, height = image_size
    boxes = torch.as_tensor(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
    labels = torch.as_tensor(np.asarray(labels, dtype=np.int64).reshape(-1))
    if len(labels) != len(boxes) or (len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < classes):
        raise ValueError(f"encode_boxes: give one class index in [0, {classes}) per box; received {len(boxes)} "
                         f"boxes and labels {labels.tolist()}.")
    target = torch.zeros(classes + 4, grid_size, grid_size)
    scale = torch.tensor([width, height], dtype=torch.float32)
    cell_x, cell_y = ((torch.arange(grid_size) + 0.5) / grid_size * side for side in (width, height))
    centres, sizes = (boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]
    centre_cells = (centres / scale * grid_size).floor().long().clamp(0, grid_size - 1)
    for index in torch.argsort(sizes.prod(dim=1), descending=True).tolist():  # smaller ones written last win
        low, high = centres[index] - coverage * sizes[index] / 2, centres[index] + coverage * sizes[index] / 2
        covered = ((cell_y >= low[1]) & (cell_y <= high[1]))[:, None] & ((cell_x >= low[0]) & (cell_x <= high[0]))
        covered[centre_cells[index, 1], centre_cells[index, 0]] = True
        target[:, covered] = 0
        target[int(labels[index]), covered] = 1
        rows, columns = torch.nonzero(covered, as_tuple=True)
        distances = torch.stack([cell_x[columns] - boxes[index, 0], cell_y[rows] - boxes[index, 1],
                                 boxes[index, 2] - cell_x[columns], boxes[index, 3] - cell_y[rows]])
        target[classes:, rows, columns] = (distances / scale.repeat(2)[:, None]).clamp(0, 1)
    return target


def decode_grid(grid, image_size, threshold=0.5, iou_threshold=0.5, agnostic=False):
    """(boxes (K, 4) pixels, scores (K,), labels (K,)) from one predicted grid (classes + 4, S, S) whose class
    channels are probabilities, best score first, after per-class non-maximum suppression (with agnostic=True,
    boxes of any classes suppress each other: one class per place)."""
    classes, grid_size = grid.shape[0] - 4, grid.shape[-1]
    width, height = image_size
    grid = torch.as_tensor(grid, dtype=torch.float32)
    label, row, column = torch.nonzero(grid[:classes] >= threshold, as_tuple=True)
    scores = grid[:classes][label, row, column]
    distances = grid[classes:, row, column].T * torch.tensor([width, height, width, height])
    centres = (torch.stack([column, row], dim=1) + 0.5) / grid_size * torch.tensor([width, height])
    boxes = torch.cat([centres - distances[:, :2], centres + distances[:, 2:]], dim=1)
    kept = non_max_suppression(boxes, scores, None if agnostic else label, iou_threshold=iou_threshold)
    return boxes[kept], scores[kept], label[kept]
