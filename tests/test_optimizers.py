import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.legacy import LegacyArgumentWarning
from lamina.optimizers import schedules
from oracle import keras

RNG = np.random.default_rng(2)
INITIAL = RNG.standard_normal((3, 4)).astype("float32")
GRADIENTS = [RNG.standard_normal((3, 4)).astype("float32") for _ in range(6)]


def run_lamina(optimizer, gradients=GRADIENTS):
    weight = torch.nn.Parameter(torch.as_tensor(INITIAL.copy()))
    optimizer.build([weight])
    for gradient in gradients:
        weight.grad = torch.as_tensor(gradient.copy())
        optimizer.step()
    return weight.detach().numpy()


def run_keras(optimizer, gradients=GRADIENTS):
    variable = keras().Variable(INITIAL.copy())
    for gradient in gradients:
        optimizer.apply_gradients([(keras().ops.convert_to_tensor(gradient), variable)])
    return np.asarray(variable.numpy())


OPTIMIZER_CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.5, "centered": True}), ("Adam", {}), ("Adam", {"amsgrad": True}),
    ("AdamW", {}), ("Adagrad", {}), ("Adadelta", {"learning_rate": 1.0}), ("Adamax", {}), ("Nadam", {}),
    ("SGD", {"weight_decay": 0.1, "learning_rate": 0.1}), ("Adam", {"weight_decay": 0.05}),
    ("SGD", {"clipnorm": 0.5}), ("SGD", {"clipvalue": 0.3}), ("SGD", {"global_clipnorm": 0.5}),
]


@pytest.mark.parametrize("name, arguments", OPTIMIZER_CASES)
def test_optimizer_steps_match_keras(name, arguments):
    ours = run_lamina(getattr(optimizers, name)(**arguments))
    theirs = run_keras(getattr(keras().optimizers, name)(**arguments))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_defaults_are_keras_defaults():
    for name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam"):
        ours, theirs = getattr(optimizers, name)(), getattr(keras().optimizers, name)()
        assert ours.learning_rate == pytest.approx(float(theirs.learning_rate)), name
        for key, value in ours.get_config().items():
            if key in theirs.get_config() and key not in ("name", "learning_rate"):
                assert value == theirs.get_config()[key], (name, key)


def test_clipping_matches_torch_clipping():
    gradients = [GRADIENTS[0] * 10]
    clipped = torch.nn.Parameter(torch.zeros(3, 4))
    clipped.grad = torch.as_tensor(gradients[0].copy())
    torch.nn.utils.clip_grad_norm_([clipped], 1.0)
    expected = INITIAL - 0.1 * clipped.grad.numpy()
    np.testing.assert_allclose(run_lamina(optimizers.SGD(0.1, global_clipnorm=1.0), gradients), expected, rtol=1e-5)
    np.testing.assert_allclose(run_lamina(optimizers.SGD(0.1, clipnorm=1.0), gradients), expected, rtol=1e-5)
    clipped.grad = torch.as_tensor(gradients[0].copy())
    torch.nn.utils.clip_grad_value_([clipped], 0.5)
    expected = INITIAL - 0.1 * clipped.grad.numpy()
    np.testing.assert_allclose(run_lamina(optimizers.SGD(0.1, clipvalue=0.5), gradients), expected, rtol=1e-5)


def test_global_clipnorm_clips_all_weights_together_like_torch():
    first, second = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2))
    optimizer = optimizers.SGD(1.0, global_clipnorm=1.0)
    optimizer.build([first, second])
    first.grad, second.grad = torch.tensor([3.0, 0.0, 0.0]), torch.tensor([0.0, 4.0])
    reference = [torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2))]
    reference[0].grad, reference[1].grad = first.grad.clone(), second.grad.clone()
    torch.nn.utils.clip_grad_norm_(reference, 1.0)
    optimizer.step()
    torch.testing.assert_close(first.detach(), -reference[0].grad)
    torch.testing.assert_close(second.detach(), -reference[1].grad)


@pytest.mark.parametrize("schedule", [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5, staircase=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)),
    ("PiecewiseConstantDecay", dict(boundaries=[1, 3], values=[0.1, 0.05, 0.01])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=4, end_learning_rate=0.01, power=2.0)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=4, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=4, warmup_target=0.1, warmup_steps=2)),
])
def test_schedules_match_keras(schedule):
    name, arguments = schedule
    ours, theirs = getattr(schedules, name)(**arguments), getattr(keras().optimizers.schedules, name)(**arguments)
    for step in range(8):
        assert ours(step) == pytest.approx(float(theirs(step)), rel=1e-6, abs=1e-9), step
    np.testing.assert_allclose(run_lamina(optimizers.SGD(ours)), run_keras(keras().optimizers.SGD(theirs)),
                               rtol=1e-5, atol=1e-6)


def test_keras1_lr_and_decay():
    with pytest.warns(LegacyArgumentWarning, match="`lr` is the Keras 1 name"):
        optimizer = optimizers.SGD(lr=0.1, decay=0.5)
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer.build([weight])
    for _ in range(3):
        weight.grad = torch.ones(1)
        optimizer.step()
    assert weight.item() == pytest.approx(-(0.1 + 0.1 / 1.5 + 0.1 / 2.0))
    assert optimizer.lr == pytest.approx(0.1 / 2.5)


def test_optimizer_lookup_errors():
    with pytest.raises(ValueError, match="Unknown optimizer 'sqd'. Did you mean 'sgd'?"):
        optimizers.get("sqd")
    with pytest.raises(TypeError, match="takes a lamina optimizer"):
        optimizers.get(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    with pytest.raises(ValueError, match="at most one of `clipnorm`"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_state_dict_round_trip():
    optimizer = optimizers.Adam()
    run_lamina(optimizer, GRADIENTS[:2])
    clone = optimizers.Adam()
    clone.build([torch.nn.Parameter(torch.as_tensor(INITIAL.copy()))])
    clone.load_state_dict(optimizer.state_dict())
    assert clone.iterations == 2
