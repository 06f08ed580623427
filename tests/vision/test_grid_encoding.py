"""The region grid: boxes encoded into an S x S grid of per-class cell scores and box offsets decode back to the
same boxes; overlapping predictions are reduced by torchvision's NMS; a shared cell keeps the larger box."""
import numpy as np
import pytest
import torch

from lamina.vision.grid_encoding import decode_grid, encode_boxes

SIZE = (128, 96)  # width, height


def test_boxes_in_distinct_cells_round_trip():
    boxes = np.array([[10, 12, 40, 30], [70, 50, 120, 90], [60, 5, 80, 20]], dtype=np.float32)
    labels = [0, 2, 1]
    grid = encode_boxes(boxes, labels, SIZE, grid_size=8, classes=3)
    assert grid.shape == (7, 8, 8) and float(grid[:3].sum()) == 3
    column, row = int(25 / 128 * 8), int(21 / 96 * 8)
    assert grid[0, row, column] == 1 and torch.all((grid[3:] >= 0) & (grid[3:] <= 1))
    decoded, scores, decoded_labels = decode_grid(grid, SIZE)
    order = np.argsort(decoded[:, 0].numpy())
    np.testing.assert_allclose(decoded.numpy()[order], boxes[np.argsort(boxes[:, 0])], atol=1e-4)
    assert sorted(decoded_labels.tolist()) == [0, 1, 2] and torch.all(scores == 1)


def test_a_shared_cell_keeps_the_larger_box_and_empty_images_are_all_zero():
    boxes = [[10, 10, 30, 30], [5, 5, 35, 35]]
    grid = encode_boxes(boxes, [1, 0], SIZE, grid_size=4, classes=2)
    decoded, _, labels = decode_grid(grid, SIZE)
    np.testing.assert_allclose(decoded.numpy(), [[5, 5, 35, 35]], atol=1e-4)
    assert labels.tolist() == [0]
    assert torch.equal(encode_boxes(np.zeros((0, 4)), [], SIZE, 4, 2), torch.zeros(6, 4, 4))


def test_decoding_thresholds_scores_and_suppresses_overlaps_per_class():
    grid = torch.zeros(6, 4, 4)  # 2 classes; every cell's box is centred in it and half the image's size
    grid[2:4], grid[4:] = 0.5, 0.5
    grid[0, 1, 1], grid[0, 1, 2], grid[1, 1, 2], grid[0, 3, 3] = 0.9, 0.6, 0.8, 0.4
    boxes, scores, labels = decode_grid(grid, SIZE, threshold=0.5, iou_threshold=0.3)
    # the class-0 box of cell (1, 2) overlaps cell (1, 1)'s by IoU 1/3 and goes; class 1 is kept; 0.4 is too low
    assert scores.tolist() == pytest.approx([0.9, 0.8]) and labels.tolist() == [0, 1]
    np.testing.assert_allclose(boxes.numpy(), [[16, 12, 80, 60], [48, 12, 112, 60]], atol=1e-4)


def test_bad_labels_are_named():
    with pytest.raises(ValueError, match=r"give one class index in \[0, 2\) per box; received 1 boxes and labels "
                                         r"\[2\]"):
        encode_boxes([[0, 0, 10, 10]], [2], SIZE, 4, 2)
