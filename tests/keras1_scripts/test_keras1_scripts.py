"""The Keras 1 example-style scripts in this folder run unchanged (imports say lamina) and learn their tasks.

They start together, as separate Python processes, so the suite waits for the slowest one only.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

SCRIPTS = pathlib.Path(__file__).parent
EXPECTATIONS = {
    "mnist_mlp.py": {"Test accuracy": 0.9, "Last val_acc": 0.9},
    "mnist_cnn.py": {"Train accuracy": 0.9},
    "antirectifier.py": {"Train accuracy": 0.9},
    "custom_layer_and_loss.py": {"Train accuracy": 0.85},
    "functional_lambda.py": {"Train accuracy": 0.75},
    "layer_output.py": {},
    "text_and_digits.py": {"Text accuracy": 0.9, "Digits test accuracy": 0.75},
}


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory):
    """Runs every script at once (one thread each); returns {script: (exit code, stdout, stderr)}."""
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = {
        name: subprocess.Popen([sys.executable, str(SCRIPTS / name)], cwd=tmp_path_factory.mktemp(name[:-3]),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
        for name in EXPECTATIONS
    }
    runs = {}
    for name, process in processes.items():
        stdout, stderr = process.communicate(timeout=300)
        runs[name] = (process.returncode, stdout, stderr)
    return runs


def reported(stdout, label):
    match = re.search(rf"^{re.escape(label)}: (.+)$", stdout, re.MULTILINE)
    assert match, f"the script printed no '{label}:' line:\n{stdout}"
    return match.group(1)


def test_every_script_in_the_folder_is_checked():
    assert sorted(path.name for path in SCRIPTS.glob("*.py") if not path.name.startswith("test_")) == \
        sorted(EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_script_runs_and_learns(script_runs, name):
    code, stdout, stderr = script_runs[name]
    assert code == 0, f"{name} failed:\n{stderr[-3000:]}"
    for label, minimum in EXPECTATIONS[name].items():
        assert float(reported(stdout, label)) >= minimum, stdout
    if "First loss" in stdout:
        assert float(reported(stdout, "Last loss")) < 0.8 * float(reported(stdout, "First loss")), stdout


def test_scripts_report_keras1_semantics(script_runs):
    mlp = script_runs["mnist_mlp.py"][1]
    assert "Total params: 269,322" in mlp  # 784*256+256 + 256*256+256 + 256*10+10, as Keras reports
    assert re.search(r"^Epoch 3/3\n\d+/\d+ - .* - acc: .* - val_acc: ", mlp, re.MULTILINE)
    cnn = script_runs["mnist_cnn.py"][1]
    assert "dim ordering: th X_train shape: (96, 1, 12, 12)" in cnn and "Output shape: (None, 3)" in cnn
    assert "Output shape of the first Antirectifier: (None, 128)" in script_runs["antirectifier.py"][1]
    custom = script_runs["custom_layer_and_loss.py"]
    assert "Weights: [(6,), (6,), (6, 1)]" in custom[1]
    assert "binary_crossentropy(output, target) is Keras 1's argument order" in custom[2]
    assert "Similarity shape: (None, 1)" in script_runs["functional_lambda.py"][1]
    hidden = script_runs["layer_output.py"][1]
    assert "Hidden output shape: (50, 16)" in hidden and "Gradient shape: (50, 10)" in hidden
    assert reported(hidden, "Loss equals mean prediction") == "True"
    assert reported(hidden, "Ascent raised the output") == "True"
    assert float(reported(hidden, "Zeros in training mode")) > float(reported(hidden, "Zeros in test mode"))
    data = script_runs["text_and_digits.py"][1]
    assert "Vocabulary size: 20" in data and "Padded shape: (400, 10)" in data
