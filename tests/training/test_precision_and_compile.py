import numpy as np
import pytest
import torch

from lamina import config
from lamina.layers import Dense, Input
from lamina.models import Sequential

RNG = np.random.default_rng(6)
X = RNG.standard_normal((64, 4)).astype("float32")
Y = (X[:, :2].sum(axis=1, keepdims=True) > 0).astype("float32")


def model():
    net = Sequential([Input((4,)), Dense(16, activation="relu"), Dense(1, activation="sigmoid")])
    return net


def test_bf16_mixed_precision_trains_with_float32_weights():
    net = model()
    net.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], precision="bf16-mixed")
    seen_dtypes = []
    net.layers[0].register_forward_hook(lambda module, inputs, output: seen_dtypes.append(output.dtype))
    history = net.fit(X, Y, epochs=20, batch_size=16, verbose=0)
    assert seen_dtypes[0] == torch.bfloat16
    assert all(w.dtype == torch.float32 for w in net.parameters())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert net.predict(X).dtype == np.float32


def test_precision_setting_applies_to_models_compiled_afterwards_and_is_validated():
    config.set_precision("bf16-mixed")
    net = model()
    net.compile(optimizer="sgd", loss="mse")
    assert net._autocast().fast_dtype == torch.bfloat16
    with pytest.raises(ValueError, match="Invalid precision='bf16-mixd'. Did you mean 'bf16-mixed'?"):
        config.set_precision("bf16-mixd")
    config.set_precision("bf16")
    assert config.precision() == "bf16-mixed"
    with pytest.raises(ValueError, match="precision='16-mixed' needs a CUDA device"):
        model().compile(optimizer="sgd", loss="mse", precision="16-mixed")


# Dynamo itself reads .grad of non-leaf tensors while tracing (a torch-internal warning, not lamina's).
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning")
def test_jit_compile_runs_the_model_through_torch_compile():
    torch._dynamo.reset()
    net = model()
    net.compile(optimizer="sgd", loss="mse", jit_compile=True)
    history = net.fit(X, Y, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert "_orig_mod" not in "".join(net.state_dict())  # the compiled wrapper is not a submodule
