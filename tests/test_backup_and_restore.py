"""BackupAndRestore: a fit() interrupted by an exception or a SIGKILL, run again, ends bitwise equal to an
uninterrupted run (weights, History, callback states, random generators), on the CPU with a fixed seed."""
import json
import os
import random
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from safetensors import safe_open

from lamina import callbacks
from lamina.layers import Dense, Dropout, Input
from lamina.models import Sequential
from lamina.saving import ModelFileError
from lamina.utils import set_random_seed

RNG = np.random.default_rng(7)
X = RNG.standard_normal((48, 6)).astype("float32")
Y = (X[:, :1] + X[:, 1:2] > 0).astype("float32")
EPOCHS = 6


def build_model(seed=3):
    set_random_seed(seed)
    model = Sequential([Input((6,)), Dense(16, activation="relu"), Dropout(0.5), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


class DrawRandomNumbers(callbacks.Callback):
    """Logs one draw from NumPy's and Python's global generators per epoch: restored generators repeat them."""

    def on_epoch_end(self, epoch, logs=None):
        logs["numpy_draw"] = float(np.random.random())
        logs["python_draw"] = random.random()


class CrashAt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


class RecordEpochs(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def training_callbacks(csv_path):
    """Callbacks with state: their state must be restored for the resumed run to match."""
    return [DrawRandomNumbers(),
            callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0),
            callbacks.EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True),
            callbacks.CSVLogger(csv_path)]


def fit(model, extra_callbacks, csv_path):
    return model.fit(X, Y, epochs=EPOCHS, batch_size=8, shuffle=True, validation_split=0.25, verbose=0,
                     callbacks=training_callbacks(csv_path) + extra_callbacks)


def assert_same_weights(model, reference):
    for (name, value), expected in zip(model.state_dict().items(), reference.state_dict().values()):
        assert torch.equal(value, expected), name


@pytest.mark.parametrize("same_model", [True, False], ids=["same-model", "rebuilt-model"])
def test_resuming_after_a_crash_matches_an_uninterrupted_run_bitwise(tmp_path, same_model):
    reference = build_model()
    expected = fit(reference, [], tmp_path / "reference.csv")

    backup_dir = tmp_path / "backup"
    model = build_model()
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(model, [callbacks.BackupAndRestore(backup_dir), CrashAt(2)], tmp_path / "resumed.csv")
    assert (backup_dir / "backup.safetensors").exists()
    (backup_dir / ".backup.safetensors.leftover.tmp").write_bytes(b"what a kill mid-write leaves")

    set_random_seed(99)  # whatever the generators' states are now, the backup's are restored
    if not same_model:
        model = build_model(seed=5)  # other initial weights and automatic layer names
    epochs = RecordEpochs()
    history = fit(model, [callbacks.BackupAndRestore(backup_dir), epochs], tmp_path / "resumed.csv")

    assert epochs.epochs == [2, 3, 4, 5]  # epoch 2 crashed before its backup: it runs again
    assert history.epoch == expected.epoch == list(range(EPOCHS))
    assert history.history == expected.history  # losses, learning rates and the random draws, all epochs
    assert model.history is history
    assert_same_weights(model, reference)
    assert model.optimizer.learning_rate == reference.optimizer.learning_rate < 0.001  # ReduceLROnPlateau
    assert model.optimizer.iterations == reference.optimizer.iterations
    assert (tmp_path / "resumed.csv").read_text() == (tmp_path / "reference.csv").read_text()
    assert not backup_dir.exists()  # deleted at the end of a successful fit, with the leftover


class ScriptedValidationLoss(callbacks.Callback):
    values = [0.5, 0.4, 0.45, 0.6, 0.7, 0.1]

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_early_stopping_resumes_its_patience_and_best_weights(tmp_path):
    def run(extra):
        stopping = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
        history = model.fit(X, Y, epochs=EPOCHS, batch_size=8, verbose=0,
                            callbacks=[ScriptedValidationLoss(), stopping] + extra)
        return history, stopping

    model = build_model()
    expected, expected_stopping = run([])
    reference = model

    model = build_model()
    with pytest.raises(RuntimeError):
        run([callbacks.BackupAndRestore(tmp_path / "backup"), CrashAt(3)])
    history, stopping = run([callbacks.BackupAndRestore(tmp_path / "backup")])
    assert expected.epoch == history.epoch == [0, 1, 2, 3]  # stopped 2 epochs after the best (epoch 1)
    assert (stopping.best, stopping.best_epoch, stopping.stopped_epoch) == (0.4, 1, 3)
    assert (expected_stopping.best, expected_stopping.best_epoch, expected_stopping.stopped_epoch) == (0.4, 1, 3)
    assert_same_weights(model, reference)  # the best weights (epoch 1), restored from the backup's copy
    assert not (tmp_path / "backup").exists()  # the backup, and its folder once empty, are gone


def test_a_crash_after_early_stopping_does_not_train_further(tmp_path):
    class CrashAtTheEnd(callbacks.Callback):
        def on_train_end(self, logs=None):
            raise RuntimeError("crash in on_train_end")

    def run(extra):
        return model.fit(X, Y, epochs=EPOCHS, batch_size=8, verbose=0, callbacks=[
            ScriptedValidationLoss(), callbacks.EarlyStopping(patience=2, restore_best_weights=True)] + extra)

    model = build_model()
    run([])
    reference = model

    model = build_model()
    with pytest.raises(RuntimeError, match="on_train_end"):  # fit() did not finish: the backup stays
        run([CrashAtTheEnd(), callbacks.BackupAndRestore(tmp_path / "backup")])
    epochs = RecordEpochs()
    history = run([callbacks.BackupAndRestore(tmp_path / "backup"), epochs])
    assert epochs.epochs == [] and history.epoch == [0, 1, 2, 3]
    assert_same_weights(model, reference)  # EarlyStopping restored the best weights, from the backup


def test_the_backup_is_safetensors_with_json_metadata_after_every_epoch(tmp_path):
    seen = []

    class ReadBackup(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            path = tmp_path / "backup.safetensors"
            if epoch == 0:
                assert not path.exists()
                return
            with safe_open(path, "pt") as backup:  # plain safetensors: no pickle anywhere
                metadata = json.loads(backup.metadata()["lamina-backup"])
                names = list(backup.keys())
            seen.append(metadata["epoch"])
            assert "random.torch" in names and any(name.startswith("model.") for name in names)
            assert metadata["callbacks"]["History.0"]

    model = build_model()
    model.fit(X, Y, epochs=3, verbose=0,
              callbacks=[callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False), ReadBackup()])
    assert seen == [0, 1]
    assert (tmp_path / "backup.safetensors").exists()  # delete_checkpoint=False keeps it


def test_a_finished_backup_with_delete_checkpoint_false_trains_no_more(tmp_path):
    model = build_model()
    keep = callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    first = model.fit(X, Y, epochs=3, verbose=0, callbacks=[keep])
    weights = [value.clone() for value in model.state_dict().values()]
    epochs = RecordEpochs()
    second = model.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path), epochs])
    assert epochs.epochs == []
    assert second.history == first.history and second.epoch == [0, 1, 2]
    assert all(torch.equal(a, b) for a, b in zip(weights, model.state_dict().values()))
    assert not (tmp_path / "backup.safetensors").exists()


def test_a_later_fit_without_a_backup_starts_from_initial_epoch(tmp_path):
    model = build_model()
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path / "backup")])
    epochs = RecordEpochs()
    model.fit(X, Y, epochs=3, initial_epoch=1, verbose=0, callbacks=[epochs])
    assert epochs.epochs == [1, 2]


@pytest.mark.parametrize("arguments, error, message", [
    ((3,), TypeError, "`backup_dir` must be a folder path .* received 3 of type int"),
    (("",), ValueError, "`backup_dir` is empty"),
    (("backup", 100), ValueError, "`save_freq` must be 'epoch' .* received 100"),
    (("backup", "epoch", 1), TypeError, "`double_checkpoint` must be True or False, received 1"),
    (("backup", "epoch", False, "yes"), TypeError, "`delete_checkpoint` must be True or False, received 'yes'"),
])
def test_invalid_arguments_name_the_argument(arguments, error, message):
    with pytest.raises(error, match=message):
        callbacks.BackupAndRestore(*arguments)


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    reference = build_model()
    fit(reference, [], tmp_path / "reference.csv")

    model = build_model()
    backup = callbacks.BackupAndRestore(tmp_path / "backup", "epoch", True)  # Keras's order: double_checkpoint
    with pytest.raises(RuntimeError):
        fit(model, [backup, CrashAt(3)], tmp_path / "resumed.csv")
    assert sorted(os.listdir(tmp_path / "backup")) == ["backup.safetensors", "previous-backup.safetensors"]
    (tmp_path / "backup" / "backup.safetensors").write_bytes(b"damaged by the disk")
    epochs = RecordEpochs()
    with pytest.warns(RuntimeWarning, match="not a readable lamina backup .* Restoring the previous epoch's"):
        fit(model, [backup, epochs], tmp_path / "resumed.csv")
    assert epochs.epochs == [2, 3, 4, 5]  # the previous backup is epoch 1's
    assert_same_weights(model, reference)
    assert (tmp_path / "resumed.csv").read_text() == (tmp_path / "reference.csv").read_text()
    assert not (tmp_path / "backup").exists()


def test_a_backup_dir_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "not-a-folder"
    path.write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        build_model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(path)])


def test_a_damaged_backup_raises_model_file_error_with_the_fix(tmp_path):
    (tmp_path / "backup.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ModelFileError, match="not a readable lamina backup .* Delete it"):
        build_model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])


def test_a_backup_of_another_model_is_refused(tmp_path):
    keep = callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    build_model().fit(X, Y, epochs=1, verbose=0, callbacks=[keep])
    other = Sequential([Input((6,)), Dense(3), Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="was made for another model.*Delete the backup"):
        other.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])


def test_an_unsaveable_callback_state_names_the_callback(tmp_path):
    class Stateful(callbacks.Callback):
        state_attributes = ("handle",)
        handle = object()

    with pytest.raises(TypeError, match="cannot save the state of Stateful: it holds a object"):
        build_model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path), Stateful()])


CHILD = textwrap.dedent("""
    import json, os, signal, sys

    import numpy as np

    from lamina import callbacks
    from lamina.layers import Dense, Dropout, Input
    from lamina.models import Sequential
    from lamina.utils import set_random_seed

    backup_dir, weights_path, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    set_random_seed(11)
    model = Sequential([Input((6,)), Dense(32, activation="relu"), Dropout(0.3), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    epochs_run = []

    def kill(epoch, logs):
        if epoch == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    record = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs_run.append(epoch))
    history = model.fit(x, y, epochs=6, batch_size=8, shuffle=True, verbose=0,
                        callbacks=[callbacks.BackupAndRestore(backup_dir), callbacks.LambdaCallback(on_epoch_end=kill),
                                   record])
    model.save_weights(weights_path)
    print(json.dumps({"epochs_run": epochs_run, "history": history.history}))
""")


def start_child(script, tmp_path, name, kill_at):
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / f"{name}-backup"),
                             str(tmp_path / f"{name}.safetensors"), str(kill_at)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})  # two children share the cores


def finish(child):
    stdout, stderr = child.communicate(timeout=120)
    return child.returncode, stdout, stderr


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_a_process_killed_with_sigkill_resumes_bitwise(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(CHILD)
    uninterrupted = start_child(script, tmp_path, "uninterrupted", -1)  # the two run side by side
    killed = start_child(script, tmp_path, "resumed", 2)
    code, stdout, stderr = finish(killed)
    assert code == -signal.SIGKILL, stderr
    assert (tmp_path / "resumed-backup" / "backup.safetensors").exists()
    code, stdout, stderr = finish(start_child(script, tmp_path, "resumed", -1))
    assert code == 0, stderr
    resumed = json.loads(stdout)
    code, stdout, stderr = finish(uninterrupted)
    assert code == 0, stderr
    expected = json.loads(stdout)

    assert expected["epochs_run"] == list(range(6))
    assert resumed["epochs_run"] == [2, 3, 4, 5]  # killed in epoch 2's callbacks, before its backup
    assert resumed["history"] == expected["history"]
    with safe_open(tmp_path / "resumed.safetensors", "pt") as got, \
            safe_open(tmp_path / "uninterrupted.safetensors", "pt") as want:
        assert list(got.keys()) == list(want.keys())
        for name in want.keys():
            assert torch.equal(got.get_tensor(name), want.get_tensor(name)), name
    assert not (tmp_path / "resumed-backup").exists()
