"""GridDetector on generated scenes of one to three shapes: mean average precision at IoU 0.5 on held-out scenes,
boxes in pixels of each input image, save and load."""
import numpy as np
import pytest

from lamina.cli import main
from lamina.datasets import landmarks
from lamina.utils import set_random_seed
from lamina.vision.grid_detector import GridDetector, grid_loss
from lamina.vision.localization_files import load_model
from lamina.vision.target_augment import TargetAugmentation


@pytest.fixture(scope="module")
def detector():
    set_random_seed(0)
    detector = GridDetector(landmarks.SHAPES, image_size=64, grid_size=8)
    detector.fit(*landmarks.scenes(1500, 0), epochs=15, verbose=0)
    return detector


def test_the_grid_detector_finds_the_shapes(detector):
    scores = detector.evaluate(*landmarks.scenes(200, 1))
    assert scores["map_50"] >= 0.55, scores  # 0.63 measured; the 0.8 needs more (docs/localization.md)
    assert set(scores["per_class"]) == {0, 1, 2}


def test_boxes_come_back_in_pixels_of_each_image_and_after_load(detector, tmp_path):
    images, _, _ = landmarks.scenes(3, 2)
    found = detector.predict(images)
    doubled = np.repeat(np.repeat(images, 2, axis=2), 2, axis=3)
    for small, large in zip(found, detector.predict(doubled)):
        assert set(small) == {"boxes", "scores", "labels"} and small["boxes"].shape[1] == 4
        assert len(large["boxes"]) > 0
        assert np.all(large["boxes"] <= 128) and np.all(small["boxes"] <= 64 + 1e-4)
    detector.save(tmp_path / "shapes.lamina")
    loaded = load_model(tmp_path / "shapes.lamina")
    assert isinstance(loaded, GridDetector) and loaded.class_names == list(landmarks.SHAPES)
    for ours, theirs in zip(loaded.predict(images), found):
        np.testing.assert_array_equal(ours["boxes"], theirs["boxes"])
    with pytest.raises(SystemExit, match="is a GridDetector, which has no command yet"):
        main(["predict", str(tmp_path / "shapes.lamina"), str(tmp_path / "shapes.lamina")])


def test_the_loss_weighs_occupied_cells_and_errors_are_named():
    import torch

    truth = torch.zeros(1, 5, 2, 2)
    truth[0, 0, 0, 0], truth[0, 1:, 0, 0] = 1, torch.tensor([0, 0.5, 0.5, 0.2, 0.2])[1:]
    prediction = truth.clone().clamp(1e-6, 1 - 1e-6)
    assert float(grid_loss(1)(truth, prediction)) < 1e-4
    prediction[0, 1, 1, 1] = 0.9  # a box channel of an empty cell: not counted
    assert float(grid_loss(1)(truth, prediction)) < 1e-4
    with pytest.raises(ValueError, match="image_size must be a square side grid_size times a power of two"):
        GridDetector(["a"], image_size=60, grid_size=8)
    with pytest.raises(ValueError, match="augmentation is not available yet"):
        GridDetector(["a"], augment=TargetAugmentation()).fit(*landmarks.scenes(2, 0)[:1], [np.zeros((0, 4))] * 2,
                                                              [np.zeros(0, dtype=np.int64)] * 2)
