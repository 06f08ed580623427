import numpy as np
import pytest
import torch

import lamina
from lamina.layers import Activation, Dense, Dropout, Flatten, Input
from lamina.legacy import LegacyArgumentWarning
from lamina.models import Model, Sequential
from oracle import keras


def xor_mlp():
    model = Sequential()
    model.add(Dense(3, input_dim=2, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    return model


def test_seed_sequential_snippet_builds_unchanged():
    with pytest.warns(LegacyArgumentWarning):
        model = Sequential()
        model.add(Dense(output_dim=3, input_dim=2, activation="relu"))
        model.add(Dense(output_dim=1, activation="sigmoid"))
    assert model.output_shape == (None, 1) and model.input_shape == (None, 2)
    assert model.count_params() == 13


def test_seed_functional_snippet_builds_unchanged():
    model_in = Input(shape=(2,))
    hidden = Dense(3, activation="sigmoid")(model_in)
    out = Dense(1, activation="sigmoid")(hidden)
    with pytest.warns(LegacyArgumentWarning):
        model = Model(input=model_in, output=out)
    assert model.count_params() == 13
    assert [layer.name for layer in model.layers] == ["input_layer", "dense", "dense_1"]


def test_summary_totals_equal_keras(capsys):
    k = keras()
    kmodel = k.Sequential([k.Input(shape=(2,)), k.layers.Dense(3, activation="relu"), k.layers.Dense(1)])
    model = xor_mlp()
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[0] == 'Model: "sequential"'
    assert f"Total params: {kmodel.count_params()} (52.00 B)" in lines
    assert "Trainable params: 13 (52.00 B)" in lines and "Non-trainable params: 0 (0.00 B)" in lines
    assert any(line.startswith("dense (Dense)") and "(None, 3)" in line and line.endswith("9") for line in lines)


def test_sequential_and_functional_build_the_same_graph():
    model = xor_mlp()
    assert len(model._graph.nodes) == 2
    assert model.inputs[0].shape == (None, 2) and model.outputs[0].shape == (None, 1)
    x = torch.rand(5, 2)
    manual = model.layers[1](model.layers[0](x))
    torch.testing.assert_close(model(x), manual)


def test_sequential_without_input_shape_builds_on_first_data():
    model = Sequential([Dense(4), Activation("relu"), Dense(1)])
    with pytest.raises(ValueError, match="has not been built yet"):
        model.summary()
    out = model(np.random.rand(3, 7))
    assert out.shape == (3, 1) and model.input_shape == (None, 7)
    assert model.count_params() == 7 * 4 + 4 + 5


def test_sequential_build_and_pop():
    model = Sequential([Dense(4), Dense(2), Dense(1)])
    model.build((None, 3))
    assert model.output_shape == (None, 1)
    popped = model.pop()
    assert popped.name == "dense_2" and model.output_shape == (None, 2) and len(model.layers) == 2
    model.add(Dense(5))
    assert model.output_shape == (None, 5)


def test_sequential_accepts_input_tensor_first():
    model = Sequential([Input(shape=(4,)), Dense(2)])
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)


def test_feature_extraction_model_from_inner_layer_shares_weights():
    model = Sequential([Dense(8, input_shape=(4,), name="fc1"), Dense(3, name="fc2")])
    features = Model(model.input, model.get_layer("fc1").output)
    x = torch.rand(2, 4)
    torch.testing.assert_close(features(x), model.get_layer("fc1")(x))
    assert features.get_layer("fc1") is model.get_layer("fc1")


def test_multi_input_multi_output_and_shared_layers():
    a, b = Input(shape=(3,), name="a"), Input(shape=(3,), name="b")
    shared = Dense(2, name="shared")
    out_a, out_b = shared(a), shared(b)
    model = Model([a, b], [out_a, out_b])
    assert model.count_params() == 8
    xa, xb = torch.rand(4, 3), torch.rand(4, 3)
    ya, yb = model([xa, xb])
    torch.testing.assert_close(ya, shared(xa))
    torch.testing.assert_close(yb, shared(xb))
    ya2, _ = model({"a": xa, "b": xb})
    torch.testing.assert_close(ya2, ya)


def test_nested_model_as_layer():
    inner = Sequential([Dense(3, input_shape=(2,)), Dense(2)], name="inner")
    x = Input(shape=(2,))
    outer = Model(x, Dense(1)(inner(x)))
    assert outer.count_params() == inner.count_params() + 3
    assert outer.output_shape == (None, 1)
    assert outer(torch.rand(5, 2)).shape == (5, 1)


def test_model_is_an_nn_module_trainable_in_a_plain_torch_loop():
    torch.manual_seed(1)
    x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
    model = Sequential([Dense(8, input_shape=(2,), activation="tanh"), Dense(1, activation="sigmoid")])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    assert ((model(x) > 0.5).float() == y).all()
    assert set(model.state_dict()) == {"dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"}


def test_gradients_agree_with_hand_written_pytorch():
    model = Sequential([Dense(4, input_shape=(3,), activation="tanh"), Dropout(0.0), Dense(2, activation="softmax")])
    kernel1, bias1, kernel2, bias2 = (torch.tensor(w, requires_grad=True) for w in model.get_weights())
    x = torch.rand(5, 3)
    target = torch.rand(5, 2)
    ((model(x) - target) ** 2).mean().backward()
    reference = torch.softmax(torch.tanh(x @ kernel1 + bias1) @ kernel2 + bias2, dim=-1)
    ((reference - target) ** 2).mean().backward()
    for parameter, hand in zip([model.layers[0].kernel, model.layers[0].bias, model.layers[2].kernel,
                                model.layers[2].bias], [kernel1, bias1, kernel2, bias2]):
        grad = parameter.grad.T if parameter.ndim == 2 else parameter.grad
        torch.testing.assert_close(grad, hand.grad)


def test_model_input_with_wrong_shape_names_input_and_shapes():
    model = xor_mlp()
    with pytest.raises(ValueError, match=r"Input 'input_layer' of model 'sequential' expects shape \(None, 2\), "
                                         r"but received data of shape \(4, 3\)"):
        model(torch.rand(4, 3))
    with pytest.raises(ValueError, match=r"expects shape \(None, 2\), but received data of shape \(4,\)"):
        model(torch.rand(4))


def test_output_not_connected_to_inputs():
    a, b = Input(shape=(2,)), Input(shape=(2,), name="other")
    out = Dense(1)(b)
    with pytest.raises(ValueError, match=r"not connected to the model's inputs; it depends on Input 'other'"):
        Model(a, out)


def test_duplicate_layer_names_are_refused():
    with pytest.raises(ValueError, match="'fc' is already in the model"):
        Sequential([Dense(2, input_shape=(2,), name="fc"), Dense(2, name="fc")])


def test_get_layer_errors_suggest_names():
    model = xor_mlp()
    with pytest.raises(ValueError, match=r"No layer named 'dens'.*Did you mean 'dense'\?"):
        model.get_layer("dens")
    assert model.get_layer(index=-1).name == "dense_1"


def test_flatten_then_dense_on_conv_like_input_in_functional_graph():
    x = Input(shape=(3, 4, 5))
    y = Dense(2)(Flatten()(x))
    assert Model(x, y).output_shape == (None, 2)


def test_dense_on_4d_input_keeps_leading_axes():
    x = Input(shape=(3, 4, 5))
    assert Dense(7)(x).shape == (None, 3, 4, 7)


def test_lamina_top_level_exports():
    assert lamina.Sequential is Sequential and lamina.Model is Model
    assert isinstance(lamina.__version__, str)
