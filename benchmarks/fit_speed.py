"""Training speed of the seed's models: lamina vs a hand-written PyTorch loop vs Keras 3 (torch backend).

Each framework trains the same architecture with the same optimizer (SGD), loss, batch size and data, with
accuracy tracked on the device; the three alternate for several rounds in one run. Rates are each framework's best
round in samples per second; ratios are the median over rounds of the two frameworks' times in the same round.

    .venv/bin/python benchmarks/fit_speed.py            # all models
    .venv/bin/python benchmarks/fit_speed.py --models xor gru --rounds 5
"""
import argparse
import importlib
import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def xor_data(n):
    x = np.random.default_rng(0).integers(0, 2, size=(n, 2)).astype("float32")
    return x, (x[:, :1] != x[:, 1:]).astype("float32")


def image_data(n):
    rng = np.random.default_rng(0)
    return rng.random((n, 3, 100, 100), dtype=np.float32), np.eye(10, dtype="float32")[rng.integers(0, 10, n)]


def text_data(n):
    rng = np.random.default_rng(0)
    return rng.integers(1, 20000, size=(n, 100)).astype("int64"), rng.integers(0, 2, size=(n, 1)).astype("float32")


# name -> (data, samples, batch size, epochs, loss, lamina builder, torch builder, keras builder)
def lamina_xor(L):
    return L.models.Sequential([L.layers.Dense(3, input_dim=2, activation="relu"),
                                L.layers.Dense(1, activation="sigmoid")])


def torch_xor():
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())


def keras_xor(K):
    return K.Sequential([K.Input((2,)), K.layers.Dense(3, activation="relu"), K.layers.Dense(1, activation="sigmoid")])


def lamina_vgg(L):
    C, M, D, F = L.layers.Conv2D, L.layers.MaxPooling2D, L.layers.Dense, L.layers.Flatten
    return L.models.Sequential([
        C(64, 3, activation="relu", input_shape=(3, 100, 100)), C(64, 3, activation="relu"), M(2),
        C(128, 3, activation="relu"), C(128, 3, activation="relu"), M(2), F(),
        D(1024, activation="relu"), D(1024, activation="relu"), D(10, activation="softmax")])


def torch_vgg():
    return nn.Sequential(
        nn.Conv2d(3, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Conv2d(128, 128, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(128 * 22 * 22, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10),
        nn.Softmax(dim=-1))


def keras_vgg(K):
    C, M, D = K.layers.Conv2D, K.layers.MaxPooling2D, K.layers.Dense
    f = "channels_first"
    return K.Sequential([
        K.Input((3, 100, 100)), C(64, 3, activation="relu", data_format=f), C(64, 3, activation="relu", data_format=f),
        M(2, data_format=f), C(128, 3, activation="relu", data_format=f), C(128, 3, activation="relu", data_format=f),
        M(2, data_format=f), K.layers.Flatten(), D(1024, activation="relu"), D(1024, activation="relu"),
        D(10, activation="softmax")])


def lamina_rnn(cell):
    def build(L):
        return L.models.Sequential([L.layers.Embedding(20000, 128, input_shape=(100,)), getattr(L.layers, cell)(128),
                                    L.layers.Dense(1, activation="sigmoid")])
    return build


class TorchRNN(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.embedding = nn.Embedding(20000, 128)
        self.rnn = getattr(nn, cell)(128, 128, batch_first=True)
        self.dense = nn.Linear(128, 1)

    def forward(self, x):
        _, state = self.rnn(self.embedding(x))
        last = state[0] if isinstance(state, tuple) else state
        return torch.sigmoid(self.dense(last[-1]))


def keras_rnn(cell):
    def build(K):
        return K.Sequential([K.Input((100,), dtype="int32"), K.layers.Embedding(20000, 128),
                             getattr(K.layers, cell)(128), K.layers.Dense(1, activation="sigmoid")])
    return build


MODELS = {
    "xor": (xor_data, 2048, 8, "mse", lamina_xor, torch_xor, keras_xor),
    "vgg": (image_data, 64, 8, "categorical_crossentropy", lamina_vgg, torch_vgg, keras_vgg),
    "gru": (text_data, 1024, 32, "binary_crossentropy", lamina_rnn("GRU"), lambda: TorchRNN("GRU"), keras_rnn("GRU")),
    "lstm": (text_data, 1024, 32, "binary_crossentropy", lamina_rnn("LSTM"), lambda: TorchRNN("LSTM"),
             keras_rnn("LSTM")),
}


def torch_loss(name):
    return {"mse": nn.functional.mse_loss, "binary_crossentropy": nn.functional.binary_cross_entropy,
            "categorical_crossentropy": lambda p, t: -(t * torch.log(p.clamp_min(1e-7))).sum(-1).mean()}[name]


def run_torch(build, x, y, batch_size, loss_name):
    model = build()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch_loss(loss_name)
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    total_loss = torch.zeros((), dtype=torch.float64)
    correct = torch.zeros((), dtype=torch.float64)
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for begin in range(0, len(x), batch_size):
        index = order[begin:begin + batch_size]
        xb, yb = x[index], y[index]
        optimizer.zero_grad()
        prediction = model(xb)
        loss = loss_fn(prediction, yb)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach() * len(xb)
        if yb.shape[-1] == 1:
            correct += ((prediction.detach() > 0.5) == (yb > 0.5)).sum()
        else:
            correct += (prediction.detach().argmax(-1) == yb.argmax(-1)).sum()
    float(total_loss)
    return time.perf_counter() - start


def run_keras_api(module_name):
    """A runner for a library with Keras's API (lamina or Keras 3): same optimizer, loss, metric and fit call."""
    def run(build, x, y, batch_size, loss_name):
        module = importlib.import_module(module_name)
        model = build(module)
        model.compile(optimizer=module.optimizers.SGD(learning_rate=0.01), loss=loss_name, metrics=["accuracy"])
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        return time.perf_counter() - start

    return run


run_lamina, run_keras = run_keras_api("lamina"), run_keras_api("keras")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print(f"{'model':6} {'lamina':>12} {'pytorch':>12} {'keras':>12} {'lamina/pytorch':>15} {'lamina/keras':>13}")
    for name in args.models:
        make_data, samples, batch_size, loss_name, build_lamina, build_torch, build_keras = MODELS[name]
        x, y = make_data(samples)
        times = {"lamina": [], "pytorch": [], "keras": []}
        for round_ in range(args.rounds + 1):  # the first round warms up and is dropped
            for framework, run, build in (("lamina", run_lamina, build_lamina), ("pytorch", run_torch, build_torch),
                                          ("keras", run_keras, build_keras)):
                torch.manual_seed(0)
                elapsed = run(build, x, y, batch_size, loss_name)
                if round_ > 0:
                    times[framework].append(elapsed)
        rate = {key: samples / min(values) for key, values in times.items()}
        print(f"{name:6} {rate['lamina']:10.0f}/s {rate['pytorch']:10.0f}/s {rate['keras']:10.0f}/s "
              f"{paired_ratio(times, 'pytorch'):14.2f}x {paired_ratio(times, 'keras'):12.2f}x", flush=True)


def paired_ratio(times, peer):
    """The median over rounds of peer's time / lamina's time in the same round: the runs of one round are
    seconds apart, so a slow spell of a shared machine slows both sides of a pair (rates use each side's best)."""
    return float(np.median([other / own for own, other in zip(times["lamina"], times[peer])]))


if __name__ == "__main__":
    main()
