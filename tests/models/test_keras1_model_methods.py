"""Keras 1/2 model and layer methods: model.reset_states() and layer.get_output_at(node_index)."""
import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.layers import GRU, LSTM, Bidirectional, Dense, Input
from lamina.models import Model, Sequential
from oracle import keras

RNG = np.random.default_rng(21)
BATCHES = [RNG.standard_normal((4, 3, 2)).astype("float32") for _ in range(2)]


def stateful_sequential():
    # Keras 1's stateful_lstm.py: a fixed batch size through batch_input_shape, stateful layers stacked.
    return Sequential([LSTM(5, batch_input_shape=(4, 3, 2), return_sequences=True, stateful=True),
                       LSTM(3, stateful=True), Dense(1)])


def keras_stateful_sequential(model):
    k = keras()
    k_model = k.Sequential([k.Input(batch_shape=(4, 3, 2)), k.layers.LSTM(5, return_sequences=True, stateful=True),
                            k.layers.LSTM(3, stateful=True), k.layers.Dense(1)])
    k_model.set_weights(model.get_weights())
    return k_model


def keras_reset_states(k_model):
    for layer in k_model.layers:  # Keras 3 has the method on its layers only
        if getattr(layer, "stateful", False):
            layer.reset_states()


def test_reset_states_on_a_stateful_sequential_matches_keras3_layer_resets():
    model = stateful_sequential()
    k_model = keras_stateful_sequential(model)
    ours, theirs = [], []
    for _ in range(2):
        for batch in BATCHES:
            ours.append(model.predict(batch, batch_size=4))
            theirs.append(k_model.predict(batch, batch_size=4, verbose=0))
        model.reset_states()
        keras_reset_states(k_model)
    np.testing.assert_allclose(np.stack(ours), np.stack(theirs), rtol=1e-5, atol=1e-6)
    assert not np.allclose(ours[0], ours[1])  # the states carried from one batch to the next
    np.testing.assert_array_equal(ours[0], ours[2])  # and reset_states() started again from zeros


def test_reset_states_reaches_nested_models_and_wrappers_and_skips_stateless_layers():
    inputs = Input(batch_shape=(4, 3, 2))
    inner = Sequential([GRU(4, batch_input_shape=(4, 3, 2), stateful=True, return_sequences=True)])
    both_ways = Bidirectional(LSTM(2, stateful=True))(inner(inputs))
    model = Model(inputs, Dense(1)(both_ways))
    first = model.predict(BATCHES[0])
    carried = model.predict(BATCHES[0])
    model.reset_states()
    again = model.predict(BATCHES[0])
    assert not np.allclose(first, carried)
    np.testing.assert_array_equal(first, again)
    stateless = Sequential([Input((3, 2)), LSTM(2), Dense(1)])
    stateless.reset_states()  # nothing to reset: no error, as in Keras 1
    np.testing.assert_array_equal(stateless.predict(BATCHES[0]), stateless.predict(BATCHES[0]))


def compiled_stateful_sequential(weights=None):
    model = stateful_sequential()
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    return model


def test_reset_states_between_fit_epochs_as_stateful_lstm_py():
    # stateful_lstm.py's loop: one epoch per fit() call without shuffling, states reset after each. (Keras 3.15
    # cannot be the oracle here: its torch backend fails in backward() when training stateful LSTMs.)
    x = np.concatenate(BATCHES + BATCHES[::-1])
    y = x[:, -1, :1]
    model = compiled_stateful_sequential()
    start = model.get_weights()
    by_batch, without_reset = compiled_stateful_sequential(start), compiled_stateful_sequential(start)
    losses, batch_losses = [], []
    for _ in range(3):
        losses += model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history["loss"]
        model.reset_states()
        batch_losses.append(np.mean([by_batch.train_on_batch(x[i:i + 4], y[i:i + 4]) for i in range(0, 16, 4)]))
        by_batch.reset_states()
        without_reset.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(losses, batch_losses, rtol=1e-5)
    for ours, reference, carried in zip(model.get_weights(), by_batch.get_weights(), without_reset.get_weights()):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
    assert not all(np.allclose(a, b) for a, b in zip(model.get_weights(), without_reset.get_weights()))


def test_get_output_at_and_get_input_at_name_each_call_of_a_shared_layer():
    shared = Dense(3, name="shared")
    first_input, second_input = Input((2,)), Input((2,))
    first, second = shared(first_input), shared(second_input)
    assert shared.get_output_at(0) is first is shared.output and shared.get_output_at(1) is second
    assert shared.get_input_at(1) is second_input and shared.get_output_at(-1) is second
    assert shared.get_input_shape_at(0) == (None, 2) and shared.get_output_shape_at(1) == (None, 3)
    with pytest.raises(ValueError, match=r"Layer 'shared' was called 2 time\(s\) on symbolic inputs, so node_index "
                                         r"must be an int from 0 to 1; received 2\. Node 0 is its first call\."):
        shared.get_output_at(2)
    with pytest.raises(AttributeError, match="has not been called on a symbolic input yet, so it has no `output`"):
        Dense(2).get_output_at(0)


def test_get_output_at_zero_of_a_sequential_layer_builds_a_feature_model():
    model = Sequential([Dense(4, input_dim=2, activation="relu"), Dense(3), Dense(1)])
    features = Model(inputs=model.input, outputs=model.layers[1].get_output_at(0))
    x = RNG.standard_normal((5, 2)).astype("float32")
    hidden = torch.relu(torch.as_tensor(x) @ torch.as_tensor(model.layers[0].get_weights()[0]) +
                        torch.as_tensor(model.layers[0].get_weights()[1]))
    kernel, bias = model.layers[1].get_weights()
    np.testing.assert_allclose(features.predict(x), hidden.numpy() @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_predict_classes_and_predict_proba_as_keras1_sequential():
    x = RNG.standard_normal((6, 2)).astype("float32")
    softmax = Sequential([Dense(3, input_dim=2, activation="softmax")])
    sigmoid = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    probabilities = softmax.predict_proba(x, batch_size=4)
    np.testing.assert_array_equal(probabilities, softmax.predict(x))
    np.testing.assert_array_equal(softmax.predict_classes(x), probabilities.argmax(axis=-1))
    classes = sigmoid.predict_classes(x)
    assert classes.shape == (6, 1) and classes.dtype == np.int32
    np.testing.assert_array_equal(classes, (sigmoid.predict(x) > 0.5).astype("int32"))
    linear = Sequential([Dense(1, input_dim=2, kernel_initializer="ones", bias_initializer="ones")])
    with pytest.warns(UserWarning, match=r"predict_proba: the model returns values outside \[0, 1\], not "
                                         r"probabilities; its last layer may lack a softmax or sigmoid activation"):
        linear.predict_proba(np.full((2, 2), 2.0, dtype="float32"))
