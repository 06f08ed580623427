"""The region grid: boxes encoded into an S x S grid of per-class coverage and box distances decode back to the
same boxes; overlapping predictions are reduced by torchvision's NMS; a shared cell keeps the smaller box."""
import numpy as np
import pytest
import torch

from lamina.vision.grid_encoding import decode_grid, encode_boxes

SIZE = (128, 96)  # width, height


def test_boxes_round_trip_through_the_cells_they_cover():
    boxes = np.array([[10, 12, 40, 30], [70, 50, 120, 90], [60, 5, 80, 20]], dtype=np.float32)
    labels = [0, 2, 1]
    grid = encode_boxes(boxes, labels, SIZE, grid_size=8, classes=3)
    assert grid.shape == (7, 8, 8) and torch.all((grid[3:] >= 0) & (grid[3:] <= 1))
    # the small boxes cover their centre cell only; the large one also the cells whose centres are in its middle
    # half: x 88, 104 and y 66, 78 of cells 16 x 12 pixels
    assert grid[:3].sum(dim=(1, 2)).tolist() == [1, 1, 4]
    assert grid[0, int(21 / 96 * 8), int(25 / 128 * 8)] == 1
    assert grid[2, 5:7, 5:7].sum() == 4
    row, column = 5, 6  # a cell of the large box: centre (104, 66); distances to its edges / image size
    np.testing.assert_allclose(grid[3:, row, column].numpy(), [34 / 128, 16 / 96, 16 / 128, 24 / 96], atol=1e-6)
    decoded, scores, decoded_labels = decode_grid(grid, SIZE)
    order = np.argsort(decoded[:, 0].numpy())
    np.testing.assert_allclose(decoded.numpy()[order], boxes[np.argsort(boxes[:, 0])], atol=1e-4)
    assert sorted(decoded_labels.tolist()) == [0, 1, 2] and torch.all(scores == 1)


def test_a_shared_cell_keeps_the_smaller_box_and_empty_images_are_all_zero():
    large, small = [0, 0, 100, 80], [40, 30, 60, 45]  # both centred in cell (row 1, column 1) of a 4 x 4 grid
    grid = encode_boxes([large, small], [0, 1], SIZE, grid_size=4, classes=2)
    assert grid[1, 1, 1] == 1 and grid[0, 1, 1] == 0 and grid[0, 2, 1] == 1
    decoded, _, labels = decode_grid(grid, SIZE)
    assert sorted(zip(labels.tolist(), decoded.round().int().tolist())) == [(0, large), (1, small)]
    assert torch.equal(encode_boxes(np.zeros((0, 4)), [], SIZE, 4, 2), torch.zeros(6, 4, 4))


def test_decoding_thresholds_scores_and_suppresses_overlaps_per_class():
    grid = torch.zeros(6, 4, 4)  # 2 classes; every cell's box is centred on it and half the image's size
    grid[2:] = 0.25
    grid[0, 1, 1], grid[0, 1, 2], grid[1, 1, 2], grid[0, 3, 3] = 0.9, 0.6, 0.8, 0.4
    boxes, scores, labels = decode_grid(grid, SIZE, threshold=0.5, iou_threshold=0.3)
    # the class-0 box of cell (1, 2) overlaps cell (1, 1)'s by IoU 1/3 and goes; class 1 is kept; 0.4 is too low
    assert scores.tolist() == pytest.approx([0.9, 0.8]) and labels.tolist() == [0, 1]
    np.testing.assert_allclose(boxes.numpy(), [[16, 12, 80, 60], [48, 12, 112, 60]], atol=1e-4)
    # across classes, the class-1 box of cell (1, 2) (0.8) goes too: one label per place
    boxes, scores, labels = decode_grid(grid, SIZE, threshold=0.5, iou_threshold=0.3, agnostic=True)
    assert scores.tolist() == pytest.approx([0.9]) and labels.tolist() == [0]


def test_bad_labels_are_named():
    with pytest.raises(ValueError, match=r"give one class index in \[0, 2\) per box; received 1 boxes and labels "
                                         r"\[2\]"):
        encode_boxes([[0, 0, 10, 10]], [2], SIZE, 4, 2)
