"""Keras 1's fit() argument forms and History names, next to what Keras 3 code sees (docs/keras-compatibility.md)."""
import copy
import json
import pickle
import warnings

import numpy as np
import pytest

from lamina import callbacks, optimizers
from lamina.callbacks.history import LegacyMetricNameWarning
from lamina.layers import Dense, Input
from lamina.legacy import LegacyArgumentWarning
from lamina.models import Model, Sequential
from lamina.utils import set_random_seed
from oracle import keras

RNG = np.random.default_rng(12)
X = RNG.standard_normal((40, 3)).astype("float32")
Y = (X.sum(axis=1, keepdims=True) > 0).astype("float32")
X_VAL, Y_VAL = X[:12] + 0.5, Y[:12]


def small_model(metrics=("accuracy",), seed=0):
    set_random_seed(seed)
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(0.1), loss="binary_crossentropy", metrics=list(metrics))
    return model


def keras_copy(model):
    k = keras()
    k_model = k.Sequential([k.Input((3,)), k.layers.Dense(4, activation="tanh"),
                            k.layers.Dense(1, activation="sigmoid")])
    k_model.set_weights(model.get_weights())
    k_model.compile(optimizer=k.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    return k_model


# ---------------------------------------------------------------- fit() argument forms

def test_validation_data_as_a_list_is_the_tuple_as_in_keras1_and_keras3():
    as_tuple = small_model().fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                                 validation_data=(X_VAL, Y_VAL)).history
    as_list = small_model().fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                                validation_data=[X_VAL, Y_VAL]).history
    model = small_model()
    k_history = keras_copy(model).fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                                      validation_data=[X_VAL, Y_VAL]).history
    assert as_list == as_tuple
    np.testing.assert_allclose(as_list["val_loss"], k_history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(as_list["val_accuracy"], k_history["val_accuracy"], rtol=1e-6)


def test_validation_data_list_with_sample_weights():
    weights = np.linspace(0.0, 2.0, len(X_VAL)).astype("float32")
    weighted = small_model().fit(X, Y, epochs=1, verbose=0, shuffle=False,
                                 validation_data=[X_VAL, Y_VAL, weights]).history["val_loss"]
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    assert weighted == [pytest.approx(model.evaluate(X_VAL, Y_VAL, sample_weight=weights, verbose=0)[0], rel=1e-6)]


def test_validation_data_wins_over_validation_split_as_in_keras1_and_keras3():
    model = small_model()
    k_model = keras_copy(model)
    ours = model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0, validation_split=0.5,
                     validation_data=(X_VAL, Y_VAL)).history
    theirs = k_model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0, validation_split=0.5,
                         validation_data=(X_VAL, Y_VAL)).history
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)  # trained on all 40 samples
    np.testing.assert_allclose(ours["val_loss"], theirs["val_loss"], rtol=1e-5)
    assert ours["val_loss"] == [pytest.approx(model.evaluate(X_VAL, Y_VAL, verbose=0)[0], rel=1e-6)]


def test_keras1_positional_fit_arguments():
    # Keras 1: fit(x, y, batch_size=32, nb_epoch=10, verbose=1, callbacks=[], validation_split=0., ...)
    history = small_model().fit(X, Y, 8, 3, 0, [], 0.25)
    assert history.epoch == [0, 1, 2] and sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_val_loss_with_validation_split_is_the_loss_on_the_last_fraction():
    model = small_model()
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0, validation_split=0.25)
    assert history.history["val_loss"] == [pytest.approx(model.evaluate(X[30:], Y[30:], verbose=0)[0], rel=1e-6)]


# ---------------------------------------------------------------- History names

def test_keras3_code_sees_the_names_it_compiled():
    history = small_model().fit(X, Y, epochs=2, verbose=0, validation_split=0.25)
    k_history = keras_copy(small_model()).fit(X, Y, epochs=2, verbose=0, validation_split=0.25)
    assert list(history.history) == list(history.history.keys()) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert sorted(history.history) == sorted(k_history.history)
    assert "acc" not in history.history and "val_acc" not in history.history
    assert len(history.history) == 4 and history.history.get("val_acc2") is None
    with pytest.raises(KeyError, match="val_acc2"):
        history.history["val_acc2"]
    assert json.loads(json.dumps(history.history)) == dict(history.history)
    assert copy.deepcopy(history.history) == pickle.loads(pickle.dumps(history.history)) == history.history


def test_keras1_names_read_the_keras3_logged_lists_with_one_warning_per_fit():
    model = small_model()
    history = model.fit(X, Y, epochs=2, verbose=0, validation_data=[X_VAL, Y_VAL])
    with pytest.warns(LegacyMetricNameWarning) as caught:
        val_acc = history.history["val_acc"]
        acc = history.history["acc"]
        also = history.history.get("val_acc")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "history.history['val_acc']: this fit() logged the metric as 'val_accuracy'" in message
    assert "compile with metrics=['acc']" in message and caught[0].filename == __file__
    assert issubclass(LegacyMetricNameWarning, LegacyArgumentWarning)
    assert issubclass(LegacyMetricNameWarning, FutureWarning)
    assert val_acc is also is history.history["val_accuracy"] and acc is history.history["accuracy"]
    assert len(val_acc) == 2
    second = model.fit(X, Y, epochs=1, verbose=0)  # a new fit() warns again
    with pytest.warns(LegacyMetricNameWarning):
        assert second.history["acc"] == second.history["accuracy"]


def test_compiling_with_acc_logs_acc_without_warnings():
    history = small_model(metrics=["acc"]).fit(X, Y, epochs=1, verbose=0, validation_split=0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
        assert history.history.get("val_acc") == history.history["val_acc"]


def test_names_of_other_metrics_and_outputs_resolve_both_ways():
    set_random_seed(1)
    inputs = Input((3,))
    first = Dense(1, activation="sigmoid", name="first")(inputs)
    second = Dense(1, name="second")(inputs)
    model = Model(inputs, [first, second])
    model.compile(optimizer="sgd", loss=["binary_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]])
    history = model.fit(X, [Y, X[:, :1]], epochs=1, verbose=0, validation_split=0.25).history
    assert "first_accuracy" in history and "val_second_mean_absolute_error" in history
    with pytest.warns(LegacyMetricNameWarning):
        assert history["val_first_acc"] is history["val_first_accuracy"]
    assert history["second_mae"] is history["second_mean_absolute_error"]  # Keras 3's name for lamina's


def test_keras1_callbacks_read_acc_in_epoch_and_batch_logs():
    read = []

    class AccuracyHistory(callbacks.Callback):  # a Keras 1 custom callback
        def on_batch_end(self, batch, logs={}):
            read.append(("batch", logs.get("acc"), "acc" in logs))

        def on_epoch_end(self, epoch, logs={}):
            read.append(("epoch", logs["val_acc"], logs.get("acc")))

    model = small_model()
    with pytest.warns(LegacyMetricNameWarning, match=r"logs\['acc'\]") as caught:
        history = model.fit(X, Y, batch_size=20, epochs=1, verbose=0, validation_data=(X_VAL, Y_VAL),
                            callbacks=[AccuracyHistory()])
        history.history["val_acc"]
    assert len(caught) == 1  # the callbacks' reads and the History share fit()'s one warning
    batch_reads, (_, val_acc, acc) = read[:2], read[2]
    assert [entry[2] for entry in batch_reads] == [False, False]  # `in` only knows the logged names
    assert all(0 <= entry[1] <= 1 for entry in batch_reads)
    assert val_acc == history.history["val_accuracy"][0] and acc == history.history["accuracy"][0]


def test_early_stopping_and_checkpoints_monitor_keras1_names(tmp_path):
    model = small_model()
    stopper = callbacks.EarlyStopping(monitor="val_acc", patience=0, mode="max")
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "weights.{epoch:02d}-{val_acc:.2f}.lamina"),
                                           monitor="val_acc", save_best_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "monitoring 'val_acc', which is not in the logs"
        with pytest.warns(LegacyMetricNameWarning):
            history = model.fit(X, Y, epochs=3, verbose=0, validation_data=(X_VAL, Y_VAL),
                                callbacks=[stopper, checkpoint])
    first = history.history["val_accuracy"][0]
    assert checkpoint.best == max(history.history["val_accuracy"]) and stopper.best == checkpoint.best
    assert (tmp_path / f"weights.01-{first:.2f}.lamina").exists()
