import warnings

import numpy as np
import pytest
import torch

from lamina.layers import Activation, Dense, Dropout, Flatten
from lamina.legacy import LegacyArgumentWarning
from oracle import assert_matches_keras, check_layer_contract, keras

RNG = np.random.default_rng(0)


def data(*shape):
    return RNG.standard_normal(shape).astype("float32")


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu",
                                        "hard_sigmoid", "softplus", "softsign", "silu", "relu6", "leaky_relu"])
def test_dense_matches_keras(activation):
    assert_matches_keras(Dense(4, activation=activation), keras().layers.Dense(4, activation=activation), data(5, 3))


def test_dense_on_3d_input_matches_keras():
    assert_matches_keras(Dense(4, use_bias=False), keras().layers.Dense(4, use_bias=False), data(2, 5, 3))


def test_dense_weights_use_keras_layout_and_torch_storage():
    layer = Dense(4)
    layer(torch.zeros(1, 3))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 4) and bias.shape == (4,)
    assert layer.kernel.shape == (4, 3)  # stored as torch.nn.Linear stores it
    np.testing.assert_array_equal(layer.kernel.detach().numpy().T, kernel)


def test_dense_contract():
    check_layer_contract(lambda: Dense(3, activation="relu", kernel_regularizer="l2"), data(4, 2))


def test_activation_and_flatten_and_dropout_contracts():
    check_layer_contract(lambda: Activation("tanh"), data(4, 2))
    check_layer_contract(lambda: Flatten(), data(4, 2, 3))
    check_layer_contract(lambda: Dropout(0.5), data(4, 2))


def test_dropout_rate_zero_training_matches_keras_and_rate_drops_in_training_only():
    assert_matches_keras(Dropout(0.0), keras().layers.Dropout(0.0), data(4, 3), training=True)
    layer = Dropout(0.5)
    x = torch.ones(1000, 10)
    assert torch.equal(layer(x, training=False), x)
    dropped = layer(x, training=True)
    assert 0.4 < (dropped == 0).float().mean() < 0.6
    assert set(dropped.unique().tolist()) <= {0.0, 2.0}


def test_dropout_noise_shape_drops_whole_slices():
    out = Dropout(0.5, noise_shape=(None, 1, 4))(torch.ones(8, 6, 4), training=True)
    assert torch.equal(out.amin(dim=1), out.amax(dim=1))


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_flatten_with_data_format_matches_keras(data_format):
    assert_matches_keras(Flatten(data_format=data_format), keras().layers.Flatten(data_format=data_format),
                         data(2, 3, 4, 5))


def test_flatten_default_keeps_storage_order():
    x = torch.arange(24.0).reshape(2, 3, 2, 2)
    assert torch.equal(Flatten()(x), x.reshape(2, 12))


def test_legacy_dense_arguments_warn_once_and_translate():
    with pytest.warns(LegacyArgumentWarning) as record:
        layer = Dense(output_dim=3, init="zeros", bias=False)
    assert [str(w.message) for w in record] == [
        "Dense: `output_dim` is the Keras 1 name; use `units`.",
        "Dense: `init` is the Keras 1 name; use `kernel_initializer`.",
        "Dense: `bias` is the Keras 1 name; use `use_bias`.",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Dense(output_dim=3)  # once each: no second warning
    assert layer.units == 3 and not layer.use_bias
    layer(torch.ones(2, 5))
    assert not layer.get_weights()[0].any()


def test_unknown_activation_suggests_nearest():
    with pytest.raises(ValueError, match=r"Unknown activation 'rellu'. Did you mean 'relu'\? Valid: .*sigmoid"):
        Dense(3, activation="rellu")


def test_unknown_initializer_suggests_nearest():
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot'. Did you mean 'glorot_normal'\?"):
        Dense(3, kernel_initializer="glorot")


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments passed to Dense: \{'unit': 3\}"):
        Dense(3, unit=3)


def test_dense_reused_with_other_input_size_names_layer_and_sizes():
    layer = Dense(2, name="fc")
    layer(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"layer 'fc' .*axis -1 of the input to have size 3.*\(1, 4\)"):
        layer(torch.zeros(1, 4))


def test_trainable_false_freezes_weights():
    layer = Dense(2)
    layer(torch.zeros(1, 3))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert not any(p.requires_grad for p in layer.parameters())


def test_regularizer_losses_and_count_params():
    layer = Dense(2, kernel_regularizer="l2", bias_regularizer="l1")
    layer(torch.zeros(1, 3))
    kernel, bias = layer.get_weights()
    assert layer.count_params() == 8
    expected = 0.01 * np.square(kernel).sum() + 0.01 * np.abs(bias).sum()
    np.testing.assert_allclose(float(sum(layer.losses).detach()), expected, rtol=1e-6)


def test_set_weights_with_wrong_shapes_names_layer():
    layer = Dense(2, name="fc")
    layer(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"Layer 'fc' weight 0 has shape \(3, 2\).*\(2, 3\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    with pytest.raises(ValueError, match=r"Layer 'fc' expects 2 weight arrays"):
        layer.set_weights([np.zeros((3, 2))])


def test_automatic_names_are_unique():
    assert [Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]


def test_custom_layer_with_add_weight_and_attribute_alias():
    from lamina.layers import Layer

    class Scale(Layer):
        def build(self, input_shape):
            self.w = self.add_weight("scale", (input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    out = layer(torch.full((2, 3), 2.0))
    assert torch.equal(out, torch.full((2, 3), 2.0))
    assert list(layer.state_dict()) == ["w"] and len(layer.weights) == 1
