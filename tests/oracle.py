"""Helpers comparing lamina layers with Keras 3 (torch backend) and checking the shared layer contract."""
import numpy as np
import torch

from lamina.layers import Layer


def keras():
    import keras as keras_module

    return keras_module


def to_numpy(value):
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_matches_keras(lamina_layer, keras_layer, inputs, training=False, atol=1e-5, call_kwargs=None):
    """Builds both layers on `inputs`, copies lamina's weights into Keras, and compares the outputs."""
    call_kwargs = call_kwargs or {}
    torch_inputs = [torch.as_tensor(x) for x in inputs] if isinstance(inputs, list) else torch.as_tensor(inputs)
    lamina_layer(torch_inputs, **call_kwargs)
    keras_layer(inputs, **call_kwargs)
    keras_layer.set_weights(lamina_layer.get_weights())
    expected = to_numpy(keras_layer(inputs, training=training, **call_kwargs))
    actual = to_numpy(lamina_layer(torch_inputs, training=training, **call_kwargs))
    if isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            np.testing.assert_allclose(a, e, atol=atol, rtol=1e-5)
    else:
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=1e-5)
    return actual


def assert_matches_keras_with_shape(layer, keras_layer, inputs, **options):
    """Outputs equal Keras's (weights copied from lamina) and the symbolic output shape equals Keras's."""
    from lamina.layers import Input

    assert_matches_keras(layer, keras_layer, inputs, **options)
    sample_shape = tuple(inputs.shape[1:])
    assert layer(Input(shape=sample_shape)).shape == tuple(keras_layer.compute_output_shape((None,) + sample_shape))


def check_layer_contract(make_layer, inputs):
    """The contract every public layer keeps.

    - get_config() -> from_config() gives a layer with the same config and, with the same weights, the same output;
    - get_weights() -> set_weights() round-trips;
    - one optimizer step on a trainable layer changes its trainable weights and keeps them finite.
    """
    torch_inputs = [torch.as_tensor(x) for x in inputs] if isinstance(inputs, list) else torch.as_tensor(inputs)
    layer = make_layer()
    layer.eval()
    output = layer(torch_inputs)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    clone.eval()
    clone(torch_inputs)
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == {
        k: v for k, v in config.items() if k != "name"}
    clone.set_weights(layer.get_weights())
    for a, b in zip(clone.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_flat(clone(torch_inputs)), _flat(output)):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-6)
    trainable = layer.trainable_weights
    if trainable:
        layer.train()
        before = [w.detach().clone() for w in trainable]
        optimizer = torch.optim.SGD(trainable, lr=0.1)
        loss = sum(o.float().square().mean() for o in _flat(layer(torch_inputs)) if o.is_floating_point())
        loss.backward()
        optimizer.step()
        assert any(not torch.equal(b, w.detach()) for b, w in zip(before, trainable))
        assert all(torch.isfinite(w).all() for w in trainable)
    assert isinstance(layer, Layer) and isinstance(layer, torch.nn.Module)


def _flat(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]
