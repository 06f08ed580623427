"""The seed's models: summaries equal Keras 3's, and the training snippets run after keras -> lamina."""
import numpy as np
import pytest

from lamina.layers import (
    GRU, LSTM, Activation, Convolution2D, Dense, Embedding, Flatten, Input, MaxPooling2D, concatenate,
)
from lamina.models import Model, Sequential
from oracle import keras

RNG = np.random.default_rng(4)


def seed_vgg(flatten=True):
    model = Sequential()
    model.add(Convolution2D(64, 3, 3, activation="relu", input_shape=(3, 100, 100)))
    model.add(Convolution2D(64, 3, 3, activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Convolution2D(128, 3, 3, activation="relu", input_shape=(3, 100, 100)))
    model.add(Convolution2D(128, 3, 3, activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    if flatten:
        model.add(Flatten())
    model.add(Dense(1024, activation="relu"))
    model.add(Dense(1024, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def keras_vgg():
    k = keras()
    C, f = k.layers.Conv2D, "channels_first"
    return k.Sequential([
        k.Input((3, 100, 100)), C(64, 3, data_format=f), C(64, 3, data_format=f), k.layers.MaxPooling2D(2, data_format=f),
        C(128, 3, data_format=f), C(128, 3, data_format=f), k.layers.MaxPooling2D(2, data_format=f),
        k.layers.Flatten(), k.layers.Dense(1024), k.layers.Dense(1024), k.layers.Dense(10)])


def summary_lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def totals(lines):
    return [line for line in lines if line.startswith(("Total", "Trainable", "Non-trainable"))]


def keras_totals(model):
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.extend(line.splitlines()))
    return [" ".join(line.split()) for line in lines if line.strip().startswith(("Total", "Trainable", "Non-trainable"))]


def test_vgg_summary_totals_equal_keras():
    model = seed_vgg()
    assert model.output_shape == (None, 10)
    assert model.count_params() == keras_vgg().count_params()
    assert totals(summary_lines(model)) == keras_totals(keras_vgg())


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_embedding_rnn_classifier_summary_totals_equal_keras(cell):
    k = keras()
    model = Sequential([Input((100,), dtype="int64"), Embedding(20000, 128), {"GRU": GRU, "LSTM": LSTM}[cell](128),
                        Dense(1, activation="sigmoid")])
    k_model = k.Sequential([k.Input((100,), dtype="int32"), k.layers.Embedding(20000, 128), getattr(k.layers, cell)(128),
                            k.layers.Dense(1, activation="sigmoid")])
    assert totals(summary_lines(model)) == keras_totals(k_model)


def test_two_branch_summary_totals_equal_keras():
    model_in = Input(shape=(2,))
    branches = [Dense(3, activation="sigmoid")(Dense(3, activation="sigmoid")(model_in)) for _ in range(2)]
    model = Model(model_in, Dense(1, activation="sigmoid")(concatenate(branches)))
    k = keras()
    k_in = k.Input((2,))
    k_branches = [k.layers.Dense(3)(k.layers.Dense(3)(k_in)) for _ in range(2)]
    k_model = k.Model(k_in, k.layers.Dense(1)(k.layers.Concatenate()(k_branches)))
    assert totals(summary_lines(model)) == keras_totals(k_model)


def test_seed_convnet_snippet_builds_and_its_typo_gets_a_suggestion():
    model = seed_vgg(flatten=False)  # as on the slide: a second input_shape, no Flatten
    with pytest.raises(ValueError, match="Unknown optimizer 'sqd'. Did you mean 'sgd'?"):
        model.compile(loss="mse", optimizer="sqd", metrics=["accuracy"])
    model.compile(loss="mse", optimizer="sgd", metrics=["accuracy"])
    x = RNG.random((2, 3, 100, 100), dtype=np.float32)
    y = np.eye(10, dtype="float32")[[1, 2]]
    with pytest.raises(ValueError, match=r"add Flatten\(\) \(or a global pooling layer\) before the first Dense"):
        model.fit(x, y, verbose=0)


def test_seed_convnet_with_flatten_trains():
    model = seed_vgg()
    model.compile(loss="mse", optimizer="sgd", metrics=["accuracy"])
    x = RNG.random((4, 3, 100, 100), dtype=np.float32)
    y = np.eye(10, dtype="float32")[[1, 2, 3, 4]]
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(x[0]).shape == (10,)


@pytest.mark.parametrize("cell", [GRU, LSTM])
def test_seed_rnn_snippets_run_unchanged(cell):
    model = Sequential()
    model.add(cell(128))
    model.add(Dense(1))
    model.add(Activation("sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    x = RNG.standard_normal((16, 12, 5)).astype("float32")
    y = (x[:, :, 0].mean(axis=1) > 0).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert model.input_shape == (None, 12, 5) and model.output_shape == (None, 1)


def test_embedding_gru_classifier_learns_a_text_rule():
    # sequences containing token 7 are positive: a GRU over embeddings must find it anywhere in the sequence
    x = RNG.integers(1, 50, size=(256, 20))
    y = (x == 7).any(axis=1).astype("float32")
    model = Sequential([Input((20,), dtype="int64"), Embedding(50, 16), GRU(16), Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=30, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9
