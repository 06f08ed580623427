"""Test set-up: Keras 3 (the numerical oracle) runs on its torch backend; lamina's global state is reset."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402
import torch  # noqa: E402

from lamina import config, naming  # noqa: E402
from lamina import legacy  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_lamina_state():
    """Each test starts with lamina's defaults, fresh layer names and a fixed seed."""
    saved = dict(config._settings)
    naming.reset()
    legacy._warned.clear()
    torch.manual_seed(0)
    yield
    config._settings.update(saved)
