"""`lamina train DIR` on recordings (the audio task detected), `lamina evaluate` and `lamina predict` on audio
models: readable lines, --json, speaker-grouped splits from file-name patterns, and spectrogram heatmaps."""
import contextlib
import io
import json

import pytest
from PIL import Image

from lamina import tasks
from lamina.cli import main
from lamina.datasets import sounds
from commands import run_json

ARGUMENTS = ["--sample-rate", "8000", "--n-mels", "32"]



@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(model path, data folder, the JSON summary) of one `lamina train` run on generated sounds."""
    folder = tmp_path_factory.mktemp("audio")
    sounds.make_folder(folder / "sounds", per_class=40)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert main(["train", str(folder / "sounds"), *ARGUMENTS, "--epochs", "12", "-o",
                     str(folder / "sounds.lamina"), "--json"]) == 0
    return folder / "sounds.lamina", folder / "sounds", json.loads(output.getvalue())


def test_train_detects_recordings_and_learns_them(trained):
    model, folder, summary = trained
    assert tasks.data_task(str(folder)) == "audio" and tasks.model_task(str(model), "predict") == "audio"
    assert summary["task"] == "audio" and summary["classes"] == ["chirp", "noise", "tone"]
    assert summary["sample_rate"] == 8000 and summary["val_accuracy"] >= 0.8


def test_predict_prints_the_top_classes_and_draws_heatmaps(trained, tmp_path, capsys):
    model, folder, _ = trained
    clips = [str(folder / "tone" / "tone_anna_0.wav"), str(folder / "noise" / "noise_ben_1.wav")]
    capsys.readouterr()
    assert main(["predict", str(model), *clips, "--top", "2", "--heatmap", str(tmp_path / "why.png")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{clips[0]}: tone ") and printed[1].startswith(f"{clips[1]}: noise ")
    for number in (1, 2):
        with Image.open(tmp_path / f"why-{number}.png") as picture:
            assert picture.size == (101 * 4, 32 * 4)
    result = run_json(capsys, "predict", str(model), clips[0])
    assert result["predictions"][0]["label"] == "tone" and len(result["predictions"][0]["top"]) == 3


def test_evaluate_and_a_split_by_speaker(trained, tmp_path, capsys):
    model, folder, _ = trained
    result = run_json(capsys, "evaluate", str(model), str(folder))
    assert result["recordings"] == 120 and result["accuracy"] >= 0.8
    summary = run_json(capsys, "train", str(folder), *ARGUMENTS, "--architecture", "cnn1d", "--epochs", "1",
                       "--pattern", "{label}_{speaker}_{n}.wav", "--group", "speaker", "-o",
                       str(tmp_path / "by_speaker.lamina"))
    assert summary["architecture"] == "cnn1d" and "val_accuracy" in summary


def test_errors_name_the_problem(trained, tmp_path):
    model, folder, _ = trained
    with pytest.raises(SystemExit, match="lamina train: --architecture fasttext is for texts; recordings take "
                                         "cnn2d, cnn1d"):
        main(["train", str(folder), "--architecture", "fasttext", "-o", str(tmp_path / "m.lamina")])
    with pytest.raises(SystemExit, match=r"lamina train: AudioClassifier.fit: group='speaker' is not a field of the "
                                         r"pattern .*; its fields: \['n', 'who'\]"):
        main(["train", str(folder), "--pattern", "{label}_{who}_{n}.wav", "--group", "speaker", "-o",
              str(tmp_path / "m.lamina")])
    with pytest.raises(SystemExit, match="lamina predict: no such file: absent.wav"):
        main(["predict", str(model), "absent.wav"])
    assert not (tmp_path / "m.lamina").exists()
