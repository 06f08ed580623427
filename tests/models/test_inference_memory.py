"""A model's inference pass drops each tensor after its last reader and writes activations and adds in place
when nothing else holds the tensor: the results are those of the plain pass, and the user's inputs are never
touched."""
import numpy as np
import pytest
import torch

from lamina import activations
from lamina.layers import Activation, Add, Conv2D, Dense, Dropout, Input, Multiply, Reshape
from lamina.models import Model


def outputs_without_and_with_gradients(model, x):
    """(the inference pass's outputs, the same pass recording gradients: no in-place writes, nothing dropped)."""
    with torch.no_grad():
        fast = model(x, training=False)
    return fast, model(x, training=False).detach()


def test_a_tensor_read_by_two_branches_is_kept_for_the_second():
    inputs = Input((6,))
    hidden = Dense(6, name="hidden")(inputs)
    relu = Activation("relu")(hidden)  # may not overwrite `hidden`: the Add reads it afterwards
    outputs = Add()([Activation("tanh")(relu), hidden])
    model = Model(inputs, outputs)
    x = torch.randn(4, 6)
    fast, reference = outputs_without_and_with_gradients(model, x)
    torch.testing.assert_close(fast, reference, rtol=0, atol=0)
    expected = torch.tanh(torch.relu(model.get_layer("hidden")(x))) + model.get_layer("hidden")(x)
    torch.testing.assert_close(fast, expected.detach(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("view", [lambda t: t, lambda t: Reshape((2, 3))(t)])
def test_the_models_input_and_its_views_are_never_overwritten(view):
    inputs = Input((6,))
    model = Model(inputs, Add()([Activation("relu")(view(inputs)), view(inputs)]))
    x = torch.randn(5, 6)
    before = x.clone()
    with torch.no_grad():
        result = model(x)
    torch.testing.assert_close(x, before, rtol=0, atol=0)
    torch.testing.assert_close(result, (torch.relu(before) + before).reshape(result.shape), rtol=0, atol=0)
    np.testing.assert_array_equal(model.predict(x.numpy(), verbose=0), result.numpy())


def test_a_layer_that_returns_its_input_is_not_an_invitation_to_overwrite():
    # Dropout returns its input itself at inference: the ReLU after it shares the Dense output's memory.
    inputs = Input((4,))
    hidden = Dense(4)(inputs)
    outputs = Add()([Activation("relu")(Dropout(0.5)(hidden)), hidden])
    model = Model(inputs, outputs)
    x = torch.randn(3, 4)
    fast, reference = outputs_without_and_with_gradients(model, x)
    torch.testing.assert_close(fast, reference, rtol=0, atol=0)


@pytest.mark.parametrize("merge, function", [(Add, torch.add), (Multiply, torch.mul)])
def test_merges_are_in_place_only_into_a_first_input_of_the_results_shape(merge, function):
    small, large = Input((1, 3)), Input((2, 3))
    # a squeeze-and-excitation's scaling: the large tensor first, the scale broadcast to it
    scaled = merge()([Activation("relu")(large), Activation("tanh")(small)])
    # the small tensor first: the result is larger than it, so it cannot be written into it
    grown = merge()([Activation("relu")(small), Activation("tanh")(large)])
    model = Model([small, large], [scaled, grown])
    x, y = torch.randn(2, 1, 3), torch.randn(2, 2, 3)
    with torch.no_grad():
        results = model([x, y])
    torch.testing.assert_close(results[0], function(torch.relu(y), torch.tanh(x)), rtol=0, atol=0)
    torch.testing.assert_close(results[1], function(torch.relu(x), torch.tanh(y)), rtol=0, atol=0)


def test_convolution_activation_is_in_place_only_without_gradients():
    conv = Conv2D(4, 3, activation="relu")
    model = Model(inputs := Input((2, 8, 8)), conv(inputs))
    x = torch.randn(2, 2, 8, 8)
    fast, reference = outputs_without_and_with_gradients(model, x)
    torch.testing.assert_close(fast, reference, rtol=0, atol=0)
    assert model(x).grad_fn is not None  # with gradients: the out-of-place activation, differentiable


@pytest.mark.parametrize("name", ["relu", "relu6", "tanh", "silu", "hard_silu", "hard_sigmoid"])
def test_in_place_activations_equal_their_functions(name):
    function = activations.get(name)
    x = torch.linspace(-8, 8, 101)
    expected = function(x)
    with torch.no_grad():
        result = activations.apply_to_fresh(function, x.clone())
    torch.testing.assert_close(result, expected, rtol=0, atol=0)
