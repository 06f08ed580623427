"""`lamina train CSV --task keypoints|regression`, `lamina evaluate` and `lamina predict` (JSON points or values,
points drawn with -o) on generated faces and roads written to disk with their annotation CSVs."""

import numpy as np
import pytest
from PIL import Image

from lamina.cli import main
from lamina.datasets import landmarks
from lamina.vision.localization import KeypointRegressor, SteeringRegressor
from lamina.vision.localization_files import load_model
from commands import run_json



@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    images, points = landmarks.faces(60, 0)
    rows = ["path," + ",".join(f"{name}_x,{name}_y" for name in landmarks.FACE_POINTS)]
    for index, (image, face_points) in enumerate(zip(images, points)):
        Image.fromarray(image.transpose(1, 2, 0)).save(folder / f"{index}.png")
        rows.append(f"{index}.png," + ",".join(f"{value:.2f}" for value in face_points.reshape(-1)))
    (folder / "faces.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_keypoints_train_evaluate_and_predict(faces, tmp_path, capsys):
    model = tmp_path / "faces.lamina"
    summary = run_json(capsys, "train", str(faces / "faces.csv"), "--task", "keypoints", "--model", "resnet18",
                       "--weights", "none", "--image-size", "64", "--epochs", "1", "--pairs", "0-1,3-4",
                       "-o", str(model))
    assert summary["task"] == "keypoints" and summary["images"] == 60 and np.isfinite(summary["loss"])
    regressor = load_model(model)
    assert isinstance(regressor, KeypointRegressor) and regressor.pairs == [[0, 1], [3, 4]]
    scores = run_json(capsys, "evaluate", str(model), str(faces / "faces.csv"))
    assert scores["images"] == 60 and scores["rmse"] > 0 and 0 <= scores["pck"] <= 1
    result = run_json(capsys, "predict", str(model), str(faces / "0.png"), "-o", str(tmp_path / "drawn.png"))
    points = np.array(result["predictions"][0]["points"])
    assert points.shape == (5, 2) and np.all((points >= 0) & (points <= 64))
    np.testing.assert_allclose(points, regressor.predict([str(faces / "0.png")])[0], atol=0.01)
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
