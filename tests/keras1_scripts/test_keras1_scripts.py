"""The Keras 1 example-style scripts in this folder run unchanged (imports say lamina) and learn their tasks.

They start together, as separate Python processes, so the suite waits for the slowest one only.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

import lamina

SCRIPTS = pathlib.Path(__file__).parent
EXPECTATIONS = {
    "mnist_mlp.py": {"Test accuracy": 0.9, "Last val_acc": 0.9},
    "mnist_cnn.py": {"Train accuracy": 0.9},
    "antirectifier.py": {"Train accuracy": 0.9},
    "custom_layer_and_loss.py": {"Train accuracy": 0.85},
    "functional_lambda.py": {"Train accuracy": 0.75},
    "layer_output.py": {},
    "text_and_digits.py": {"Text accuracy": 0.9, "Digits test accuracy": 0.75},
    "mnist_irnn.py": {"IRNN test accuracy": 0.8, "Last val_acc": 0.8},
    "stateful_lstm.py": {},
    "merged_branches.py": {"Test accuracy of predict_classes": 0.85, "Last val_acc": 0.85},  # one branch: <= 0.5
    "sequence_tagging.py": {"Test accuracy": 0.8, "Last val_acc": 0.8},  # without memory: <= 0.4
    "mnist_transfer_cnn.py": {"Accuracy on 0-4": 0.9, "Accuracy on 5-9 with frozen features": 0.85},
    # the loss closes over z_mean and z_log_var; 8 patterns in 2 latent dimensions, decoded from the codes
    "variational_autoencoder.py": {"Reconstruction accuracy of the clean patterns": 0.9,
                                   "Codes mean within the prior": 1.0},
}


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory):
    """Runs every script at once (one thread each); returns {script: (exit code, stdout, stderr)}."""
    # the scripts import the lamina under test, wherever PYTHONPATH (perhaps relative to another folder) found it
    source = str(pathlib.Path(lamina.__file__).parents[1])
    environment = {**os.environ, "OMP_NUM_THREADS": "1",
                   "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
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


def test_scripts_report_keras1_semantics_of_rnn_and_merge_idioms(script_runs):
    irnn, irnn_warnings = script_runs["mnist_irnn.py"][1:]
    assert reported(irnn, "Initial recurrent kernel is the identity") == "True"  # inner_init=lambda shape, name: ...
    assert 0.0008 < float(reported(irnn, "Initial kernel std")) < 0.0012  # init: normal(shape, scale=0.001)
    # validation_data=[X_test, Y_test] (a list) is the test set: the last val_acc is the test accuracy
    assert reported(irnn, "Last val_acc") == reported(irnn, "IRNN test accuracy")
    assert re.search(r" - val_loss: [\d.]+ - val_accuracy: ", irnn)
    assert "history.history['val_acc']: this fit() logged the metric as 'val_accuracy'" in irnn_warnings
    stateful = script_runs["stateful_lstm.py"][1]
    # only states carried from batch to batch tell a rising wave from a falling one
    assert float(reported(stateful, "Prediction MSE")) < 0.5 * float(reported(stateful, "Best stateless MSE"))
    assert reported(stateful, "States carry over") == "True"
    assert reported(stateful, "Reset restores predictions") == "True"
    merged = script_runs["merged_branches.py"][1]
    assert "sequential_1 (Sequential)  (None, 32)    288      input_layer_1" in merged  # 8 * 32 + 32
    assert "merge (Merge)              (None, 64)    0        dense[0], dense_1[0]" in merged
    assert "Total params: 836 " in merged  # both branches and the top layer
    assert reported(merged, "Inputs") == "2" and reported(merged, "Probabilities shape") == "(200, 4)"
    assert reported(merged, "Probabilities sum to one") == reported(merged, "Classes are the most probable") == "True"
    tagging = script_runs["sequence_tagging.py"][1]
    assert reported(tagging, "Output shape") == "(None, 10, 5)" and reported(tagging, "Epochs of val_loss") == "12"
    assert reported(tagging, "LSTM output shape") == "(200, 10, 32)"
    transfer = script_runs["mnist_transfer_cnn.py"][1]
    assert reported(transfer, "First convolution output shape") == "(None, 16, 6, 6)"  # 'th': channels first
    assert reported(transfer, "Training images shape") == "(730, 1, 8, 8)"
    assert reported(transfer, "Feature shape") == "(189, 64)"
    assert reported(transfer, "Feature layers unchanged") == "True"
