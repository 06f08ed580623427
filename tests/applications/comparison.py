"""Shared checks of the application tests: a lamina model against torchvision's with the same state dict."""
import numpy as np
import torch

from lamina.models import load_model


def relative_error(ours, theirs):
    """max |ours - theirs| / max |theirs|: ours a lamina output (numpy or tensor), theirs torchvision's."""
    ours = torch.as_tensor(np.asarray(ours))
    return float((ours - theirs).abs().max() / theirs.abs().max())


def save_state_dict(module, path, keep=lambda key: True):
    """Saves `module`'s state dict (the keys `keep` accepts) as torchvision's .pth files are saved; returns path."""
    torch.save({key: value for key, value in module.state_dict().items() if keep(key)}, path)
    return path


def random_images(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def assert_round_trip(model, x, path):
    """The model saved to `path` and loaded back predicts what it did, bit for bit."""
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    return restored


def with_random_statistics(module, seed):
    """`module` in eval mode with random BatchNorm scales, shifts and moving statistics (torchvision initialises
    them to 1, 0, 0, 1, which would hide a batch norm loaded from the wrong module)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for norm in (m for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d)):
            for tensor, low, high in ((norm.weight, 0.5, 1.5), (norm.bias, -0.2, 0.2), (norm.running_mean, -0.2, 0.2),
                                      (norm.running_var, 0.5, 1.5)):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)
    return module.eval()


def parameter_count(module):
    """torchvision's parameter count of `module` (its moving statistics are buffers, not counted)."""
    return sum(parameter.numel() for parameter in module.parameters())


def trainable_count(model):
    """The lamina model's trainable weights: torchvision's parameter count (count_params() adds BN's statistics)."""
    return sum(weight.numel() for weight in model.trainable_weights)


def lamina_counts(model):
    """(trainable weights, count_params()) of a lamina model: what torchvision_counts gives for torchvision's."""
    return trainable_count(model), model.count_params()


def torchvision_counts(module):
    """(trainable, count_params()) as lamina counts `module`: its parameters; those and BN's moving statistics."""
    parameters = parameter_count(module)
    statistics = sum(b.numel() for name, b in module.named_buffers() if name.endswith(("running_mean", "running_var")))
    return parameters, parameters + statistics
