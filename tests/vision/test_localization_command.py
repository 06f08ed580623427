"""`lamina train CSV --task keypoints|boxes|regression`, `lamina evaluate` and `lamina predict` (JSON points,
boxes or values, drawn with -o) on generated faces, scenes and roads written to disk with their annotation files."""

import numpy as np
import pytest
from PIL import Image

from lamina.cli import main
from lamina.datasets import landmarks
from lamina.vision.box_regressor import BoxRegressor
from lamina.vision.grid_detector import GridDetector
from lamina.vision.localization import KeypointRegressor, SteeringRegressor
from lamina.vision.localization_files import load_model
from commands import run_json


def test_keypoints_train_evaluate_and_predict(tmp_path, capsys):
    faces, model = tmp_path / "faces", tmp_path / "faces.lamina"
    annotations = landmarks.write_faces(faces, 60)
    summary = run_json(capsys, "train", annotations, "--task", "keypoints", "--model", "resnet18",
                       "--weights", "none", "--image-size", "64", "--epochs", "1", "--pairs", "0-1,3-4",
                       "-o", str(model))
    assert summary["task"] == "keypoints" and summary["images"] == 60 and np.isfinite(summary["loss"])
    regressor = load_model(model)
    assert isinstance(regressor, KeypointRegressor) and regressor.pairs == [[0, 1], [3, 4]]
    scores = run_json(capsys, "evaluate", str(model), annotations)
    assert scores["images"] == 60 and scores["rmse"] > 0 and 0 <= scores["pck"] <= 1
    result = run_json(capsys, "predict", str(model), str(faces / "0000.png"), "-o", str(tmp_path / "drawn.png"))
    points = np.array(result["predictions"][0]["points"])
    assert points.shape == (5, 2) and np.all((points >= 0) & (points <= 64))
    np.testing.assert_allclose(points, regressor.predict([str(faces / "0000.png")])[0], atol=0.01)
    with Image.open(tmp_path / "drawn.png") as drawn:
        assert drawn.size == (256, 256)


def test_regression_train_evaluate_and_predict(tmp_path, capsys):
    images, angles = landmarks.roads(40, 0)
    rows = ["image,steering"]
    for index, (image, angle) in enumerate(zip(images, angles)):
        Image.fromarray(image.transpose(1, 2, 0)).save(tmp_path / f"{index}.png")
        rows.append(f"{index}.png,{angle:.3f}")
    (tmp_path / "drive.csv").write_text("\n".join(rows) + "\n")
    model = tmp_path / "drive.lamina"
    summary = run_json(capsys, "train", str(tmp_path / "drive.csv"), "--task", "regression", "--target-column",
                       "steering", "--epochs", "1", "-o", str(model))
    assert summary["task"] == "regression" and summary["images"] == 40
    assert isinstance(load_model(model), SteeringRegressor)
    scores = run_json(capsys, "evaluate", str(model), str(tmp_path / "drive.csv"), "--target-column", "steering")
    assert scores["mae"] >= 0
    value = run_json(capsys, "predict", str(model), str(tmp_path / "3.png"))["predictions"][0]["value"]
    assert value == pytest.approx(float(load_model(model).predict([str(tmp_path / "3.png")])[0]), abs=1e-5)
    with pytest.raises(SystemExit, match="--task regression needs --target-column"):
        main(["train", str(tmp_path / "drive.csv"), "--task", "regression", "-o", str(tmp_path / "m.lamina")])
    with pytest.raises(SystemExit, match="pass --target-column"):
        main(["evaluate", str(model), str(tmp_path / "drive.csv")])


def test_boxes_in_several_per_image_train_a_grid_detector(tmp_path, capsys):
    annotations, model = landmarks.write_scenes(tmp_path, 40, most=3), tmp_path / "scenes.lamina"
    summary = run_json(capsys, "train", str(annotations), "--task", "boxes", "--epochs", "1", "-o", str(model))
    assert summary["kind"] == "GridDetector" and summary["images"] == 40 and np.isfinite(summary["loss"])
    detector = load_model(model)
    assert isinstance(detector, GridDetector) and detector.class_names == list(landmarks.SHAPES)
    scores = run_json(capsys, "evaluate", str(model), str(annotations))
    assert scores["images"] == 40 and 0 <= scores["map_50"] <= 1
    result = run_json(capsys, "predict", str(model), str(tmp_path / "0000.png"), "--threshold", "0.0",
                      "-o", str(tmp_path / "drawn.png"))
    objects = result["predictions"][0]["objects"]
    expected = detector.predict([str(tmp_path / "0000.png")], threshold=0.0, agnostic=True)[0]
    assert len(objects) == len(expected["boxes"]) > 0
    assert objects[0]["label"] == landmarks.SHAPES[expected["labels"][0]]
    np.testing.assert_allclose(objects[0]["box"], expected["boxes"][0], atol=0.01)
    with Image.open(tmp_path / "drawn.png") as drawn:
        assert drawn.size == (256, 256)


def test_one_box_per_image_trains_a_box_regressor(tmp_path, capsys):
    annotations, model = landmarks.write_scenes(tmp_path, 40, most=1), tmp_path / "one.lamina"
    summary = run_json(capsys, "train", str(annotations), "--task", "boxes", "--model", "resnet18", "--weights",
                       "none", "--image-size", "64", "--epochs", "1", "-o", str(model))
    assert summary["kind"] == "BoxRegressor"
    regressor = load_model(model)
    assert isinstance(regressor, BoxRegressor)
    scores = run_json(capsys, "evaluate", str(model), str(annotations))
    assert 0 <= scores["iou"] <= 1 and 0 <= scores["accuracy"] <= 1
    found = run_json(capsys, "predict", str(model), str(tmp_path / "0001.png"))["predictions"][0]["objects"]
    expected = regressor.predict([str(tmp_path / "0001.png")])
    assert len(found) == 1 and found[0]["label"] == landmarks.SHAPES[expected["labels"][0]]
    np.testing.assert_allclose(found[0]["box"], expected["boxes"][0], atol=0.01)
    several = landmarks.write_scenes(tmp_path / "several", 40, most=3)
    with pytest.raises(SystemExit, match="a BoxRegressor finds one object per image"):
        main(["evaluate", str(model), str(several)])
