"""Bad input gets errors naming the fix, and every method leaves the model as it found it."""
import re

import pytest
import torch
from torch import nn

from lamina import explain
from lamina.layers import Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, Input
from lamina.models import Sequential


def small_model():
    return Sequential([Input((3, 8, 8)), Conv2D(4, 3, activation="relu"), Flatten(), Dropout(0.5), Dense(3)])


X = torch.rand(2, 3, 8, 8)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: explain.occlusion(m, X, target=3, progress=False), ValueError,
     "occlusion: target=3 is out of range: the model has 3 outputs, so a target is an int from 0 to 2. Pass "
     "target=None to explain the predicted class."),
    (lambda m: explain.grad_cam(m, X, target=[0, -1]), ValueError,
     "grad_cam: target=-1 is out of range: the model has 3 outputs, so a target is an int from 0 to 2. Pass "
     "target=None to explain the predicted class."),
    (lambda m: explain.saliency(m, X, target=[0, 1, 2]), ValueError,
     "saliency: target has 3 values for a batch of 2 samples. Pass one int for all samples, or one per sample."),
    (lambda m: explain.integrated_gradients(m, X, target=1.5), TypeError,
     "integrated_gradients: target must be an int class index (or one per sample); received 1.5."),
    (lambda m: explain.occlusion(m, X, window=9, progress=False), ValueError,
     "occlusion: the window (3, 9, 9) is larger than a sample of shape (3, 8, 8) (axis 1: 9 > 8). Pass a window "
     "of at most the sample's size, e.g. window=(3, 8, 8)."),
    (lambda m: explain.occlusion(m, X, window=2, stride=3, progress=False), ValueError,
     "occlusion: the stride (3, 3, 3) is larger than the window (3, 2, 2) along axis 1 (3 > 2), so some elements "
     "would never be occluded. Pass a stride of at most the window size."),
    (lambda m: explain.occlusion(m, X, window=(2, 2, 2, 2), progress=False), ValueError,
     "occlusion: window must be a positive int or a tuple of 3 positive ints (one per axis of a sample of shape "
     "(3, 8, 8)); received (2, 2, 2, 2)."),
    (lambda m: explain.occlusion(m, X, output="logits", progress=False), ValueError,
     "occlusion: invalid output='logits'. Did you mean 'logit'? Expected one of: 'probability', 'logit'."),
    (lambda m: explain.occlusion(m, X, baseline=torch.zeros(5), progress=False), ValueError,
     "occlusion: baseline of shape (5,) does not broadcast to the input's shape (2, 3, 8, 8) (or one sample's, "
     "(3, 8, 8)). Pass a scalar or a tensor of the sample's shape."),
    (lambda m: explain.grad_cam(m, X, layer="conv"), ValueError,
     "grad_cam: no layer named 'conv' in the model. Did you mean 'conv2d'? Convolutional layers: conv2d."),
    (lambda m: explain.grad_cam(m, X, layer="dense"), ValueError,
     "grad_cam: layer 'dense' is a Dense, not a convolutional layer. Pass one of the convolutional layers (conv2d), "
     "a block that contains them, or None for the last one."),
    (lambda m: explain.grad_cam(m, X, layer=nn.Conv2d(3, 3, 1)), ValueError,
     "grad_cam: the layer Conv2d given is not part of this model. Pass one of its convolutional layers: conv2d."),
    (lambda m: explain.cam(m, X), ValueError,
     "cam: the model must end in convolutions, global average pooling and a Dense classifier (torch: "
     "AdaptiveAvgPool2d(1), Flatten, Linear); this one ends in Conv2D, Flatten, Dropout, Dense. Use "
     "lamina.explain.grad_cam, which works on any convolutional model."),
    (lambda m: explain.saliency(m, X.long()), TypeError,
     "saliency: x holds integers (torch.int64), e.g. token ids, which have no gradient. Use "
     "lamina.explain.occlusion(model, x, window=..., baseline=PADDING_ID), which replaces tokens instead."),
    (lambda m: explain.integrated_gradients(m, X, method="riemann"), ValueError,
     "integrated_gradients: invalid method='riemann'. Did you mean 'riemann_left'? Expected one of: "
     "'gausslegendre', 'riemann_trapezoid', 'riemann_left', 'riemann_right', 'riemann_middle'."),
])
def test_bad_input_errors_name_the_fix_and_leave_the_model_unchanged(call, error, message):
    model = small_model()
    model.train()
    model.layers[0].bias.requires_grad_(False)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call(model)
    assert_unchanged(model, frozen={"conv2d.bias"})


def test_grad_cam_needs_a_convolutional_model():
    with pytest.raises(ValueError, match=re.escape(
            "grad_cam: the model has no convolutional layer (Conv1D/2D/3D or torch nn.ConvNd). Use "
            "lamina.explain.occlusion or saliency, which work on any model.")):
        explain.grad_cam(nn.Sequential(nn.Flatten(), nn.Linear(192, 2)), X)


class DetachedModel(nn.Module):
    """A model whose forward pass runs without gradients."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3)
        self.dense = nn.Linear(2, 2)

    def forward(self, x):
        with torch.no_grad():
            return self.dense(self.conv(x).mean(dim=(2, 3)))


@pytest.mark.parametrize("method", ["saliency", "integrated_gradients", "grad_cam"])
def test_a_model_without_gradients_is_sent_to_occlusion(method):
    model = DetachedModel()
    message = (f"{method}: the model's output has no gradient with respect to its input (it may run under "
               f"torch.no_grad(), detach its output, or end in argmax or rounding). Gradient methods need a "
               f"differentiable model; use lamina.explain.occlusion, which needs only forward passes.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        getattr(explain, method)(model, X)
    assert_unchanged(model)  # the error came from inside: grad_cam's hook was on then
    assert explain.occlusion(model, X, window=4, stride=4, progress=False).shape == X.shape


def assert_unchanged(model, frozen=()):
    """Every module still in train mode, requires_grad as set, no hooks, no .grad on the parameters."""
    assert all(module.training for module in model.modules())
    for name, parameter in model.named_parameters():
        assert parameter.requires_grad == (name not in frozen), name
        assert parameter.grad is None, name
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks and not module._backward_hooks


def test_every_method_restores_modes_flags_and_hooks():
    model = Sequential([Input((3, 8, 8)), Conv2D(4, 3, activation="relu"), Dropout(0.5), GlobalAveragePooling2D(),
                        Dense(3)])
    model.train()
    model.layers[-1].bias.requires_grad_(False)
    model.layers[1].training = False  # a submodule in another mode than its parent stays so
    reference = model.eval()(X).detach()
    model.train()
    model.layers[1].training = False
    for method in (explain.occlusion, explain.grad_cam, explain.cam, explain.saliency,
                   explain.integrated_gradients):
        kwargs = {"progress": False} if method is explain.occlusion else {}
        method(model, X, **kwargs)
        assert [module.training for module in model.modules()] == [True, True, False, True, True]
        assert [p.requires_grad for p in model.parameters()] == [True, True, True, False]
        assert all(p.grad is None for p in model.parameters())
        assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    torch.testing.assert_close(model.eval()(X), reference)  # explaining ran in eval mode: dropout was off
