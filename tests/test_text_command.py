"""`lamina train DATA --task text`, `lamina evaluate` and `lamina predict` on text models: from a TSV file, a CSV
with named columns and pretrained vectors, to readable lines and --json; the task told from the data and model."""
import contextlib
import io
import json

import numpy as np
import pytest

from lamina import tasks
from lamina.cli import main
from lamina.datasets import reviews
from lamina.models import Sequential
from lamina.layers import Dense
from lamina.text import load_model
from lamina.word2vec import KeyedVectors
from commands import run_json



@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(model path, TSV path, the JSON summary) of one `lamina train` run on generated reviews."""
    folder = tmp_path_factory.mktemp("text")
    data = reviews.write_tsv(folder / "reviews.tsv", 800)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert main(["train", str(data), "--architecture", "fasttext", "--epochs", "4", "-o",
                     str(folder / "reviews.lamina"), "--json"]) == 0
    return folder / "reviews.lamina", data, json.loads(output.getvalue())


def test_train_detects_text_and_writes_a_model_of_raw_strings(trained):
    model, _, summary = trained
    assert summary["task"] == "text" and summary["architecture"] == "fasttext"
    assert summary["classes"] == ["negative", "positive"] and summary["val_accuracy"] >= 0.9
    assert tasks.model_task(str(model), "predict") == "text"
    assert load_model(model).predict(["word3 loved it"])[0].label == "positive"


def test_predict_takes_sentences_and_files_of_lines(trained, tmp_path, capsys):
    model, _, _ = trained
    lines = tmp_path / "lines.txt"
    lines.write_text("word1 truly wonderful word2\n\nword9 waste of time\n")
    capsys.readouterr()
    assert main(["predict", str(model), "hated it word4", str(lines)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == ["negative", "positive", "negative"]
    assert printed[1].endswith("  word1 truly wonderful word2") and 0.5 < float(printed[1].split()[1]) <= 1
    result = run_json(capsys, "predict", str(model), "a delight word5", "--top", "2")
    prediction = result["predictions"][0]
    assert prediction["input"] == "a delight word5" and prediction["label"] == "positive"
    assert [item["label"] for item in prediction["top"]] == ["positive", "negative"]
    assert sum(item["probability"] for item in prediction["top"]) == pytest.approx(1, abs=1e-5)


def test_evaluate_reports_accuracy_per_class(trained, tmp_path, capsys):
    model, _, _ = trained
    held_out = reviews.write_tsv(tmp_path / "held_out.tsv", 200, seed=5)
    result = run_json(capsys, "evaluate", str(model), str(held_out))
    assert result["texts"] == 200 and result["accuracy"] >= 0.9
    assert [row["class"] for row in result["per_class"]] == ["negative", "positive"]
    assert main(["evaluate", str(model), str(held_out)]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_a_csv_with_named_columns_and_pretrained_vectors(tmp_path, capsys):
    texts, labels = reviews.load_data(300, 4)
    data = tmp_path / "reviews.csv"
    data.write_text("id,review,sentiment\n" + "".join(f'{index},"{text}",{reviews.CLASSES[label]}\n'
                                                      for index, (text, label) in enumerate(zip(texts, labels))))
    words = sorted({word for text in texts for word in text.split()})
    vectors = KeyedVectors(8)
    vectors.add_vectors(words[:100], np.random.default_rng(0).normal(size=(100, 8)).astype(np.float32))
    vectors.save_word2vec_format(str(tmp_path / "vectors.txt"), binary=False)
    summary = run_json(capsys, "train", str(data), "--text-column", "review", "--label-column", "sentiment",
                       "--vectors", str(tmp_path / "vectors.txt"), "--vectors-mode", "multichannel", "--epochs", "1",
                       "-o", str(tmp_path / "model.lamina"))
    assert summary["classes"] == ["negative", "positive"]
    assert summary["vectors_coverage"] == pytest.approx(100 / (summary["vocabulary"] - 2))
    classifier = load_model(tmp_path / "model.lamina")
    assert {"embedding", "trained_embedding"} <= {layer.name for layer in classifier.classifier.layers}


def test_the_task_is_told_from_the_data(tmp_path):
    (tmp_path / "images.csv").write_text("path,label\ncats/1.jpg,cat\n")
    (tmp_path / "texts.csv").write_text("text,label\na fine film,good\n")
    (tmp_path / "trec.txt").write_text("DESC how does it work\n")
    (tmp_path / "folder" / "good").mkdir(parents=True)
    (tmp_path / "folder" / "good" / "1.txt").write_text("fine")
    assert [tasks.data_task(str(tmp_path / name)) for name in ("images.csv", "texts.csv", "trec.txt", "folder")] == [
        "image", "text", "text", "text"]


def test_errors_name_the_problem(trained, tmp_path):
    model, data, _ = trained
    with pytest.raises(SystemExit, match="lamina train: no vectors file at 'absent.bin'"):
        main(["train", str(data), "--vectors", "absent.bin", "-o", str(tmp_path / "m.lamina")])
    with pytest.raises(SystemExit, match="lamina train: .*reviews.tsv: no text column 'review'; the header's "
                                         "columns are"):
        main(["train", str(data), "--text-column", "review", "-o", str(tmp_path / "m.lamina")])
    plain = Sequential([Dense(2, input_shape=(3,))])
    plain.save(tmp_path / "plain.lamina")
    with pytest.raises(SystemExit, match="lamina evaluate: '.*plain.lamina' is a lamina model but was not written "
                                         "by lamina train"):
        main(["evaluate", str(tmp_path / "plain.lamina"), str(data)])
    with pytest.raises(SystemExit, match="lamina predict: no model file at 'missing.lamina'"):
        main(["predict", "missing.lamina", "a text"])
    assert not (tmp_path / "m.lamina").exists()
