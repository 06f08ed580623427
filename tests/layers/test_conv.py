import warnings

import numpy as np
import pytest
import torch

from lamina import config
from lamina.layers import Input
from lamina.layers.conv import (
    AtrousConvolution2D, Conv1D, Conv2D, Conv2DTranspose, Conv3D, Convolution1D, Convolution2D, Convolution3D,
    DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D, same_padding,
)
from lamina.legacy import LegacyArgumentWarning
from oracle import assert_matches_keras_with_shape, assert_matches_keras, check_layer_contract, keras

RNG = np.random.default_rng(0)
SPATIAL_SIZES = {1: (8,), 2: (7, 8), 3: (5, 7, 4)}  # with the kernels below, some axes pad asymmetrically


def data(*shape):
    return RNG.standard_normal(shape).astype("float32")


def images(rank, data_format, channels=4, batch=2):
    sizes = SPATIAL_SIZES[rank]
    return data(batch, channels, *sizes) if data_format == "channels_first" else data(batch, *sizes, channels)


# (lamina class, Keras class name, arguments, spatial rank)
CONVOLUTIONS = [
    (Conv1D, "Conv1D", dict(filters=3, kernel_size=3), 1),
    (Conv2D, "Conv2D", dict(filters=3, kernel_size=3), 2),
    (Conv2D, "Conv2D", dict(filters=3, kernel_size=(2, 3)), 2),
    (Conv3D, "Conv3D", dict(filters=2, kernel_size=(2, 3, 2)), 3),
    (Conv2DTranspose, "Conv2DTranspose", dict(filters=3, kernel_size=3), 2),
    (Conv2DTranspose, "Conv2DTranspose", dict(filters=3, kernel_size=(1, 4)), 2),
    (DepthwiseConv2D, "DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), 2),
    (SeparableConv2D, "SeparableConv2D", dict(filters=3, kernel_size=(3, 2), depth_multiplier=2), 2),
]


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("layer_class, keras_name, arguments, rank", CONVOLUTIONS,
                         ids=[f"{case[1]}-{case[2]['kernel_size']}" for case in CONVOLUTIONS])
def test_convolution_matches_keras(layer_class, keras_name, arguments, rank, padding, strides, data_format):
    options = dict(arguments, padding=padding, strides=strides, data_format=data_format, activation="relu")
    assert_matches_keras_with_shape(layer_class(**options), getattr(keras().layers, keras_name)(**options),
                                    images(rank, data_format))


@pytest.mark.parametrize("layer_class, keras_name, options, rank", [
    (Conv1D, "Conv1D", dict(filters=3, kernel_size=3, padding="causal"), 1),
    (Conv1D, "Conv1D", dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2), 1),
    (Conv1D, "Conv1D", dict(filters=4, kernel_size=2, padding="same", groups=2), 1),
    (Conv2D, "Conv2D", dict(filters=4, kernel_size=3, padding="same", dilation_rate=2), 2),
    (Conv2D, "Conv2D", dict(filters=4, kernel_size=3, padding="valid", dilation_rate=(1, 2)), 2),
    (Conv2D, "Conv2D", dict(filters=6, kernel_size=3, padding="same", strides=2, groups=2), 2),
    (Conv2D, "Conv2D", dict(filters=4, kernel_size=3, groups=4, use_bias=False), 2),
    (Conv3D, "Conv3D", dict(filters=2, kernel_size=2, padding="same", dilation_rate=2), 3),
    (DepthwiseConv2D, "DepthwiseConv2D", dict(kernel_size=3, padding="same", dilation_rate=2), 2),
    (SeparableConv2D, "SeparableConv2D", dict(filters=2, kernel_size=3, padding="same", dilation_rate=2), 2),
    (Conv2DTranspose, "Conv2DTranspose", dict(filters=2, kernel_size=3, padding="same", dilation_rate=2), 2),
    (Conv2DTranspose, "Conv2DTranspose", dict(filters=2, kernel_size=3, padding="valid", dilation_rate=2), 2),
    (Conv2DTranspose, "Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), 2),
    (Conv2DTranspose, "Conv2DTranspose",
     dict(filters=2, kernel_size=(3, 4), strides=(2, 3), padding="same", output_padding=(0, 2)), 2),
    (Conv2DTranspose, "Conv2DTranspose", dict(filters=2, kernel_size=2, strides=3, padding="same"), 2),
])
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_causal_dilated_grouped_and_output_padding_cases_match_keras(layer_class, keras_name, options, rank,
                                                                    data_format):
    options = dict(options, data_format=data_format)
    assert_matches_keras_with_shape(layer_class(**options), getattr(keras().layers, keras_name)(**options),
                                    images(rank, data_format))


def test_causal_output_does_not_see_the_future():
    layer = Conv1D(1, 3, padding="causal", kernel_initializer="ones", use_bias=False)
    inputs = torch.zeros(1, 6, 1)
    inputs[0, 4, 0] = 1.0
    assert layer(inputs)[0, :, 0].tolist() == [0, 0, 0, 0, 1, 1]


@pytest.mark.parametrize("size, kernel, stride, expected", [
    (7, 3, 2, (1, 1)), (8, 3, 2, (0, 1)), (7, 2, 2, (0, 1)), (9, 3, 1, (1, 1)), (9, 4, 1, (1, 2)), (5, 1, 3, (0, 0)),
])
def test_same_padding_puts_the_odd_pixel_at_the_end(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected


def test_conv_and_max_pool_gradients_match_keras_with_asymmetric_same_padding():
    x = data(2, 3, 8, 9)
    layer = Conv2D(4, 3, strides=2, padding="same", data_format="channels_first")
    keras_layer = keras().layers.Conv2D(4, 3, strides=2, padding="same", data_format="channels_first")
    assert_matches_keras(layer, keras_layer, x)
    weights = torch.as_tensor(data(2, 4, 4, 5))
    gradients = []
    for convolution in (layer, keras_layer):
        inputs = torch.tensor(x, requires_grad=True)
        (convolution(inputs) * weights).sum().backward()
        gradients.append(inputs.grad.numpy())
    np.testing.assert_allclose(*gradients, rtol=1e-5, atol=1e-5)


def test_transposed_convolution_is_the_adjoint_of_the_strided_convolution():
    # <conv(x), y> == <x, conv_transpose(y)> for the same kernel: Keras's (TensorFlow's) definition.
    x, y = torch.as_tensor(data(1, 3, 7, 8)), torch.as_tensor(data(1, 2, 4, 4))
    convolution = Conv2D(2, 3, strides=2, padding="same", use_bias=False, data_format="channels_first")
    convolution(x)
    transposed = Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=(0, 1), use_bias=False,
                                 data_format="channels_first")
    transposed(y)
    transposed.set_weights(convolution.get_weights())
    with torch.no_grad():
        back = transposed(y)
        assert back.shape == x.shape
        np.testing.assert_allclose(float((convolution(x) * y).sum()), float((x * back).sum()), rtol=1e-5)


def test_weights_use_keras_layouts_and_torch_storage():
    conv = Conv2D(5, (2, 3), groups=1, data_format="channels_first")
    conv(torch.zeros(1, 4, 6, 6))
    assert [w.shape for w in conv.get_weights()] == [(2, 3, 4, 5), (5,)]
    assert conv.kernel.shape == (5, 4, 2, 3)
    grouped = Conv2D(6, 3, groups=2, data_format="channels_first")
    grouped(torch.zeros(1, 4, 6, 6))
    assert grouped.get_weights()[0].shape == (3, 3, 2, 6)
    depthwise = DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first")
    depthwise(torch.zeros(1, 4, 6, 6))
    assert [w.shape for w in depthwise.get_weights()] == [(3, 3, 4, 2), (8,)]
    assert depthwise.kernel.shape == (8, 1, 3, 3)
    separable = SeparableConv2D(5, 3, depth_multiplier=2, data_format="channels_first")
    separable(torch.zeros(1, 4, 6, 6))
    assert [w.shape for w in separable.get_weights()] == [(3, 3, 4, 2), (1, 1, 8, 5), (5,)]
    transposed = Conv2DTranspose(5, 3, data_format="channels_first")
    transposed(torch.zeros(1, 4, 6, 6))
    assert [w.shape for w in transposed.get_weights()] == [(3, 3, 5, 4), (5,)]
    assert transposed.kernel.shape == (4, 5, 3, 3)


@pytest.mark.parametrize("make_layer, input_shape", [
    (lambda: Conv1D(3, 2, padding="causal", kernel_regularizer="l2"), (2, 6, 3)),
    (lambda: Conv2D(3, 3, padding="same", strides=2, activation="relu"), (2, 3, 7, 7)),
    (lambda: Conv3D(2, 2, padding="same"), (2, 2, 3, 4, 5)),
    (lambda: Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1), (2, 3, 4, 5)),
    (lambda: DepthwiseConv2D(3, depth_multiplier=2, depthwise_regularizer="l2"), (2, 3, 6, 6)),
    (lambda: SeparableConv2D(4, 3, padding="same", pointwise_constraint="non_neg"), (2, 3, 6, 6)),
    (lambda: Convolution2D(4, 3, 3), (2, 3, 6, 6)),
    (lambda: Convolution3D(2, 2, 2, 2), (2, 2, 3, 4, 5)),
    (lambda: AtrousConvolution2D(2, 3, 3, dilation_rate=2), (2, 3, 7, 7)),
    (lambda: SeparableConvolution2D(4, 3, 3), (2, 3, 6, 6)),
])
def test_contract(make_layer, input_shape):
    check_layer_contract(make_layer, data(*input_shape))


def test_keras1_convolution2d_signature_warns_and_translates():
    with pytest.warns(LegacyArgumentWarning) as record:
        layer = Convolution2D(64, 3, 3, border_mode="same", subsample=(2, 2), dim_ordering="th")
    assert [str(w.message) for w in record] == [
        "Convolution2D: `border_mode` is the Keras 1 name; use `padding`.",
        "Convolution2D: `subsample` is the Keras 1 name; use `strides`.",
        "Convolution2D: `dim_ordering` is the Keras 1 name; use `data_format`.",
    ]
    assert (layer.filters, layer.kernel_size, layer.strides) == (64, (3, 3), (2, 2))
    assert (layer.padding, layer.data_format) == ("same", "channels_first")
    assert layer(torch.zeros(1, 3, 7, 9)).shape == (1, 64, 4, 5)
    assert layer.get_weights()[0].shape == (3, 3, 3, 64)


def test_keras1_and_keras3_kernel_size_forms_agree():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forms = [Convolution2D(8, 3, 3), Convolution2D(8, 3), Convolution2D(8, (3, 3)),
                 Convolution2D(8, kernel_size=3), Convolution2D(filters=8, kernel_size=[3, 3])]
    assert {layer.kernel_size for layer in forms} == {(3, 3)}
    assert Convolution2D(8, 2, 3).kernel_size == (2, 3)
    assert Convolution3D(2, 1, 2, 3).kernel_size == (1, 2, 3)
    assert Convolution1D is Conv1D


def test_keras1_names_of_other_convolutions():
    with pytest.warns(LegacyArgumentWarning):
        conv1d = Convolution1D(nb_filter=4, filter_length=3, subsample_length=2, border_mode="same", bias=False)
    assert (conv1d.filters, conv1d.kernel_size, conv1d.strides, conv1d.use_bias) == (4, (3,), (2,), False)
    assert conv1d(torch.zeros(2, 7, 5)).shape == (2, 4, 4)
    with pytest.warns(LegacyArgumentWarning, match="AtrousConvolution2D: `atrous_rate` is the Keras 1 name"):
        atrous = AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2))
    assert atrous.dilation_rate == (2, 2)
    with pytest.warns(LegacyArgumentWarning) as record:
        conv2d = Conv2D(4, 3, init="he_normal", W_regularizer="l2")
    assert [str(w.message) for w in record] == [
        "Conv2D: `init` is the Keras 1 name; use `kernel_initializer`.",
        "Conv2D: `W_regularizer` is the Keras 1 name; use `kernel_regularizer`.",
    ]
    assert conv2d.get_config()["kernel_initializer"]["class_name"] == "HeNormal"
    assert conv2d.kernel_regularizer is not None


def test_kernel_size_given_twice_or_not_at_all_is_a_type_error():
    with pytest.raises(TypeError, match=r"Convolution2D: pass the kernel size either as `kernel_size` or"):
        Convolution2D(8, 3, 3, kernel_size=3)
    with pytest.raises(TypeError, match=r"Convolution2D: give the kernel size as one int per axis"):
        Convolution2D(8)


def test_default_data_formats():
    assert Conv1D(2, 3).data_format == "channels_last"  # sequences: (batch, steps, features), as Keras
    assert Conv2D(2, 3).data_format == "channels_first"  # lamina's image default
    config.set_image_data_format("channels_last")
    assert Conv2D(2, 3).data_format == "channels_last"
    assert Conv3D(2, 3).data_format == "channels_last"
    assert Conv1D(2, 3, data_format="channels_first").data_format == "channels_first"


@pytest.mark.parametrize("make_layer, message", [
    (lambda: Conv2D(0, 3), r"Conv2D: `filters` must be a positive integer, received 0"),
    (lambda: Conv2D(4, (3, 3, 3)), r"Conv2D: `kernel_size` must be an int or a tuple of 2 ints, each >= 1; "
                                   r"received \(3, 3, 3\)"),
    (lambda: Conv2D(4, 3, strides=0), r"Conv2D: `strides` must be .* received 0"),
    (lambda: Conv2D(4, 3, padding="sane"), r"Conv2D: invalid padding='sane'. Did you mean 'same'\? "
                                           r"Expected one of: 'valid', 'same'."),
    (lambda: Conv2D(4, 3, padding="causal"), r"Conv2D: invalid padding='causal'"),
    (lambda: Conv2D(5, 3, groups=2), r"Conv2D: `filters` \(5\) must be a multiple of `groups` \(2\)"),
    (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2),
     r"Conv2DTranspose: each `output_padding` \(2, 2\) must be smaller than the `strides` \(2, 2\)"),
    (lambda: Conv2D(4, 3, data_format="channels_middle"), r"data_format='channels_middle'"),
])
def test_invalid_arguments_name_layer_and_values(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


def test_input_errors_name_layer_and_fix():
    with pytest.raises(ValueError, match=r"the input's 3 channels must be a multiple of `groups` \(2\)"):
        Conv2D(4, 3, groups=2, data_format="channels_first")(torch.zeros(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"layer 'conv' .*expected ndim=4, found ndim=3.*Conv2D takes \(batch, "
                                         r"channels, rows, cols\).*no channel axis.*Reshape\(\(1, 28, 28\)\)"):
        Conv2D(4, 3, name="conv", data_format="channels_first")(torch.zeros(2, 28, 28))
    layer = Conv2D(4, 3, name="conv", data_format="channels_first")
    layer(torch.zeros(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"layer 'conv' .*axis 1 of the input to have size 3"):
        layer(torch.zeros(1, 2, 5, 5))
