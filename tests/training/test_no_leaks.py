"""fit, evaluate and predict called again and again hold on to nothing: memory, tensors and hooks stay flat.

The model is small enough to keep the test fast, and its batches large enough (64 x 256 floats, plus activations)
that keeping one tensor per step would show: 50 iterations run 650 training steps and 800 evaluation and
prediction batches.
"""
import gc
import os
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

from lamina import callbacks
from lamina.layers import Dense, Input
from lamina.models import Sequential
from lamina.utils import set_random_seed

SAMPLES, FEATURES, CLASSES, BATCH = 448, 256, 10, 64  # 7 batches; validation_split=0.25 keeps 336 + 112
RNG = np.random.default_rng(11)
X = RNG.standard_normal((SAMPLES, FEATURES)).astype("float32")
Y = np.eye(CLASSES, dtype="float32")[RNG.integers(0, CLASSES, SAMPLES)]
LOADER = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
                                     batch_size=BATCH)
# Leading sizes of the data and batch tensors the loop creates (batches of 64, last batches of 16 and 48, the
# split's 336 and 112 samples, the 448 samples): none may outlive it. No weight has one of these sizes.
TRANSIENT_ROWS = {BATCH, 16, 48, 336, 112, SAMPLES}

MODULE_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
                "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                "_load_state_dict_post_hooks")
GLOBAL_HOOKS = ("_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
                "_global_backward_pre_hooks", "_global_module_registration_hooks",
                "_global_parameter_registration_hooks", "_global_buffer_registration_hooks")


@pytest.fixture(autouse=True)
def one_thread():
    """These ops are too small to gain from intra-op threads, and on a busy 2-core machine the thread pool can
    stall for seconds; one thread keeps the test fast and steady."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_model():
    set_random_seed(0)
    model = Sequential([Input((FEATURES,)), Dense(128, activation="relu"), Dense(32, activation="relu"),
                        Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy", "mae"])
    return model


def one_iteration(model):
    model.fit(X, Y, batch_size=BATCH, epochs=1, validation_split=0.25, verbose=0,
              callbacks=[callbacks.EarlyStopping(monitor="val_loss", patience=5), callbacks.TerminateOnNaN()])
    model.fit(LOADER, epochs=1, verbose=0)
    model.evaluate(X, Y, batch_size=BATCH, verbose=0)
    assert model.predict(X, batch_size=BATCH).shape == (SAMPLES, CLASSES)


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def live_tensors():
    """Every tensor the garbage collector sees (type() rather than isinstance: some module objects warn on
    __class__ access)."""
    gc.collect()
    from torch._subclasses.fake_tensor import FakeTensor  # torch.export's, kept by its caches: not this loop's

    return [obj for obj in gc.get_objects() if issubclass(type(obj), torch.Tensor) and not issubclass(type(obj),
                                                                                                       FakeTensor)]


def hook_counts(model):
    from torch.nn.modules import module as torch_module

    counts = {name: sum(len(getattr(module, name, None) or {}) for module in model.modules())
              for name in MODULE_HOOKS}
    counts.update({name: len(getattr(torch_module, name, {})) for name in GLOBAL_HOOKS})
    counts["parameter hooks"] = sum(len(parameter._backward_hooks or {}) + len(
        getattr(parameter, "_post_accumulate_grad_hooks", None) or {}) for parameter in model.parameters())
    return counts


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="resident memory is read from Linux's /proc")
def test_fit_evaluate_predict_in_a_loop_keep_memory_tensors_and_hooks_flat():
    model = small_model()
    hooks_before = hook_counts(model)
    for _ in range(5):  # warm-up: optimizer state, metric states, allocator caches
        one_iteration(model)
    tensors_before = live_tensors()
    count_before = len(tensors_before)
    existing = {id(tensor): weakref.ref(tensor) for tensor in tensors_before}  # older than the loop: not its own
    del tensors_before
    rss_before = resident_bytes()

    for _ in range(50):
        one_iteration(model)

    rss_after = resident_bytes()
    tensors_after = live_tensors()
    assert len(tensors_after) <= count_before + 2, (count_before, len(tensors_after))
    data = [id(tensor) for tensor in LOADER.dataset.tensors]
    leftovers = [tuple(t.shape) for t in tensors_after
                 if t.ndim and t.shape[0] in TRANSIENT_ROWS and id(t) not in data
                 and (id(t) not in existing or existing[id(t)]() is not t)]
    del tensors_after
    assert leftovers == [], f"tensors of batches outlived fit/evaluate/predict: {leftovers}"
    assert (rss_after - rss_before) / rss_before < 0.05, (rss_before, rss_after)
    assert hook_counts(model) == hooks_before
    assert model.optimizer.iterations == 55 * (6 + 7)  # it did train: 6 + 7 steps per iteration


def test_optimizer_and_metrics_hold_no_batch_tensors_after_fit():
    model = small_model()
    one_iteration(model)
    owners = {"model": vars(model), "optimizer": vars(model.optimizer),
              **{f"metric {metric.name}": vars(metric) for metric in model.metrics}}
    for owner, attributes in owners.items():
        for name, value in attributes.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            for item in values:
                if isinstance(item, torch.Tensor):
                    assert not (item.ndim and item.shape[0] in TRANSIENT_ROWS), (owner, name, tuple(item.shape))
    states = model.optimizer.torch_optimizer.state.values()
    assert all(tuple(value.shape) in {tuple(p.shape) for p in model.parameters()} or value.ndim == 0
               for state in states for value in state.values() if isinstance(value, torch.Tensor))


def python_allocation_growth(step, windows=4, calls_per_window=10):
    """(growth in the number of gc-tracked objects, smallest traced-memory growth per call among the windows).

    tracemalloc sees Python's allocations, not torch's tensor memory. torch's own small per-op caches fill up
    over the first hundred or so calls and then stop; a leak grows by the same amount in every window, so the
    smallest window's growth separates the two.
    """
    gc.collect()
    objects_before = len(gc.get_objects())
    tracemalloc.start()
    try:
        for _ in range(3):  # tracemalloc's own bookkeeping
            step()
        growths = []
        for _ in range(windows):
            gc.collect()
            traced_before = tracemalloc.get_traced_memory()[0]
            for _ in range(calls_per_window):
                step()
            gc.collect()
            growths.append((tracemalloc.get_traced_memory()[0] - traced_before) / calls_per_window)
    finally:
        tracemalloc.stop()
    gc.collect()
    return len(gc.get_objects()) - objects_before, min(growths)


def test_python_allocations_do_not_grow_per_iteration():
    model = small_model()
    for _ in range(5):
        one_iteration(model)
    new_objects, bytes_per_iteration = python_allocation_growth(lambda: one_iteration(model))
    # 43 iterations of 13 training steps: keeping one list, dict or object per step would add hundreds.
    assert new_objects <= 25, f"{new_objects} more gc-tracked objects after 43 iterations"
    assert bytes_per_iteration < 1024, f"{bytes_per_iteration:.0f} bytes per iteration"


@pytest.mark.parametrize("leak", ["batch tensors", "python objects"])
def test_the_leak_checks_would_catch_a_leak(leak):
    """Calibration: a callback keeping a little per step fails the same checks the tests above use."""
    kept = []

    class Hoarder(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if leak == "batch tensors":
                kept.append(torch.zeros(BATCH, 8))
            else:
                kept.append({"batch": batch, "values": [float(batch)] * 8})

    model = small_model()

    def step():
        model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[Hoarder()])

    step()
    if leak == "batch tensors":
        count_before = len(live_tensors())
        step()
        assert len(live_tensors()) > count_before + 2
        assert any(t.shape[0] in TRANSIENT_ROWS for t in live_tensors() if t.ndim)
    else:
        new_objects, bytes_per_iteration = python_allocation_growth(step, windows=2, calls_per_window=3)
        assert new_objects > 25 and bytes_per_iteration >= 1024, (new_objects, bytes_per_iteration)


def test_a_user_defined_layer_class_and_its_namespace_are_freed():
    namespace = {}
    exec("from lamina.layers import Layer\n"
         "class Doubler(Layer):\n"
         "    def call(self, inputs):\n"
         "        return 2 * inputs\n", namespace)
    layer = namespace["Doubler"]()
    assert layer(torch.ones(2, 3)).sum().item() == 12
    layer_class = weakref.ref(namespace["Doubler"])
    del namespace, layer
    gc.collect()
    assert layer_class() is None
