import numpy as np
import pytest

from lamina import callbacks
from lamina.layers import Dense, Input
from lamina.models import Sequential

X = np.random.default_rng(7).standard_normal((32, 3)).astype("float32")
Y = (X[:, :1] > 0).astype("float32")


def model():
    net = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    net.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return net


@pytest.mark.parametrize("verbose", [1, 2])
def test_progress_prints_one_line_per_epoch_when_not_a_terminal(capsys, verbose):
    model().fit(X, Y, batch_size=8, epochs=2, verbose=verbose, validation_split=0.25)
    output = capsys.readouterr().out
    assert "\r" not in output
    lines = output.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("3/3 - ") and "ms/step - loss: " in lines[1] and "val_accuracy: " in lines[1]


def test_silent_fit_evaluate_predict_print_nothing(capsys):
    net = model()
    net.fit(X, Y, epochs=1, verbose=0)
    net.evaluate(X, Y, verbose=0)
    net.predict(X)
    assert capsys.readouterr().out == ""


def test_learning_rate_scheduler_and_terminate_on_nan():
    net = model()
    rates = []
    net.fit(X, Y, epochs=3, verbose=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch, rate: 0.1 / (epoch + 1)),
        callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: rates.append(logs["learning_rate"]))])
    assert rates == pytest.approx([0.1, 0.05, 0.1 / 3])
    broken = np.full_like(X, np.nan)
    with pytest.warns(RuntimeWarning):  # fit warns about non-finite inputs before it starts
        history = net.fit(broken, Y, batch_size=8, epochs=5, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1
