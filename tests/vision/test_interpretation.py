"""Interpreting a classifier: per-class scores against hand-computed values and sklearn, the confusion-matrix
picture's size and shading, the worst-classified order, the Grad-CAM sheet's tiles, and the training curves."""
import json

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import classification_report

from lamina.explain import grad_cam, overlay
from lamina.layers import Conv2D, Dense, GlobalAveragePooling2D
from lamina.models import Sequential
from lamina.utils import set_random_seed
from lamina.vision.interpretation import (CELL, LABEL, MARGIN, PANEL, TITLE, class_report, confusion_matrix_picture,
                                          training_curves_picture, worst_classified, worst_classified_grid)
from lamina.vision.pictures import CAPTION, GAP, PALETTE, thumbnail, tile_position

TRUTH = [0, 0, 0, 1, 1, 2]
PREDICTED = [0, 0, 1, 1, 2, 2]
NAMES = ["a", "b", "c", "d"]  # "d" has no samples: its scores are 0 (zero_division=0)


def test_class_report_matches_hand_computed_scores_and_sklearn():
    report = class_report(TRUTH, PREDICTED, NAMES)
    np.testing.assert_allclose(report.precision, [1.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(report.recall, [2 / 3, 0.5, 1.0, 0.0])
    np.testing.assert_allclose(report.f1, [0.8, 0.5, 2 / 3, 0.0])
    np.testing.assert_array_equal(report.support, [3, 2, 1, 0])
    assert report.accuracy == pytest.approx(4 / 6)
    np.testing.assert_array_equal(report.confusion, [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    oracle = classification_report(TRUTH, PREDICTED, labels=range(4), target_names=NAMES, output_dict=True,
                                   zero_division=0)
    for row in report.rows():
        for key in ("precision", "recall", "f1"):
            assert row[key] == pytest.approx(oracle[row["class"]]["f1-score" if key == "f1" else key])
        assert row["support"] == oracle[row["class"]]["support"]


def test_rows_are_json_and_the_text_table_ends_with_the_accuracy():
    report = class_report(TRUTH, PREDICTED, NAMES)
    rows = json.loads(json.dumps(report.rows()))
    assert rows[0] == {"class": "a", "precision": 1.0, "recall": pytest.approx(2 / 3), "f1": pytest.approx(0.8),
                       "support": 3}
    lines = str(report).splitlines()
    assert lines[0].split() == ["precision", "recall", "f1", "support"]
    assert lines[2].split() == ["a", "1.000", "0.667", "0.800", "3"]
    assert lines[-1].split() == ["accuracy", "0.667", "6"]


def test_class_report_rejects_mismatched_lengths_and_labels_out_of_range():
    with pytest.raises(ValueError, match="`truth` has 3 labels but `predicted` has 2"):
        class_report([0, 1, 1], [0, 1], NAMES)
    with pytest.raises(ValueError, match="`predicted` holds label 4, outside 0..3 for 4 classes"):
        class_report([0, 1], [0, 4], NAMES)
    with pytest.raises(ValueError, match="`truth` holds label -1"):
        class_report([-1, 1], [0, 1], NAMES)


def cell_pixel(picture, row, column):
    """A pixel inside cell (row, column), away from its outline and its centred count."""
    return picture.getpixel((TITLE + LABEL + column * CELL + 4, TITLE + LABEL + row * CELL + 4))


def test_confusion_matrix_picture_grows_with_the_classes_and_shades_by_row_share(tmp_path):
    small = confusion_matrix_picture(class_report([0, 1], [0, 1], ["x", "y"]), tmp_path / "two.png")
    picture = confusion_matrix_picture(class_report(TRUTH, PREDICTED, NAMES), tmp_path / "four.png")
    assert (tmp_path / "four.png").is_file()
    with Image.open(tmp_path / "four.png") as written:
        assert written.size == picture.size
    assert picture.width - small.width == picture.height - small.height == 2 * CELL
    # Row "a" (true class 0) has shares 2/3, 1/3, 0: darker cells for larger shares; 0 is white.
    shades = [sum(cell_pixel(picture, 0, column)) for column in range(3)]
    assert shades[0] < shades[1] < shades[2] == 3 * 255
    assert cell_pixel(picture, 2, 2) == PALETTE[0]  # share 1: the full blue
    assert cell_pixel(picture, 3, 3) == (255, 255, 255)  # a class without samples


def test_worst_classified_orders_by_probability_of_the_true_class():
    probabilities = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5], [0.7, 0.3]]
    truth = [1, 1, 0, 0, 1]  # true-class probabilities 0.1, 0.8, 0.6, 0.5, 0.3
    np.testing.assert_array_equal(worst_classified(probabilities, truth, count=3), [0, 4, 3])
    np.testing.assert_array_equal(worst_classified(probabilities, truth, count=12), [0, 4, 3, 2, 1])
    with pytest.raises(ValueError, match="one row per label of `truth` \\(4\\)"):
        worst_classified(probabilities, truth[:4])


@pytest.fixture(scope="module")
def classifier():
    set_random_seed(0)
    return Sequential([Conv2D(8, 3, activation="relu", padding="same", input_shape=(3, 32, 32)),
                       Conv2D(8, 3, activation="relu", padding="same", name="last_conv"), GlobalAveragePooling2D(),
                       Dense(3, activation="softmax")])


def test_worst_classified_grid_draws_grad_cam_overlays_of_the_worst_samples(classifier, tmp_path):
    rng = np.random.default_rng(0)
    inputs = rng.random((9, 3, 32, 32), dtype=np.float32)
    images = [np.rint(sample.transpose(1, 2, 0) * 255).astype(np.uint8) for sample in inputs]
    probabilities = classifier.predict(inputs)
    truth = rng.integers(0, 3, size=9)
    count, tile, columns = 5, 40, 3
    picture = worst_classified_grid(classifier, inputs, images, truth, probabilities, ["cat", "dog", "owl"],
                                    tmp_path / "worst.png", count=count, tile=tile, columns=columns)
    with Image.open(tmp_path / "worst.png") as written:
        assert written.size == picture.size == (GAP + columns * (tile + GAP), GAP + 2 * (tile + CAPTION + GAP))
    canvas = np.asarray(picture, dtype=np.int64)
    for position, index in enumerate(worst_classified(probabilities, truth, count)):
        left, top = tile_position(position, columns, tile)
        drawn = canvas[top:top + tile, left:left + tile]
        plain = np.asarray(thumbnail(images[index], tile), dtype=np.int64)
        assert np.abs(drawn - plain).max() > 40  # the heatmap's colours changed the tile
        target = int(probabilities[index].argmax())
        expected = thumbnail(overlay(images[index], grad_cam(classifier, inputs[index], target=target)), tile)
        assert np.abs(drawn - np.asarray(expected, dtype=np.int64)).max() <= 1
    assert canvas[tile_position(count, columns, tile)[1]:, tile_position(count, columns, tile)[0]:].min() == 255


def curve_columns(picture, colour, panel):
    """The x pixels of the plot area in `panel` that have `colour` exactly (the legend is right of it)."""
    pixels = np.asarray(picture)[panel * PANEL[1]:(panel + 1) * PANEL[1], MARGIN:PANEL[0] - 130]
    return np.flatnonzero((pixels == colour).all(axis=-1).any(axis=0))


def test_training_curves_picture_has_a_loss_panel_and_a_metric_panel(tmp_path):
    history = {"loss": [1.0, 0.7, 0.5, 0.4, 0.35], "val_loss": [1.1, 0.9, 0.8, 0.8, 0.85],
               "accuracy": [0.3, 0.5, 0.6, 0.7, 0.75]}
    picture = training_curves_picture(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").is_file()
    assert picture.size == (PANEL[0], 2 * PANEL[1])
    for panel in (0, 1):  # loss, then accuracy: each panel's first line has the first colour, across the epochs
        columns = curve_columns(picture, PALETTE[0], panel)
        assert columns.max() - columns.min() > PANEL[0] - 130 - 2 * MARGIN
    assert len(curve_columns(picture, PALETTE[1], 0)) and not len(curve_columns(picture, PALETTE[1], 1))


def test_training_curves_picture_draws_a_point_for_one_epoch(tmp_path):
    picture = training_curves_picture({"loss": [0.9]}, tmp_path / "one.png")
    assert (tmp_path / "one.png").is_file() and picture.size == PANEL
    columns = curve_columns(picture, PALETTE[0], 0)
    assert 0 < columns.max() - columns.min() <= 8
    with pytest.raises(ValueError, match="holds no values"):
        training_curves_picture({"loss": []}, tmp_path / "none.png")
