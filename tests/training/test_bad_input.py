"""Bad user input to compile/fit/evaluate/predict fails early and clearly.

Each error is a ValueError or TypeError (exactly that type) whose message names the argument, what was expected,
what was received and the fix; it is raised before training starts: the weights are unchanged, no callback's
on_train_begin ran and no callback wrote a file.
"""
import numpy as np
import pytest
import torch

from lamina import callbacks, optimizers
from lamina.layers import Dense, Flatten, Input
from lamina.models import Model, Sequential
from lamina.utils import Sequence, set_random_seed

RNG = np.random.default_rng(7)
X = RNG.standard_normal((20, 3)).astype("float32")
Y = X[:, :1] * 2.0 - 1.0
LABELS = RNG.integers(0, 4, size=20)


class Recorder(callbacks.Callback):
    """Remembers every training hook that ran."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("on_train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append("on_epoch_begin")

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append("on_train_batch_begin")

    def on_test_begin(self, logs=None):
        self.calls.append("on_test_begin")


def regression_model(compile=True, units=1, loss="mse", metrics=None):
    set_random_seed(0)
    model = Sequential([Input((3,)), Dense(units)])
    if compile:
        model.compile(optimizer=optimizers.SGD(0.1), loss=loss, metrics=metrics)
    return model


def classifier(loss="sparse_categorical_crossentropy", **loss_arguments):
    set_random_seed(0)
    model = Sequential([Input((3,)), Dense(4, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return model


def assert_rejected(model, tmp_path, error, words, method="fit", **arguments):
    """Calls model.<method>(**arguments) with recording and file-writing callbacks; checks it failed early."""
    recorder = Recorder()
    csv_path, checkpoint_path = tmp_path / "log.csv", tmp_path / "checkpoint.lamina"
    spies = [recorder, callbacks.CSVLogger(csv_path), callbacks.ModelCheckpoint(checkpoint_path, monitor="loss")]
    before = [weight.copy() for weight in model.get_weights()]
    with pytest.raises(Exception) as info:
        getattr(model, method)(callbacks=spies, verbose=0, **arguments)
    assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    assert recorder.calls == [], f"training had started: {recorder.calls}"
    assert not csv_path.exists() and not checkpoint_path.exists()
    assert list(tmp_path.iterdir()) == []
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    return message


# ---------------------------------------------------------------- compile

def test_fit_and_evaluate_before_compile(tmp_path):
    model = regression_model(compile=False)
    assert_rejected(model, tmp_path, ValueError, ["compile()", "before fit()", "model.compile(optimizer="],
                    x=X, y=Y)
    assert_rejected(model, tmp_path, ValueError, ["compile()", "before evaluate()"], method="evaluate", x=X, y=Y)


@pytest.mark.parametrize("arguments, words", [
    ({"optimizer": "sqd", "loss": "mse"}, ["Unknown optimizer 'sqd'", "Did you mean 'sgd'?", "Valid: ", "adam"]),
    ({"optimizer": "sgd", "loss": "mse2"}, ["Unknown loss 'mse2'", "Did you mean 'mse'?", "Valid: ", "huber"]),
    ({"optimizer": "sgd", "loss": "binary_crossentropi"},
     ["Unknown loss 'binary_crossentropi'", "Did you mean 'binary_crossentropy'?"]),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]},
     ["Unknown metric 'acuracy'", "Did you mean 'accuracy'?", "Valid: ", "mae"]),
    ({"optimizer": "sgd", "loss": "mse", "metrics": {"dense": ["maee"]}},
     ["Unknown metric 'maee'", "Did you mean 'mae'?"]),
])
def test_unknown_names_fail_in_compile_with_the_nearest_suggestion(arguments, words):
    model = Sequential([Input((3,)), Dense(1, name="dense")])
    before = model.get_weights()
    with pytest.raises(Exception) as info:
        model.compile(**arguments)
    assert type(info.value) is ValueError
    for word in words:
        assert word in str(info.value), str(info.value)
    assert not getattr(model, "compiled", False)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_compile_arguments_can_be_checked_before_the_outputs_are_known():
    """targets.check_identifiers walks nested losses and metrics, for compile() on a model not yet built."""
    from lamina.training import targets

    targets.check_identifiers("mse", ["acc", "mae"], {"out": ["AUC"]})
    targets.check_identifiers([None, "categorical_crossentropy"], [["accuracy"], []], None)
    with pytest.raises(ValueError, match="Unknown loss 'mse2'. Did you mean 'mse'?"):
        targets.check_identifiers({"a": "mse", "b": "mse2"})
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'. Did you mean 'accuracy'?"):
        targets.check_identifiers("mse", weighted_metrics={"a": ["acuracy"]})


def test_known_metric_spellings_still_compile():
    model = regression_model(metrics=["mae", "MeanSquaredError", "mean_absolute_error", "acc", "accuracy"])
    model.fit(X, Y, verbose=0)
    assert len(model.metrics_names) == 6 and model.metrics_names[-2:] == ["acc", "accuracy"]


@pytest.mark.parametrize("arguments", [{"loss": "mse2"}, {"loss": "mse", "metrics": ["acuracy"]}])
def test_unknown_names_for_a_sequential_without_input_shape_fail_before_training(tmp_path, arguments):
    """Such a model finishes compiling on its first data: the error comes in compile() or, at the latest, in
    fit() before any callback runs."""
    words = ["Unknown loss 'mse2'", "Did you mean 'mse'?"] if arguments["loss"] == "mse2" else [
        "Unknown metric 'acuracy'", "Did you mean 'accuracy'?"]
    model = Sequential([Dense(1)])
    try:
        model.compile(optimizer="sgd", **arguments)
    except ValueError as error:
        assert all(word in str(error) for word in words), str(error)
    else:
        assert_rejected(model, tmp_path, ValueError, words, x=X, y=Y)


# ---------------------------------------------------------------- samples and lengths

def test_x_and_y_of_different_lengths(tmp_path):
    model = regression_model()
    assert_rejected(model, tmp_path, ValueError, ["`x` and `y`", "same number of samples", "x with 20",
                                                  "y with 5", "line up"], x=X, y=Y[:5])
    assert_rejected(model, tmp_path, ValueError, ["`x` and `y`", "x with 4", "y with 20"],
                    x=X, y=Y, validation_data=(X[:4], Y))
    assert_rejected(model, tmp_path, ValueError, ["`x` and `y`", "x with 20", "y with 5"], method="evaluate",
                    x=X, y=Y[:5])


def test_inputs_of_different_lengths_in_a_multi_input_model(tmp_path):
    first, second = Input((3,)), Input((2,))
    model = Model([first, second], Dense(1)(first))
    model.compile(optimizer="sgd", loss="mse")
    assert_rejected(model, tmp_path, ValueError, ["`x`", "same number of samples", "[5, 20]"],
                    x=[X, X[:5, :2]], y=Y)


def test_empty_data(tmp_path):
    model = regression_model()
    assert_rejected(model, tmp_path, ValueError, ["`x` is empty", "at least one sample", "0 samples",
                                                  "shape (0, 3)"], x=X[:0], y=Y[:0])
    assert_rejected(model, tmp_path, ValueError, ["`x` is empty", "empty list"], x=[], y=[])
    assert_rejected(model, tmp_path, ValueError, ["`x` is empty"], method="evaluate", x=X[:0], y=Y[:0])
    with pytest.raises(ValueError, match="`x` is empty"):
        model.predict(np.zeros((0, 3), "float32"))
    empty = torch.utils.data.TensorDataset(torch.zeros(0, 3), torch.zeros(0, 1))
    assert_rejected(model, tmp_path, ValueError, ["data source", "is empty", "at least one sample"], x=empty)
    loader = torch.utils.data.DataLoader(empty, batch_size=4)
    assert_rejected(model, tmp_path, ValueError, ["DataLoader", "is empty"], x=loader)

    class NoBatches(Sequence):
        def __len__(self):
            return 0

    assert_rejected(model, tmp_path, ValueError, ["NoBatches", "is empty"], x=NoBatches())


def test_input_shape_that_does_not_fit_the_model(tmp_path):
    model = regression_model()
    assert_rejected(model, tmp_path, ValueError, ["Input 'input_layer", "expects shape (None, 3)",
                                                  "received data of shape (20, 5)", "Reshape the data"],
                    x=np.zeros((20, 5), "float32"), y=Y)
    assert_rejected(model, tmp_path, ValueError, ["expects shape (None, 3)", "(20, 5)"],
                    x=X, y=Y, validation_data=(np.zeros((20, 5), "float32"), Y))


# ---------------------------------------------------------------- dtypes

def test_string_and_object_arrays(tmp_path):
    model = regression_model()
    strings = np.array([["a", "b", "c"]] * 20)
    message = assert_rejected(model, tmp_path, TypeError, ["`x`", "must be a numeric array", "strings",
                                                           "dtype <U1", "shape (20, 3)", "Tokenizer"],
                              x=strings, y=Y)
    assert "to_categorical" in message
    assert_rejected(model, tmp_path, TypeError, ["`y`", "strings"], x=X, y=np.array(["cat", "dog"] * 10))
    assert_rejected(model, tmp_path, TypeError, ["`x`", "numeric array", "Python objects", "dtype object",
                                                 "x.astype('float32')", "pad_sequences"],
                    x=X.astype(object), y=Y)
    assert_rejected(model, tmp_path, TypeError, ["`x`", "strings"], x=["some text"] * 20, y=Y)
    with pytest.raises(TypeError, match="`x` must be a numeric array"):
        model.predict(strings)


def test_ragged_python_lists(tmp_path):
    model = regression_model()
    ragged = [[1.0, 2.0, 3.0], [1.0, 2.0]] * 10
    assert_rejected(model, tmp_path, ValueError, ["`x`", "could not be read as one array", "different lengths",
                                                  "pad_sequences"], x=ragged, y=Y)


def test_python_lists_of_numbers_are_one_array_each():
    """A nested list of numbers is read as numpy reads it (one array), not as a list of one-number inputs."""
    as_arrays, as_lists = regression_model(), regression_model()
    as_arrays.fit(X, Y, batch_size=5, shuffle=False, verbose=0)
    as_lists.fit(X.tolist(), Y.ravel().tolist(), batch_size=5, shuffle=False, verbose=0)
    for a, b in zip(as_arrays.get_weights(), as_lists.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert as_lists.predict(X[:2].tolist()).shape == (2, 1)
    assert np.isclose(as_lists.train_on_batch(X[:4].tolist(), Y[:4].ravel().tolist()),
                      as_arrays.train_on_batch(X[:4], Y[:4]), rtol=1e-6)


# ---------------------------------------------------------------- targets

@pytest.mark.parametrize("labels, words", [
    (np.where(LABELS == 0, -1, LABELS), ["class indices in [0, 4)", "values from -1 to 3", "count from 0"]),
    (np.where(LABELS == 0, 4, LABELS), ["class indices in [0, 4)", "values from 1 to 4", "at least 5"]),
    (LABELS + 0.5, ["whole class indices in [0, 4)", "fractional values such as", "categorical_crossentropy"]),
    (np.where(LABELS == 0, np.nan, LABELS), ["NaN or infinite labels"]),
])
def test_sparse_crossentropy_labels_outside_the_classes(tmp_path, labels, words):
    model = classifier()
    assert_rejected(model, tmp_path, ValueError, ["Labels for output 'dense", "sparse crossentropy"] + words,
                    x=X, y=labels)
    assert_rejected(model, tmp_path, ValueError, words, x=X, y=LABELS, validation_data=(X, labels))
    assert_rejected(model, tmp_path, ValueError, words, method="evaluate", x=X, y=labels)


def test_sparse_crossentropy_ignore_class_labels_are_allowed():
    set_random_seed(0)
    model = Sequential([Input((3,)), Dense(4, activation="softmax")])
    from lamina import losses
    model.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(ignore_class=-1))
    history = model.fit(X, np.where(LABELS == 0, -1, LABELS), verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("make_model, y, words", [
    (lambda: regression_model(units=4), Y,
     ["Target shape (20, 1)", "shape (20, 4) of model output", "sparse_categorical_crossentropy", "to_categorical"]),
    (lambda: classifier("categorical_crossentropy"), LABELS,
     ["Target shape (20,)", "(20, 4)", "sparse_categorical_crossentropy"]),
    (lambda: classifier(), np.eye(4)[LABELS],
     ["Target shape (20, 4)", "(20, 4)", "integer class labels of shape (batch,)", "categorical_crossentropy"]),
    (lambda: regression_model(), np.zeros((20, 3), "float32"),
     ["Target shape (20, 3)", "(20, 1)", "Reshape the targets"]),
])
def test_target_shape_that_does_not_fit_the_output(tmp_path, make_model, y, words):
    model = make_model()
    assert_rejected(model, tmp_path, ValueError, words, x=X, y=y)
    assert_rejected(model, tmp_path, ValueError, words[:1], method="evaluate", x=X, y=y)


def test_dense_on_a_4d_input_gets_the_flatten_hint(tmp_path):
    images = np.zeros((6, 3, 8, 8), "float32")
    one_hot = np.eye(10, dtype="float32")[np.arange(6)]
    model = Sequential([Input((3, 8, 8)), Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert_rejected(model, tmp_path, ValueError, ["Target shape (6, 10)", "shape (6, 3, 8, 10)", "4-D",
                                                  "Dense applies to the last axis", "add Flatten()"],
                    x=images, y=one_hot)
    fixed = Sequential([Input((3, 8, 8)), Flatten(), Dense(10, activation="softmax")])
    fixed.compile(optimizer="sgd", loss="categorical_crossentropy")
    fixed.fit(images, one_hot, verbose=0)


def test_target_shape_from_a_generator_fails_before_the_first_weight_update():
    model = regression_model(units=4)
    before = model.get_weights()

    def batches():
        while True:
            yield X[:5], Y[:5]

    with pytest.raises(ValueError, match=r"Target shape \(5, 1\) does not match the shape \(5, 4\)"):
        model.fit(batches(), steps_per_epoch=2, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_multi_output_targets_are_matched_by_name_and_count(tmp_path):
    def two_outputs():
        set_random_seed(0)
        inputs = Input((3,))
        model = Model(inputs, [Dense(1, name="value")(inputs), Dense(4, activation="softmax", name="kind")(inputs)])
        model.compile(optimizer="sgd", loss={"value": "mse", "kind": "sparse_categorical_crossentropy"})
        return model

    by_list, by_dict = two_outputs(), two_outputs()
    by_list.fit(X, [Y, LABELS], shuffle=False, verbose=0)
    by_dict.fit(X, {"kind": LABELS, "value": Y}, shuffle=False, verbose=0)  # not in output order
    for a, b in zip(by_list.get_weights(), by_dict.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert_rejected(two_outputs(), tmp_path, ValueError, ["`y` is a dict", "unknown keys: ['typo']",
                                                          "missing: ['kind']", "output name"],
                    x=X, y={"value": Y, "typo": LABELS})
    assert_rejected(two_outputs(), tmp_path, ValueError, ["`y` has 1 target arrays", "2 output(s)",
                                                          "one target array per output"], x=X, y=[Y])


def test_missing_targets_for_a_compiled_loss(tmp_path):
    words = ["No targets were given (y is None)", "'mean_squared_error' for output 'dense", "model.fit(x, y)",
             "loss=None"]
    assert_rejected(regression_model(), tmp_path, ValueError, words, x=X)
    assert_rejected(regression_model(), tmp_path, ValueError, words, x=X, y=Y, validation_data=(X, None))
    assert_rejected(regression_model(), tmp_path, ValueError, words, method="evaluate", x=X)
    assert regression_model().predict(X).shape == (20, 1)  # predict needs no targets


def test_sample_weight_of_the_wrong_length(tmp_path):
    assert_rejected(regression_model(), tmp_path, ValueError, ["`sample_weight` has 5 entries for 20 samples",
                                                               "one weight per sample", "shape (20,)"],
                    x=X, y=Y, sample_weight=np.ones(5))


def test_class_weight_must_be_a_dict(tmp_path):
    assert_rejected(classifier(), tmp_path, TypeError, ["`class_weight` must be a dict", "list",
                                                        "class_weight={0: 1.0"], x=X, y=LABELS,
                    class_weight=[1.0, 2.0])


# ---------------------------------------------------------------- fit arguments

@pytest.mark.parametrize("batch_size, error, words", [
    (0, ValueError, ["`batch_size` must be a positive integer", "received 0", "batch_size=32"]),
    (-4, ValueError, ["`batch_size`", "received -4"]),
    (2.5, TypeError, ["`batch_size` must be a positive integer", "received 2.5 of type float", "Pass an int"]),
    ("32", TypeError, ["`batch_size`", "'32' of type str"]),
    (True, TypeError, ["`batch_size`", "True of type bool"]),
])
def test_batch_size_must_be_a_positive_int(tmp_path, batch_size, error, words):
    model = regression_model()
    assert_rejected(model, tmp_path, error, words, x=X, y=Y, batch_size=batch_size)
    assert_rejected(model, tmp_path, error, words, method="evaluate", x=X, y=Y, batch_size=batch_size)
    with pytest.raises(error, match="`batch_size`"):
        model.predict(X, batch_size=batch_size)


def test_numpy_integer_batch_size_is_accepted():
    model = regression_model()
    history = model.fit(X, Y, batch_size=np.int64(8), verbose=0)
    assert model.optimizer.iterations == 3 and len(history.history["loss"]) == 1


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, "0.2", None, float("nan")])
def test_validation_split_outside_zero_to_one(tmp_path, fraction):
    assert_rejected(regression_model(), tmp_path, ValueError,
                    ["`validation_split` must be a number in [0, 1)", f"received {fraction!r}"],
                    x=X, y=Y, validation_split=fraction)


def test_validation_split_that_leaves_one_side_empty(tmp_path):
    assert_rejected(regression_model(), tmp_path, ValueError, ["validation_split=0.99", "leaves no training",
                                                               "out of 20", "at least one sample"],
                    x=X, y=Y, validation_split=0.99)
    assert_rejected(regression_model(), tmp_path, ValueError, ["validation_split=1e-17", "no validation"],
                    x=X, y=Y, validation_split=1e-17)


@pytest.mark.parametrize("validation_data, words", [
    ((X, Y, None, None), ["`validation_data` must be (x_val, y_val) or (x_val, y_val, sample_weight)",
                          "tuple of 4 items"]),
    ([X, Y, None, None], ["`validation_data` must be (x_val, y_val) or (x_val, y_val, sample_weight)",
                          "list of 4 items"]),
    ((X,), ["`validation_data`", "tuple of 1 items"]),
    ([X], ["`validation_data`", "list of 1 items"]),
    (X, ["`validation_data`", "received a ndarray"]),
])
def test_validation_data_of_the_wrong_form(tmp_path, validation_data, words):
    assert_rejected(regression_model(), tmp_path, ValueError, words, x=X, y=Y, validation_data=validation_data)


# ---------------------------------------------------------------- non-finite values

def test_nan_and_inf_inputs_warn_with_the_array_and_count_and_training_runs():
    model = regression_model()
    x = X.copy()
    x[[1, 4, 9], [0, 2, 1]] = [np.nan, np.inf, -np.inf]
    y = Y.copy()
    y[3, 0] = np.nan
    with pytest.warns(RuntimeWarning) as record:
        history = model.fit(x, y, epochs=2, verbose=0)
    messages = [str(warning.message) for warning in record]
    assert any("`x` contains 3 NaN or infinite values (of 60)" in message for message in messages), messages
    assert any("`y` contains 1 NaN or infinite values (of 20)" in message for message in messages), messages
    assert all(warning.filename == __file__ for warning in record)  # points at the user's fit() call
    assert len(history.history["loss"]) == 2 and model.optimizer.iterations == 2


def test_nan_warning_names_the_input_of_a_multi_input_model():
    first, second = Input((3,)), Input((2,))
    model = Model([first, second], Dense(1)(first))
    model.compile(optimizer="sgd", loss="mse")
    x2 = np.zeros((20, 2), "float32")
    x2[0, 0] = np.nan
    with pytest.warns(RuntimeWarning, match=r"`x\[1\]` contains 1 NaN or infinite values"):
        model.fit([X, x2], Y, verbose=0)


def test_a_loss_that_becomes_nan_stops_training_with_terminate_on_nan(capsys):
    calls = []

    def breaks_on_the_third_batch(y_true, y_pred):
        calls.append(None)
        per_sample = (y_pred - y_true).square().mean(dim=-1)
        return per_sample * float("nan") if len(calls) >= 3 else per_sample

    model = regression_model(loss=breaks_on_the_third_batch)
    history = model.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert "Epoch 1, batch 2: invalid loss nan, terminating training." in capsys.readouterr().out
    assert model.optimizer.iterations == 3  # stopped after the batch, not at the end of the epoch
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])


def test_a_diverging_loss_stops_training_with_terminate_on_nan(capsys):
    model = regression_model()
    model.compile(optimizer=optimizers.SGD(1e12), loss="mse")
    history = model.fit(X * 100, Y, batch_size=2, epochs=20, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    out = capsys.readouterr().out
    assert "invalid loss" in out and "terminating training" in out
    epoch = int(out.split("Epoch ")[1].split(",")[0])
    batch = int(out.split("batch ")[1].split(":")[0])
    assert len(history.history["loss"]) == epoch
    assert model.optimizer.iterations == (epoch - 1) * 10 + batch + 1


def test_a_loss_function_of_the_users_own_may_take_targets_shaped_otherwise():
    """As in Keras: a custom loss reads targets laid out its own way (here (value, weight) pairs for one output)."""
    def weighted_squared_error(y_true, y_pred):
        return ((y_pred[:, 0] - y_true[:, 0]) ** 2 * y_true[:, 1]).mean()

    model = regression_model(loss=weighted_squared_error)
    targets = np.stack([Y[:, 0], np.r_[np.ones(10), np.zeros(10)]], axis=1).astype("float32")
    model.fit(X, targets, epochs=2, verbose=0)
    expected = float(((model.predict(X)[:, 0] - Y[:, 0]) ** 2 * targets[:, 1]).mean())
    assert model.evaluate(X, targets, verbose=0) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match=r"Target shape \(20, 2\) does not match the shape \(20, 1\)"):
        regression_model(loss="mse").fit(X, targets, verbose=0)  # a built-in loss is still checked
