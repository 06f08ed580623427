import numpy as np
import pytest
import torch

from lamina import config
from lamina.layers import Input
from lamina.layers.conv import same_padding
from lamina.legacy import LegacyArgumentWarning
from lamina.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalAveragePooling3D, GlobalAvgPool1D, GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
    GlobalMaxPooling3D, MaxPool1D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
)
from oracle import assert_matches_keras_with_shape, assert_matches_keras, check_layer_contract, keras

RNG = np.random.default_rng(0)
# With the pool sizes below, 'same' pads some axes asymmetrically (the odd pixel at the end) and others not.
SPATIAL_SIZES = {1: (8,), 2: (7, 8), 3: (5, 6, 4)}
POOL_SIZES = {1: 3, 2: (2, 3), 3: (2, 3, 2)}


def data(*shape):
    return RNG.standard_normal(shape).astype("float32")


def images(rank, data_format, channels=3, batch=2):
    sizes = SPATIAL_SIZES[rank]
    return data(batch, channels, *sizes) if data_format == "channels_first" else data(batch, *sizes, channels)


def tensorflow_average_pool(inputs, pool_size, strides, data_format):
    """Average pooling with 'same' padding as TensorFlow (and Keras's JAX backend) define it: only the input
    values of a window are averaged. Keras 3.15's torch backend counts replicated edge values instead when the
    padding is asymmetric (keras-team/keras#23233), so it cannot be the oracle there."""
    values = inputs if data_format == "channels_first" else np.moveaxis(inputs, -1, 1)
    widths = [(0, 0), (0, 0)] + [same_padding(size, pool, stride)
                                 for size, pool, stride in zip(values.shape[2:], pool_size, strides)]
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(values, widths, constant_values=np.nan), pool_size,
                                                       axis=tuple(range(2, values.ndim)))
    windows = windows[(slice(None), slice(None)) + tuple(slice(None, None, stride) for stride in strides)]
    means = np.nanmean(windows, axis=tuple(range(values.ndim, windows.ndim)))
    return means if data_format == "channels_first" else np.moveaxis(means, 1, -1)


def pads_asymmetrically(rank, pool_size, strides):
    return any(before != after for before, after in map(same_padding, SPATIAL_SIZES[rank], pool_size, strides))


POOLINGS = [(MaxPooling1D, "MaxPooling1D", 1), (MaxPooling2D, "MaxPooling2D", 2), (MaxPooling3D, "MaxPooling3D", 3),
            (AveragePooling1D, "AveragePooling1D", 1), (AveragePooling2D, "AveragePooling2D", 2),
            (AveragePooling3D, "AveragePooling3D", 3)]


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("strides", [None, 1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("layer_class, keras_name, rank", POOLINGS, ids=[case[1] for case in POOLINGS])
def test_pooling_matches_keras(layer_class, keras_name, rank, padding, strides, data_format):
    options = dict(pool_size=POOL_SIZES[rank], strides=strides, padding=padding, data_format=data_format)
    layer, keras_layer = layer_class(**options), getattr(keras().layers, keras_name)(**options)
    inputs = images(rank, data_format)
    keras_averages_padding = (padding == "same" and layer_class.__name__.startswith("Average")
                              and pads_asymmetrically(rank, layer.pool_size, layer.strides))
    if keras_averages_padding:
        expected = tensorflow_average_pool(inputs, layer.pool_size, layer.strides, data_format)
        np.testing.assert_allclose(layer(torch.as_tensor(inputs)).numpy(), expected, rtol=1e-5, atol=1e-6)
        sample_shape = tuple(inputs.shape[1:])
        assert layer(Input(shape=sample_shape)).shape == tuple(keras_layer.compute_output_shape((None,) + sample_shape))
    else:
        assert_matches_keras_with_shape(layer, keras_layer, inputs)


def test_same_average_pooling_averages_only_input_values():
    inputs = torch.arange(6.0).reshape(1, 6, 1)  # windows [0 1 2] [2 3 4] [4 5 pad]
    assert AveragePooling1D(3, 2, padding="same")(inputs).flatten().tolist() == [1.0, 3.0, 4.5]
    assert MaxPooling1D(3, 2, padding="same")(-inputs).flatten().tolist() == [0.0, -2.0, -4.0]


def test_same_pooling_gradients_are_finite_and_max_pooling_gradients_match_keras():
    x = data(2, 3, 7, 8)
    layer = MaxPooling2D(2, padding="same", data_format="channels_first")
    keras_layer = keras().layers.MaxPooling2D(2, padding="same", data_format="channels_first")
    gradients = []
    for pooling in (layer, keras_layer):
        inputs = torch.tensor(x, requires_grad=True)
        pooling(inputs).sum().backward()
        gradients.append(inputs.grad.numpy())
    np.testing.assert_array_equal(*gradients)
    inputs = torch.tensor(x, requires_grad=True)
    AveragePooling2D(3, 2, padding="same", data_format="channels_first")(inputs).sum().backward()
    assert torch.isfinite(inputs.grad).all() and inputs.grad.abs().sum() > 0


GLOBAL_POOLINGS = [
    (GlobalMaxPooling1D, "GlobalMaxPooling1D", 1), (GlobalMaxPooling2D, "GlobalMaxPooling2D", 2),
    (GlobalMaxPooling3D, "GlobalMaxPooling3D", 3), (GlobalAveragePooling1D, "GlobalAveragePooling1D", 1),
    (GlobalAveragePooling2D, "GlobalAveragePooling2D", 2), (GlobalAveragePooling3D, "GlobalAveragePooling3D", 3),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("layer_class, keras_name, rank", GLOBAL_POOLINGS, ids=[case[1] for case in GLOBAL_POOLINGS])
def test_global_pooling_matches_keras(layer_class, keras_name, rank, data_format, keepdims):
    options = dict(data_format=data_format, keepdims=keepdims)
    assert_matches_keras_with_shape(layer_class(**options), getattr(keras().layers, keras_name)(**options),
                                    images(rank, data_format))


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_global_average_pooling_1d_leaves_masked_steps_out(data_format):
    inputs = images(1, data_format)
    mask = torch.tensor([[True, True, False, True, False, False, True, False], [True] * 8])
    assert_matches_keras(GlobalAveragePooling1D(data_format=data_format),
                         keras().layers.GlobalAveragePooling1D(data_format=data_format), inputs,
                         call_kwargs={"mask": mask})
    steps = inputs[0] if data_format == "channels_last" else inputs[0].T
    expected = steps[mask[0].numpy()].mean(axis=0)
    actual = GlobalAveragePooling1D(data_format=data_format)(torch.as_tensor(inputs), mask=mask)[0]
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("make_layer, input_shape", [
    (lambda: MaxPooling1D(2, padding="same"), (2, 7, 3)),
    (lambda: MaxPooling2D((2, 3), strides=1), (2, 3, 7, 8)),
    (lambda: MaxPooling3D(2, padding="same"), (2, 2, 5, 6, 4)),
    (lambda: AveragePooling1D(3, 2, padding="same"), (2, 7, 3)),
    (lambda: AveragePooling2D(2, padding="same", data_format="channels_last"), (2, 7, 8, 3)),
    (lambda: AveragePooling3D(2), (2, 2, 5, 6, 4)),
    (lambda: GlobalMaxPooling1D(), (2, 7, 3)),
    (lambda: GlobalMaxPooling2D(keepdims=True), (2, 3, 7, 8)),
    (lambda: GlobalMaxPooling3D(), (2, 2, 5, 6, 4)),
    (lambda: GlobalAveragePooling1D(data_format="channels_first"), (2, 3, 7)),
    (lambda: GlobalAveragePooling2D(), (2, 3, 7, 8)),
    (lambda: GlobalAveragePooling3D(keepdims=True), (2, 2, 5, 6, 4)),
])
def test_contract(make_layer, input_shape):
    check_layer_contract(make_layer, data(*input_shape))


def test_keras_aliases():
    assert (MaxPool1D, AvgPool2D, GlobalAvgPool1D, GlobalMaxPool3D) == (
        MaxPooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalMaxPooling3D)


def test_defaults_follow_keras_and_lamina():
    assert MaxPooling2D().pool_size == MaxPooling2D().strides == (2, 2)
    assert MaxPooling1D().data_format == GlobalAveragePooling1D().data_format == "channels_last"
    assert MaxPooling2D().data_format == GlobalMaxPooling2D().data_format == "channels_first"
    config.set_image_data_format("channels_last")
    assert AveragePooling3D().data_format == "channels_last"


def test_keras1_arguments_warn_and_translate():
    with pytest.warns(LegacyArgumentWarning) as record:
        layer = MaxPooling1D(pool_length=3, stride=2, border_mode="same")
    assert [str(w.message) for w in record] == [
        "MaxPooling1D: `pool_length` is the Keras 1 name; use `pool_size`.",
        "MaxPooling1D: `stride` is the Keras 1 name; use `strides`.",
        "MaxPooling1D: `border_mode` is the Keras 1 name; use `padding`.",
    ]
    assert (layer.pool_size, layer.strides, layer.padding) == ((3,), (2,), "same")
    with pytest.warns(LegacyArgumentWarning, match="MaxPooling2D: `dim_ordering`"):
        assert MaxPooling2D((2, 2), dim_ordering="tf").data_format == "channels_last"
    with pytest.warns(LegacyArgumentWarning, match="GlobalAveragePooling2D: `dim_ordering`"):
        assert GlobalAveragePooling2D(dim_ordering="th").data_format == "channels_first"


def test_errors_name_layer_and_values():
    with pytest.raises(ValueError, match=r"MaxPooling2D: `pool_size` must be an int or a tuple of 2 ints, each >= 1; "
                                         r"received \(2, 2, 2\)"):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match=r"AveragePooling1D: invalid padding='causal'.*'valid', 'same'"):
        AveragePooling1D(padding="causal")
    with pytest.raises(ValueError, match=r"layer 'pool' .*expected ndim=4, found ndim=3.*no channel axis"):
        MaxPooling2D(name="pool")(torch.zeros(2, 8, 8))
