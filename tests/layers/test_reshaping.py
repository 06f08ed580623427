import numpy as np
import pytest
import torch

from lamina.layers import Input
from lamina.legacy import LegacyArgumentWarning
from lamina.layers.reshaping import (
    Cropping1D, Cropping2D, Permute, RepeatVector, Reshape, UpSampling1D, UpSampling2D, ZeroPadding1D,
    ZeroPadding2D,
)
from oracle import assert_matches_keras_with_shape, assert_matches_keras, check_layer_contract, keras

RNG = np.random.default_rng(0)


def data(*shape):
    return RNG.standard_normal(shape).astype("float32")


@pytest.mark.parametrize("layer_class, keras_name, arguments, input_shape", [
    (Reshape, "Reshape", dict(target_shape=(4, 3)), (2, 3, 4)),
    (Reshape, "Reshape", dict(target_shape=(-1,)), (2, 3, 4)),
    (Reshape, "Reshape", dict(target_shape=(2, -1, 2)), (2, 3, 4)),
    (Permute, "Permute", dict(dims=(2, 1)), (2, 3, 4)),
    (Permute, "Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    (RepeatVector, "RepeatVector", dict(n=3), (2, 4)),
    (UpSampling1D, "UpSampling1D", dict(size=2), (2, 5, 3)),
    (UpSampling1D, "UpSampling1D", dict(size=3), (2, 5, 3)),
    (Cropping1D, "Cropping1D", dict(cropping=1), (2, 6, 3)),
    (Cropping1D, "Cropping1D", dict(cropping=(0, 2)), (2, 6, 3)),
])
def test_sequence_and_shape_layers_match_keras(layer_class, keras_name, arguments, input_shape):
    assert_matches_keras_with_shape(layer_class(**arguments), getattr(keras().layers, keras_name)(**arguments),
                                    data(*input_shape))


@pytest.mark.parametrize("padding", [1, (1, 2)])
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_zero_padding_1d_matches_keras(padding, data_format):
    assert_matches_keras_with_shape(ZeroPadding1D(padding, data_format=data_format),
                                    keras().layers.ZeroPadding1D(padding, data_format=data_format), data(2, 5, 3))


@pytest.mark.parametrize("layer_class, keras_name, widths", [
    (ZeroPadding2D, "ZeroPadding2D", 1), (ZeroPadding2D, "ZeroPadding2D", (1, 2)),
    (ZeroPadding2D, "ZeroPadding2D", ((1, 0), (2, 3))), (Cropping2D, "Cropping2D", 1),
    (Cropping2D, "Cropping2D", (1, 2)), (Cropping2D, "Cropping2D", ((1, 0), (2, 3))),
])
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_2d_padding_and_cropping_match_keras(layer_class, keras_name, widths, data_format):
    assert_matches_keras_with_shape(layer_class(widths, data_format=data_format),
                                    getattr(keras().layers, keras_name)(widths, data_format=data_format),
                                    data(2, 7, 8, 3) if data_format == "channels_last" else data(2, 3, 7, 8))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [2, (2, 3)])
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_upsampling_2d_matches_keras(interpolation, size, data_format):
    options = dict(size=size, data_format=data_format, interpolation=interpolation)
    assert_matches_keras_with_shape(UpSampling2D(**options), keras().layers.UpSampling2D(**options),
                                    data(2, 4, 5, 3) if data_format == "channels_last" else data(2, 3, 4, 5))


def test_widths_are_normalized_to_pairs_per_axis():
    assert ZeroPadding1D(2).widths == ((2, 2),)
    assert ZeroPadding1D((1, 3)).widths == ((1, 3),)
    assert ZeroPadding2D((1, 2)).widths == ((1, 1), (2, 2))
    assert Cropping2D([[1, 0], [2, 3]]).widths == ((1, 0), (2, 3))
    assert Cropping2D().widths == ((0, 0), (0, 0))  # Keras's default: no cropping
    assert Cropping1D().widths == ((1, 1),)


def test_reshape_size_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"Reshape 'reshape': cannot reshape an input of shape \(3, 4\) \(12 values "
                                         r"per sample, batch axis excluded\) to target_shape \(5,\) \(5 values\)"):
        Reshape((5,), name="reshape")(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"shape \(3, 4\) .* target_shape \(5, -1\) \(a multiple of 5 values\)"):
        Reshape((5, -1))(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"cannot reshape an input of shape \(3, 4\).*target_shape \(7,\)"):
        Reshape((7,))(Input(shape=(3, 4)))  # found while the model is defined


@pytest.mark.parametrize("make_layer, message", [
    (lambda: Reshape((2, -1, -1)), r"Reshape: `target_shape` must be positive ints with at most one -1"),
    (lambda: Reshape((0, 3)), r"Reshape: `target_shape` must be positive ints"),
    (lambda: Permute((0, 1)), r"Permute: `dims` must be a permutation of 1..2 .*received \(0, 1\)"),
    (lambda: RepeatVector(0), r"RepeatVector: `n` must be a positive integer, received 0"),
    (lambda: UpSampling2D(interpolation="bilinaer"), r"UpSampling2D: invalid interpolation='bilinaer'. Did you "
                                                      r"mean 'bilinear'\?"),
    (lambda: ZeroPadding2D(((1, 2, 3), (1, 1))), r"ZeroPadding2D: `padding` must be an int, 2 ints or 2 "
                                                  r"\(before, after\) pairs of ints >= 0; received"),
    (lambda: Cropping1D(-1), r"Cropping1D: `cropping` must be an int or a pair \(before, after\) of ints >= 0; "
                             r"received -1. For example cropping=1 or cropping=\(1, 2\)."),
])
def test_invalid_arguments_name_layer_and_values(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


def test_cropping_everything_is_an_error():
    with pytest.raises(ValueError, match=r"Cropping2D 'crop': cropping \(2, 3\) removes all 5 values of axis 1"):
        Cropping2D(((2, 3), (0, 0)), data_format="channels_last", name="crop")(torch.zeros(1, 5, 5, 3))


@pytest.mark.parametrize("make_layer, input_shape", [
    (lambda: Reshape((-1, 2)), (2, 3, 4)),
    (lambda: Permute((2, 1)), (2, 3, 4)),
    (lambda: RepeatVector(3), (2, 4)),
    (lambda: UpSampling1D(2), (2, 5, 3)),
    (lambda: UpSampling2D((2, 3), interpolation="bilinear"), (2, 3, 4, 5)),
    (lambda: ZeroPadding1D((1, 2)), (2, 5, 3)),
    (lambda: ZeroPadding2D(((1, 0), (2, 3))), (2, 3, 4, 5)),
    (lambda: Cropping1D((1, 2)), (2, 6, 3)),
    (lambda: Cropping2D(((1, 0), (2, 1)), data_format="channels_last"), (2, 4, 5, 3)),
])
def test_contract(make_layer, input_shape):
    check_layer_contract(make_layer, data(*input_shape))


def test_keras1_arguments_warn_and_translate():
    with pytest.warns(LegacyArgumentWarning, match=r"UpSampling1D: `length` is the Keras 1 name; use `size`."):
        assert UpSampling1D(length=3).size == 3
    with pytest.warns(LegacyArgumentWarning, match=r"ZeroPadding2D: `dim_ordering` is the Keras 1 name"):
        assert ZeroPadding2D((1, 1), dim_ordering="tf").data_format == "channels_last"
    with pytest.warns(LegacyArgumentWarning, match=r"UpSampling2D: `dim_ordering` is the Keras 1 name"):
        assert UpSampling2D(dim_ordering="th").data_format == "channels_first"
