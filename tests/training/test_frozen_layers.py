"""Transfer learning as Keras documents it: `trainable = False` freezes weights and batch-norm statistics."""
import numpy as np
import pytest
import torch
from torch import nn

from lamina.layers import BatchNormalization, Dense, Input, TorchModule
from lamina.models import Model, Sequential
from lamina.utils import set_random_seed


def vectors(count=64):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(count, 4)) * 2 + 3).astype("float32")  # far from BN's initial statistics
    return x, rng.normal(size=(count, 1)).astype("float32")


def images(count=32):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(count, 3, 8, 8)) * 2 + 1).astype("float32")
    return x, rng.normal(size=(count, 1)).astype("float32")


def small_backbone():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def frozen_base(nesting):
    """(model, base, base's BatchNormalization): a base with a BatchNormalization, frozen, used as a layer."""
    if nesting == "functional":
        base_input = Input((4,))
        base = Model(base_input, BatchNormalization()(Dense(4)(base_input)))
        base.trainable = False
        model_input = Input((4,))
        model = Model(model_input, Dense(1)(base(model_input)))
    else:
        base = Sequential([Input((4,)), Dense(4), BatchNormalization()])
        base.trainable = False
        model = Sequential([Input((4,)), base, Dense(1)])
    return model, base, base.layers[-1]


def copies(tensors):
    return [tensor.detach().clone() for tensor in tensors]


def assert_changed(before, after):
    assert np.abs(np.asarray(after) - np.asarray(before)).max() > 1e-4


@pytest.mark.parametrize("nesting", ["functional", "sequential"])
def test_frozen_nested_model_keeps_batch_norm_statistics_and_weights(nesting):
    set_random_seed(0)
    model, base, batch_norm = frozen_base(nesting)
    assert not batch_norm.trainable and base.trainable_weights == []
    model.compile("sgd", "mse")
    frozen = copies([batch_norm.moving_mean, batch_norm.moving_variance, batch_norm.gamma, batch_norm.beta])
    head_before = model.layers[-1].get_weights()[0]
    model.fit(*vectors(), batch_size=16, epochs=2, verbose=0)
    after = [batch_norm.moving_mean, batch_norm.moving_variance, batch_norm.gamma, batch_norm.beta]
    assert all(torch.equal(a, b) for a, b in zip(frozen, after))
    assert_changed(head_before, model.layers[-1].get_weights()[0])


@pytest.mark.parametrize("nesting", ["functional", "sequential"])
def test_unfrozen_nested_model_updates_batch_norm_statistics(nesting):
    set_random_seed(0)
    model, base, batch_norm = frozen_base(nesting)
    base.trainable = True  # fine-tuning: unfreeze, then compile again (as in Keras)
    model.compile("sgd", "mse")
    before = copies([batch_norm.moving_mean, batch_norm.gamma])
    model.fit(*vectors(), batch_size=16, epochs=2, verbose=0)
    assert_changed(before[0], batch_norm.moving_mean.detach())
    assert_changed(before[1], batch_norm.gamma.detach())


def test_frozen_torch_module_runs_in_eval_mode_in_fit():
    set_random_seed(0)
    backbone = small_backbone()
    layer = TorchModule(backbone, trainable=False)
    model = Sequential([Input((3, 8, 8)), layer, Dense(1)])
    model.compile("sgd", "mse")
    batch_norm = backbone[1]
    modes_seen = []
    batch_norm.register_forward_hook(lambda module, inputs, output: modes_seen.append(module.training))
    buffers = copies([batch_norm.running_mean, batch_norm.running_var, batch_norm.num_batches_tracked])
    parameters = copies(backbone.parameters())
    backbone_mode = backbone.training
    head_before = model.layers[-1].get_weights()[0]
    model.fit(*images(), batch_size=8, epochs=2, verbose=0)
    assert modes_seen and not any(modes_seen)
    after = [batch_norm.running_mean, batch_norm.running_var, batch_norm.num_batches_tracked]
    assert all(torch.equal(a, b) for a, b in zip(buffers, after))
    assert all(torch.equal(a, b) for a, b in zip(parameters, backbone.parameters()))
    assert_changed(head_before, model.layers[-1].get_weights()[0])
    assert backbone.training == backbone_mode


def test_freezing_switches_the_module_mode_and_unfreezing_restores_it():
    backbone = small_backbone()
    layer = TorchModule(backbone)
    assert backbone.training
    layer.trainable = False
    assert not any(module.training for module in backbone.modules())
    layer.train()  # what fit() does: the frozen module stays in eval mode
    assert layer.training and not backbone.training
    layer.trainable = True
    assert all(module.training for module in backbone.modules())
    layer.eval()
    layer.trainable = False
    layer.trainable = True  # back to the layer's mode, eval
    assert not backbone.training


def test_trainable_torch_module_updates_batch_norm_statistics_in_fit():
    set_random_seed(0)
    backbone = small_backbone()
    model = Sequential([Input((3, 8, 8)), TorchModule(backbone), Dense(1)])
    model.compile("sgd", "mse")
    batch_norm = backbone[1]
    before = copies([batch_norm.running_mean, batch_norm.running_var, backbone[0].weight])
    model.fit(*images(), batch_size=8, epochs=2, verbose=0)
    for old, new in zip(before, [batch_norm.running_mean, batch_norm.running_var, backbone[0].weight]):
        assert_changed(old, new.detach())
    assert int(batch_norm.num_batches_tracked) == 8


def test_training_false_argument_runs_a_trainable_module_in_eval_mode_for_that_call_only():
    set_random_seed(0)
    backbone = small_backbone()
    backbone[2].eval()  # a submodule in its own mode: restored after the call
    layer = TorchModule(backbone)
    layer.train()
    backbone[2].eval()
    modes = [module.training for module in backbone.modules()]
    statistics = copies([backbone[1].running_mean, backbone[1].running_var])
    layer(torch.as_tensor(images()[0]), training=False)
    assert [module.training for module in backbone.modules()] == modes
    assert all(torch.equal(a, b) for a, b in zip(statistics, [backbone[1].running_mean, backbone[1].running_var]))

    # Keras's fine-tuning idiom: base(inputs, training=False) in the graph; the base's weights still learn.
    model_input = Input((3, 8, 8))
    model = Model(model_input, Dense(1)(layer(model_input, training=False)))
    model.compile("sgd", "mse")
    kernel = backbone[0].weight.detach().clone()
    model.fit(*images(), batch_size=8, epochs=1, verbose=0)
    assert all(torch.equal(a, b) for a, b in zip(statistics, [backbone[1].running_mean, backbone[1].running_var]))
    assert_changed(kernel, backbone[0].weight.detach())


def test_frozen_first_layers_build_no_autograd_graph():
    set_random_seed(0)
    backbone = small_backbone()
    frozen_dense = Dense(3, trainable=False)
    model = Sequential([Input((3, 8, 8)), TorchModule(backbone, trainable=False), frozen_dense, Dense(1)])
    model.compile("sgd", "mse")
    outputs_seen = []
    backbone.register_forward_hook(lambda module, inputs, output: outputs_seen.append(output))
    frozen_dense.register_forward_hook(lambda module, inputs, output: outputs_seen.append(output))
    model.fit(*images(), batch_size=8, epochs=1, verbose=0)
    assert len(outputs_seen) == 8
    assert all(output.grad_fn is None and not output.requires_grad for output in outputs_seen)


@pytest.mark.parametrize("frozen", ["torch_module", "dense"])
def test_gradients_flow_through_a_frozen_layer_to_earlier_trainable_layers(frozen):
    set_random_seed(0)
    if frozen == "torch_module":
        first = TorchModule(nn.Conv2d(3, 3, 1))
        middle = TorchModule(small_backbone(), trainable=False)
        model = Sequential([Input((3, 8, 8)), first, middle, Dense(1)])
        x, y = images()
    else:
        first, middle = Dense(4), Dense(4, trainable=False)
        model = Sequential([Input((4,)), first, BatchNormalization(trainable=False), middle, Dense(1)])
        x, y = vectors()
    frozen_weights = copies(middle.weights)
    loss = ((model(torch.as_tensor(x[:8])) - torch.as_tensor(y[:8])) ** 2).mean()
    loss.backward()
    assert all(weight.grad is None for weight in middle.weights)
    assert all(weight.grad is not None and weight.grad.abs().max() > 0 for weight in first.trainable_weights)

    model.compile("sgd", "mse")
    first_before = first.get_weights()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for old, new in zip(first_before, first.get_weights()):
        assert_changed(old, new)
    assert all(torch.equal(a, b) for a, b in zip(frozen_weights, middle.weights))
