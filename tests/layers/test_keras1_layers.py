"""Keras 1's layer classes that Keras 2 removed: Merge (a layer merging models, in a Sequential) and
TimeDistributedDense."""
import warnings

import numpy as np
import pytest
import torch

from lamina import backend as K
from lamina.engine.topology import get_source_inputs
from lamina.layers import Dense, Input, LSTM, Merge, TimeDistributedDense, merge
from lamina.legacy import LegacyArgumentWarning
from lamina.models import Model, Sequential, load_model
from lamina.utils import set_random_seed
from oracle import check_layer_contract, keras

RNG = np.random.default_rng(8)
LEFT_X, RIGHT_X = RNG.standard_normal((64, 5)).astype("float32"), RNG.standard_normal((64, 5)).astype("float32")


def branches(units=4):
    left = Sequential([Dense(units, input_dim=5, activation="tanh")])
    right = Sequential([Dense(units, input_dim=5, activation="tanh")])
    return left, right


def merged_model(mode="concat", **arguments):
    left, right = branches()
    model = Sequential()
    model.add(Merge([left, right], mode=mode, **arguments))
    model.add(Dense(1))
    return model, left, right


# ---------------------------------------------------------------- Merge of models in a Sequential

@pytest.mark.parametrize("mode, reference", [
    ("concat", lambda a, b: np.concatenate([a, b], axis=-1)), ("sum", np.add), ("mul", np.multiply),
    ("ave", lambda a, b: (a + b) / 2), ("max", np.maximum), ("dot", lambda a, b: (a * b).sum(-1, keepdims=True)),
    ("cos", lambda a, b: (a * b).sum(-1, keepdims=True) / np.linalg.norm(a, axis=-1, keepdims=True)
     / np.linalg.norm(b, axis=-1, keepdims=True)),
])
def test_merge_of_two_sequentials_computes_the_mode_on_their_outputs(mode, reference):
    model, left, right = merged_model(mode)
    assert model.input_shape == [(None, 5), (None, 5)] and len(model.inputs) == 2
    merged = reference(left.predict(LEFT_X), right.predict(RIGHT_X))
    kernel, bias = model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict([LEFT_X, RIGHT_X]), merged @ kernel + bias, rtol=1e-5, atol=1e-5)
    assert [layer.name for layer in model.layers] == [model.layers[0].name, model.layers[1].name]
    assert model.layers[0].layers == [left, right]


def test_merge_of_sequentials_trains_both_branches_and_the_top():
    set_random_seed(3)
    model, left, right = merged_model("concat")
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    assert len(before) == 6 and model.count_params() == 2 * (5 * 4 + 4) + 9
    assert model.layers[0].weights == []  # as in Keras 1, the model holds the branches' weights, not the Merge
    assert list(model.state_dict())[:2] == [f"{left.name}.{left.layers[0].name}.kernel",
                                            f"{left.name}.{left.layers[0].name}.bias"]
    model.fit([LEFT_X, RIGHT_X], LEFT_X[:, :1] - RIGHT_X[:, 1:2], epochs=1, verbose=0)
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    np.testing.assert_array_equal(left.get_weights()[0], model.get_weights()[0])  # the branches are shared


def test_merge_with_a_function_mode_and_output_shape():
    left, right = branches()
    model = Sequential([Merge([left, right], mode=lambda tensors: tensors[0] - tensors[1], output_shape=(4,)),
                        Dense(1)])
    kernel, bias = model.layers[1].get_weights()
    expected = (left.predict(LEFT_X) - right.predict(RIGHT_X)) @ kernel + bias
    np.testing.assert_allclose(model.predict([LEFT_X, RIGHT_X]), expected, rtol=1e-5, atol=1e-5)
    a, b = Input((3,)), Input((3,))
    difference = merge([a, b], mode=lambda tensors: K.abs(tensors[0] - tensors[1]), output_shape=lambda s: s[0])
    assert difference.shape == (None, 3)


def test_merge_of_models_saves_and_loads(tmp_path):
    model, _, _ = merged_model("sum")
    model.compile(optimizer="adam", loss="mse")
    model.fit([LEFT_X, RIGHT_X], LEFT_X[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "merged.lamina")
    loaded = load_model(tmp_path / "merged.lamina")
    np.testing.assert_array_equal(loaded.predict([LEFT_X, RIGHT_X]), model.predict([LEFT_X, RIGHT_X]))
    assert loaded.get_config()["layers"][0]["config"]["mode"] == "sum"
    assert "build_input_shape" not in loaded.get_config()


def test_merge_of_called_layers_in_a_functional_model_saves_and_loads(tmp_path):
    a, b = Input((5,)), Input((5,))
    left, right = Dense(3), Dense(3)
    left(a), right(b)
    merged = Merge([left, right], mode="ave")
    model = Model([a, b], Dense(1)(merged.output))
    assert merged.output.shape == (None, 3) and len(model.get_weights()) == 6
    model.save(tmp_path / "functional.lamina")
    loaded = load_model(tmp_path / "functional.lamina")
    np.testing.assert_array_equal(loaded.predict([LEFT_X, RIGHT_X]), model.predict([LEFT_X, RIGHT_X]))


def test_merge_layer_on_tensors_and_its_contract():
    a, b = Input((3,)), Input((3,))
    output = Merge(mode="concat", concat_axis=-1)([a, b])
    assert output.shape == (None, 6) and get_source_inputs(output) == [a, b]
    check_layer_contract(lambda: Merge(mode="mul"), [RNG.standard_normal((2, 3)).astype("float32")] * 2)


def test_merge_errors():
    left, right = branches()
    with pytest.raises(ValueError, match="Invalid merge mode='conact'. Did you mean 'concat'?"):
        Merge([left, right], mode="conact")
    with pytest.raises(TypeError, match=r"`layers` must be a list of at least 2 models or layers, received \[<"):
        Merge([left])
    with pytest.raises(TypeError, match="item 1 is a SymbolicTensor. To merge tensors, call Merge"):
        Merge([left, Input((5,))])
    unbuilt = Sequential([Dense(4)])
    with pytest.raises(ValueError, match="has not been built yet. Give its first layer an input shape"):
        Merge([left, unbuilt])
    with pytest.raises(ValueError, match="must be called on a list of tensors"):
        Sequential([Dense(4, input_dim=5), Merge(mode="sum")])


def test_popping_the_merge_leaves_an_empty_sequential_to_refill():
    model, _, _ = merged_model()
    model.pop()
    model.pop()
    model.add(Dense(2, input_dim=3))
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)


# ---------------------------------------------------------------- TimeDistributedDense

def test_time_distributed_dense_matches_keras3_time_distributed_dense():
    k = keras()
    with pytest.warns(LegacyArgumentWarning, match="`output_dim` is the Keras 1 name"):
        layer = TimeDistributedDense(output_dim=4, input_dim=3, input_length=6, activation="tanh")
    inputs = RNG.standard_normal((2, 6, 3)).astype("float32")
    ours = layer(torch.as_tensor(inputs))
    k_layer = k.layers.TimeDistributed(k.layers.Dense(4, activation="tanh"))
    k_layer(inputs)
    k_layer.set_weights(layer.get_weights())
    np.testing.assert_allclose(ours.detach().numpy(), k_layer(inputs).detach().cpu().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert layer._batch_input_shape == (None, 6, 3)
    assert [w.shape for w in layer.get_weights()] == [(3, 4), (4,)]


def test_time_distributed_dense_in_a_sequential_after_an_lstm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyArgumentWarning)
        model = Sequential([LSTM(8, input_shape=(5, 3), return_sequences=True),
                            TimeDistributedDense(2, activation="softmax")])
    assert model.output_shape == (None, 5, 2)
    assert TimeDistributedDense(3, input_dim=4)._batch_input_shape == (None, None, 4)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2.*TimeDistributedDense takes sequences"):
        TimeDistributedDense(3)(Input((4,)))
    check_layer_contract(lambda: TimeDistributedDense(3, activation="relu"),
                         RNG.standard_normal((2, 5, 4)).astype("float32"))
