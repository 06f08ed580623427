import numpy as np
import pytest
import torch

from lamina.layers import (
    Add, Average, Concatenate, Dense, Dot, Input, Maximum, Minimum, Multiply, Subtract, concatenate, merge,
)
from lamina.legacy import LegacyArgumentWarning
from lamina.models import Model
from oracle import assert_matches_keras, check_layer_contract, keras

RNG = np.random.default_rng(0)


def data(*shape):
    return RNG.standard_normal(shape).astype("float32")


@pytest.mark.parametrize("name", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"])
def test_elementwise_merges_match_keras(name):
    import lamina.layers

    inputs = [data(3, 4), data(3, 4)] if name == "Subtract" else [data(3, 4), data(3, 4), data(3, 4)]
    assert_matches_keras(getattr(lamina.layers, name)(), getattr(keras().layers, name)(), inputs)


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate_matches_keras(axis):
    inputs = [data(2, 3, 4), data(2, 3, 4)]
    assert_matches_keras(Concatenate(axis=axis), keras().layers.Concatenate(axis=axis), inputs)


@pytest.mark.parametrize("axes, normalize, shapes", [
    (1, False, [(3, 5), (3, 5)]), (1, True, [(3, 5), (3, 5)]), ((2, 1), False, [(3, 4, 5), (3, 5, 2)]),
    ((1, 1), True, [(3, 4, 5), (3, 4, 2)]),
])
def test_dot_matches_keras(axes, normalize, shapes):
    inputs = [data(*shape) for shape in shapes]
    assert_matches_keras(Dot(axes, normalize=normalize), keras().layers.Dot(axes, normalize=normalize), inputs)


def test_merge_contracts():
    for make in (Add, Average, Maximum, lambda: Concatenate(axis=1), lambda: Dot(1)):
        check_layer_contract(make, [data(3, 4), data(3, 4)])


def test_keras1_merge_modes_build_the_keras3_layers():
    a, b = Input((4,)), Input((4,))
    expected = {"concat": (None, 8), "sum": (None, 4), "mul": (None, 4), "ave": (None, 4), "max": (None, 4),
                "dot": (None, 1), "cos": (None, 1)}
    for mode, shape in expected.items():
        assert merge([a, b], mode=mode).shape == shape
    x, y = torch.rand(2, 4), torch.rand(2, 4)
    cosine = Model([a, b], merge([a, b], mode="cos"))([x, y])
    torch.testing.assert_close(cosine[:, 0], torch.nn.functional.cosine_similarity(x, y))


def test_unknown_merge_mode_suggests_the_nearest():
    a, b = Input((4,)), Input((4,))
    with pytest.raises(ValueError, match="Invalid merge mode='conact'. Did you mean 'concat'?"):
        merge([a, b], mode="conact")


def test_incompatible_merge_shapes_name_the_shapes_and_the_fix():
    a, b = Input((4,)), Input((5,))
    with pytest.raises(ValueError, match=r"Add 'add' needs inputs of the same shape, but received shapes "
                                         r"\(None, 4\), \(None, 5\). Reshape or project"):
        Add()([a, b])
    c = Input((3, 5))
    with pytest.raises(ValueError, match="agree on every axis except the concatenation axis"):
        concatenate([Input((2, 4)), c], axis=-1)


def test_merge_needs_a_list_of_two_tensors():
    with pytest.raises(ValueError, match="needs at least 2 inputs"):
        Add()([Input((4,))])
