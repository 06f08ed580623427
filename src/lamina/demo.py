"""`lamina demo`: the seed's XOR network, then a small ConvNet on handwritten digits, on data that ships with
the install (scikit-learn's 8x8 digits), in about a minute on a laptop CPU."""
import sys
import time

import numpy as np

import lamina
from lamina import optimizers
from lamina.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from lamina.models import Sequential
from lamina.utils import set_random_seed


def _say(text=""):
    print(text, flush=True)


def xor(quick):
    _say("1/2  XOR: the 2-3-1 network from the slides, which no linear model can fit")
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    y = np.array([[0], [1], [1], [0]], dtype="float32")
    for attempt, seed in enumerate((2, 6, 8), start=1):
        set_random_seed(seed)
        model = Sequential()
        model.add(Dense(3, input_dim=2, activation="relu"))
        model.add(Dense(1, activation="sigmoid"))
        model.compile(loss="mse", optimizer=optimizers.Adam(learning_rate=0.05), metrics=["accuracy"])
        history = model.fit(np.repeat(x, 16, axis=0), np.repeat(y, 16, axis=0), epochs=40 if quick else 60,
                            batch_size=8, verbose=0)
        predictions = model.predict(x)
        if ((predictions > 0.5) == (y > 0.5)).all():
            break
        _say(f"     (attempt {attempt}: a ReLU unit died, retrying from another random start)")
    _say(f"     trained {len(history.epoch)} epochs, final loss {history.history['loss'][-1]:.4f}")
    _say("     x1  x2  target  prediction")
    for inputs, target, prediction in zip(x, y, predictions):
        mark = "ok" if (prediction[0] > 0.5) == (target[0] > 0.5) else "WRONG"
        _say(f"     {int(inputs[0])}   {int(inputs[1])}   {int(target[0])}       {prediction[0]:.3f}  {mark}")
    solved = bool(((predictions > 0.5) == (y > 0.5)).all())
    _say(f"     XOR {'solved' if solved else 'NOT solved'}: {int(((predictions > 0.5) == (y > 0.5)).sum())}/4 "
         f"correct.\n")
    return solved


def digits(quick):
    from sklearn.datasets import load_digits

    _say("2/2  Handwritten digits: a small ConvNet on scikit-learn's 8x8 digit images (bundled, no download)")
    data = load_digits()
    images = (data.images / 16.0).astype("float32")[:, None]  # (n, 1, 8, 8): channels first
    labels = data.target.astype("int64")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    held_out = order[:360]
    train = order[360:]
    set_random_seed(0)
    model = Sequential([
        Conv2D(32, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
        MaxPooling2D(2),
        Conv2D(64, 3, padding="same", activation="relu"),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.3),
        Dense(10, activation="softmax"),
    ])
    model.summary(print_fn=lambda line: _say("     " + line))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images[train], labels[train], epochs=4 if quick else 12, batch_size=32, validation_split=0.1,
              verbose=1 if sys.stdout.isatty() else 2)
    loss, accuracy = model.evaluate(images[held_out], labels[held_out], verbose=0)
    correct = int(round(accuracy * len(held_out)))
    _say(f"\n     Held-out accuracy: {accuracy:.3f} ({correct}/{len(held_out)} images the model never saw)")
    return accuracy


def run(quick=False):
    start = time.perf_counter()
    _say(f"lamina {lamina.__version__} demo, training on {lamina.config.device()}\n")
    solved = xor(quick)
    accuracy = digits(quick)
    _say(f"\nDone in {time.perf_counter() - start:.0f} s: XOR {'solved' if solved else 'not solved'}, digits "
         f"held-out accuracy {accuracy:.1%}.")
    _say("Next: the README shows the same API on your own data (Sequential, functional models, fit, predict).")
    return 0 if solved and accuracy >= 0.95 else 1
