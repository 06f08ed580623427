"""`lamina train`, `evaluate`, `predict`, `similar` and `cluster` on a folder drawn on disk (random backbones)."""
import contextlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from lamina.cli import main
from lamina.vision import load_model
from commands import run_json

BACKBONE = ["--model", "resnet18", "--weights", "none", "--image-size", "32"]



@pytest.fixture(scope="module")
def trained(colour_photos, tmp_path_factory):
    """(model path, report folder, the JSON summary) of one `lamina train` run (capsys is per test: stdout is
    redirected by hand)."""
    folder = tmp_path_factory.mktemp("train")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert main(["train", str(colour_photos), *BACKBONE, "--epochs", "20", "--learning-rate", "0.01",
                     "-o", str(folder / "colours.lamina"), "--json"]) == 0
    return folder / "colours.lamina", folder / "colours_report", json.loads(output.getvalue())


def test_train_writes_the_model_and_a_report_folder(trained, colour_photos):
    model, report, summary = trained
    assert summary["classes"] == ["blue", "green", "red"] and summary["task"] == "image"
    assert (summary["train_images"], summary["validation_images"]) == (30, 6)
    assert summary["report"] == str(report / "report.html")
    assert [row["class"] for row in summary["per_class"]] == ["blue", "green", "red"]
    assert sorted(path.name for path in report.iterdir()) == [
        "confusion_matrix.png", "report.html", "training_curves.png", "worst_classified.png"]
    html = (report / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "green" in html
    assert load_model(model).class_names == ["blue", "green", "red"]


def test_train_prints_a_readable_summary(colour_photos, tmp_path, capsys):
    assert main(["train", str(colour_photos), *BACKBONE, "--epochs", "1", "-o", str(tmp_path / "m.lamina")]) == 0
    out = capsys.readouterr().out
    assert "ImageDataset(3 classes (blue, green, red), 30 training and 6 validation images)" in out
    assert f"saved to {tmp_path / 'm.lamina'}" in out and "Validation accuracy" in out and "precision" in out


def test_evaluate_and_predict_use_the_saved_file_alone(trained, colour_photos, capsys):
    model, _, summary = trained
    evaluation = run_json(capsys, "evaluate", str(model), str(colour_photos))
    classifier = load_model(model)
    expected = classifier.evaluate(colour_photos, verbose=0)
    assert evaluation["images"] == 36 and evaluation["accuracy"] == pytest.approx(expected["accuracy"])
    assert evaluation["loss"] == pytest.approx(expected["loss"])
    photos = [str(colour_photos / "red" / "05.jpg"), str(colour_photos / "blue" / "00.png")]
    predictions = run_json(capsys, "predict", str(model), *photos, "--top", "2")["predictions"]
    probabilities = classifier.predict_proba(photos)
    for prediction, row in zip(predictions, probabilities):
        assert prediction["label"] == classifier.class_names[int(row.argmax())]
        assert prediction["probability"] == pytest.approx(float(row.max()))
        assert [item["probability"] for item in prediction["top"]] == pytest.approx(sorted(row)[::-1][:2])


def test_similar_finds_the_query_itself_first_and_draws_sheets(colour_photos, tmp_path, capsys):
    queries = [str(colour_photos / "green" / "03.jpg"), str(colour_photos / "red" / "04.png")]
    result = run_json(capsys, "similar", str(colour_photos), *queries, "-k", "4", "-o", str(tmp_path / "sheet.png"),
                      *BACKBONE)
    assert result["images"] == 36
    for number, (query, found) in enumerate(zip(queries, result["results"])):
        assert found["neighbours"][0] == {"path": query, "similarity": pytest.approx(1.0, abs=1e-5)}
        similarities = [item["similarity"] for item in found["neighbours"]]
        assert similarities == sorted(similarities, reverse=True) and len(similarities) == 4
        assert found["sheet"] == str(tmp_path / f"sheet-{number + 1}.png")
        with Image.open(found["sheet"]) as sheet:
            assert sheet.size[0] > 4 * 128


def test_cluster_groups_the_colours_and_scores_them_against_the_folders(colour_photos, tmp_path, capsys):
    result = run_json(capsys, "cluster", str(colour_photos), "-k", "3", "-o", str(tmp_path / "map.png"), *BACKBONE)
    members = [path for paths in result["members"].values() for path in paths]
    assert result["clusters"] == 3 and sorted(members) == sorted(str(p) for p in colour_photos.rglob("*.*g"))
    assert result["scores_against_folders"]["nmi"] >= 0.6  # colours; measured 1.0 on random ResNet18 features
    with Image.open(tmp_path / "map.png") as picture:
        assert picture.size == (1200, 1200)
    assert sorted(path.name for path in (tmp_path / "map_clusters").iterdir()) == [
        "cluster_0.png", "cluster_1.png", "cluster_2.png"]


def test_cluster_on_a_trained_classifiers_features(trained, colour_photos, capsys):
    model, _, _ = trained
    result = run_json(capsys, "cluster", str(colour_photos), "--model", str(model))
    assert result["clusters"] >= 2 and set(result["silhouettes"]) >= {"2", "3"}


def test_errors_name_the_problem(tmp_path, trained):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("text")
    with pytest.raises(SystemExit, match="lamina train: '.*notes' holds no images, recordings or .txt files; pass a "
                                         "folder with one subfolder of images \\(or recordings, or .txt files\\) per "
                                         "class"):
        main(["train", str(tmp_path / "notes"), "-o", str(tmp_path / "m.lamina")])
    with pytest.raises(SystemExit, match="lamina predict: no model file at 'missing.lamina'"):
        main(["predict", "missing.lamina", "photo.jpg"])
    with pytest.raises(SystemExit, match="lamina predict: no such file: photo.jpg"):
        main(["predict", str(trained[0]), "photo.jpg"])
    with pytest.raises(SystemExit, match="lamina similar: no folder at 'nowhere'"):
        main(["similar", "nowhere", "photo.jpg"])
    assert np.isfinite(trained[2]["validation_loss"])
