"""Callbacks on scripted loss sequences (no training needed to check their decisions)."""
import csv

import pytest

from lamina.callbacks import CSVLogger, EarlyStopping, LambdaCallback, ReduceLROnPlateau
from oracle import keras


class FakeOptimizer:
    learning_rate = 0.1


class FakeModel:
    def __init__(self):
        self.stop_training = False
        self.optimizer = FakeOptimizer()
        self.state = {"w": 0}

    def state_dict(self):
        return dict(self.state)

    def load_state_dict(self, state):
        self.state = dict(state)


def run_epochs(callback, values, monitor="val_loss", model=None):
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    stopped_at = None
    for epoch, value in enumerate(values):
        model.state["w"] = epoch
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            stopped_at = epoch
            break
    callback.on_train_end()
    return model, stopped_at


def test_early_stopping_waits_patience_epochs_after_the_best():
    _, stopped = run_epochs(EarlyStopping(patience=2), [1.0, 0.8, 0.9, 0.85, 0.7])
    assert stopped == 3


def test_early_stopping_min_delta_and_max_mode():
    _, stopped = run_epochs(EarlyStopping(monitor="val_acc", patience=1, min_delta=0.05), [0.5, 0.52, 0.9],
                            monitor="val_acc")
    assert stopped == 1


def test_early_stopping_restores_best_weights():
    model, stopped = run_epochs(EarlyStopping(patience=1, restore_best_weights=True), [1.0, 0.5, 0.6, 0.7])
    assert stopped == 2 and model.state["w"] == 1


@pytest.mark.parametrize("cooldown", [0, 1, 2])
def test_reduce_lr_on_plateau_follows_keras_schedule(cooldown):
    values = [1.0, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.85, 0.8]
    lamina_model, keras_model = FakeModel(), FakeModel()
    lamina_callback = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=cooldown, min_lr=0.01)
    keras_callback = keras().callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=cooldown, min_lr=0.01)
    for callback, model in ((lamina_callback, lamina_model), (keras_callback, keras_model)):
        callback.set_model(model)
        callback.on_train_begin()
    for epoch, value in enumerate(values):
        lamina_callback.on_epoch_end(epoch, {"val_loss": value})
        keras_callback.on_epoch_end(epoch, {"val_loss": value})
        assert lamina_model.optimizer.learning_rate == pytest.approx(float(keras_model.optimizer.learning_rate))
    assert lamina_model.optimizer.learning_rate < 0.1


def test_reduce_lr_rejects_factor_of_one_or_more():
    with pytest.raises(ValueError, match="`factor` must be < 1"):
        ReduceLROnPlateau(factor=1.0)


def test_csv_logger_writes_rows_atomically(tmp_path):
    path = tmp_path / "log.csv"
    callback = CSVLogger(path)
    callback.set_model(FakeModel())
    callback.on_train_begin()
    callback.on_epoch_end(0, {"loss": 0.5, "acc": 0.25})
    callback.on_epoch_end(1, {"loss": 0.25, "acc": 0.5})
    with path.open() as handle:
        rows = list(csv.reader(handle))
    assert rows == [["epoch", "acc", "loss"], ["0", "0.25", "0.5"], ["1", "0.5", "0.25"]]
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="unknown hook 'on_epoch_finish'"):
        LambdaCallback(on_epoch_finish=print)


@pytest.mark.parametrize("patience,min_delta,baseline", [(0, 0, None), (2, 0, None), (1, 0.15, None),
                                                         (2, 0, 0.85), (3, 0.01, None)])
def test_early_stopping_stops_at_the_same_epoch_as_keras(patience, min_delta, baseline):
    values = [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.76, 0.77, 0.78, 0.6]

    def stop_epoch(callback):
        model = FakeModel()
        callback.set_model(model)
        callback.on_train_begin()
        for epoch, value in enumerate(values):
            callback.on_epoch_end(epoch, {"val_loss": value})
            if model.stop_training:
                return epoch
        return None

    arguments = dict(patience=patience, min_delta=min_delta, baseline=baseline)
    assert stop_epoch(EarlyStopping(**arguments)) == stop_epoch(keras().callbacks.EarlyStopping(**arguments))
