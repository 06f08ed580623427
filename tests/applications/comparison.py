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
