"""lamina.utils.np_utils, Progbar and plot_model."""
import io
import os
import re
import stat
import sys

import numpy as np
import pytest

from lamina.layers import Dense, Input, concatenate
from lamina.models import Model, Sequential
from lamina.utils import Progbar, model_to_dot, np_utils, plot_model, to_categorical
from oracle import keras


def test_np_utils_to_categorical_takes_keras1_nb_classes():
    labels = np.array([0, 2, 1])
    np.testing.assert_array_equal(np_utils.to_categorical(labels, nb_classes=4),
                                  keras().utils.to_categorical(labels, num_classes=4))
    np.testing.assert_array_equal(np_utils.to_categorical(labels, 3), to_categorical(labels))
    assert np_utils.to_categorical is to_categorical


def test_np_utils_probabilities_to_classes():
    probabilities = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    np.testing.assert_array_equal(np_utils.categorical_probas_to_classes(probabilities), [1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes(probabilities), [1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.2], [0.9], [0.5]])), [0, 1, 0])
    np.testing.assert_allclose(np_utils.normalize([[3.0, 4.0]]), [[0.6, 0.8]])


class Terminal(io.StringIO):
    def isatty(self):
        return True


def progbar_output(monkeypatch, stream, actions, **arguments):
    monkeypatch.setattr(sys, "stdout", stream)
    bar = Progbar(**arguments)
    for method, step, values in actions:
        getattr(bar, method)(step, values)
    return stream.getvalue()


def test_progbar_averages_values_over_the_steps_they_cover(monkeypatch):
    output = progbar_output(monkeypatch, Terminal(), [
        ("update", 1, [("loss", 1.0), ("lr", 0.1)]), ("update", 3, [("loss", 4.0), ("lr", 0.2)]),
        ("add", 7, [("loss", 0.0), ("lr", 0.3)]),
    ], target=10, interval=0, stateful_metrics=["lr"])
    frames = output.split("\r")[1:]
    assert frames[0].startswith(" 1/10 [==>...........................] - ETA: ")
    assert frames[0].endswith(" - loss: 1.0000 - lr: 0.1000")
    assert frames[1].startswith(" 3/10 [========>.....................] - ETA: ")
    assert frames[1].endswith(" - loss: 3.0000 - lr: 0.2000")  # (1 * 1 + 4 * 2) / 3
    assert re.fullmatch(r"10/10 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: 0\.9000 - lr: 0\.3000\n", frames[2])


def test_progbar_matches_keras_running_averages(monkeypatch):
    updates = [(2, [("loss", 0.5)]), (5, [("loss", 2.0)]), (6, [("loss", 0.25)])]
    ours = progbar_output(monkeypatch, Terminal(), [("update", s, v) for s, v in updates], target=10, interval=0)
    keras_bar = keras().utils.Progbar(target=10, interval=0)
    keras_output = io.StringIO()
    monkeypatch.setattr(sys, "stdout", keras_output)
    for step, values in updates:
        keras_bar.update(step, values)
    pattern = r"loss: (\d+\.\d+)"
    assert re.findall(pattern, ours) == re.findall(pattern, keras_output.getvalue())[-3:]


def test_progbar_verbose_2_and_logs_print_one_line(monkeypatch):
    actions = [("update", 5, [("acc", 0.5)]), ("update", 10, [("acc", 1.0)])]
    assert re.fullmatch(r"10/10 - \d+s \d+(us|ms|s)/step - acc: 0\.7500\n",
                        progbar_output(monkeypatch, io.StringIO(), actions, target=10, verbose=2))
    assert re.fullmatch(r"10/10 \[={30}\] - \d+s \d+(us|ms|s)/sample - acc: 0\.7500\n",
                        progbar_output(monkeypatch, io.StringIO(), actions, target=10, unit_name="sample"))
    assert progbar_output(monkeypatch, io.StringIO(), actions, target=10, verbose=0) == ""
    unknown = progbar_output(monkeypatch, Terminal(), [("update", 3, None)], target=None, interval=0)
    assert unknown.startswith("\r      3/Unknown - ")


def two_branch_model():
    inputs = Input((3,), name="features")
    left, right = Dense(2, name="left")(inputs), Dense(4, name="right")(inputs)
    return Model(inputs, Dense(1, name="out")(concatenate([left, right], name="join")))


def test_model_to_dot_lists_layers_and_connections():
    source = model_to_dot(two_branch_model(), show_shapes=True).to_string()
    assert '"left" [label="{left: Dense|(None, 2)}"];' in source
    assert '"features" [label="{features: InputLayer|(None, 3)}"];' in source
    edges = re.findall(r'"(\w+)" -> "(\w+)";', source)
    assert sorted(edges) == [("features", "left"), ("features", "right"), ("join", "out"), ("left", "join"),
                             ("right", "join")]
    plain = model_to_dot(Sequential([Input((2,)), Dense(1, name="only")]), show_layer_names=False).to_string()
    assert '"only" [label="Dense"];' in plain and "rankdir=TB" in plain


def test_plot_model_writes_dot_source_without_graphviz(tmp_path):
    path = tmp_path / "model.dot"
    plot_model(two_branch_model(), to_file=str(path), rankdir="LR")
    assert path.read_text().startswith('digraph "functional') and "rankdir=LR" in path.read_text()


def test_plot_model_without_graphviz_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match=r"install Graphviz \(`apt-get install graphviz`.*`brew install graphviz`"):
        plot_model(two_branch_model(), to_file=str(tmp_path / "model.png"))
    assert not (tmp_path / "model.png").exists()


def test_plot_model_runs_graphviz_dot_for_images(tmp_path, monkeypatch):
    # A stand-in for Graphviz's `dot` that records its arguments and echoes the source it was given.
    program = tmp_path / "dot"
    program.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write('FORMAT ' + sys.argv[1] + '\\n' + "
                       f"sys.stdin.read())\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    plot_model(two_branch_model(), to_file=str(tmp_path / "model.svg"))
    written = (tmp_path / "model.svg").read_text()
    assert written.startswith("FORMAT -Tsvg\ndigraph ") and '"left" -> "join";' in written
