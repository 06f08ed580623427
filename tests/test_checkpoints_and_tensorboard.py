import numpy as np
import pytest
import torch

from lamina import callbacks
from lamina.layers import Dense, Input
from lamina.models import Sequential, load_model

RNG = np.random.default_rng(5)
X = RNG.standard_normal((32, 3)).astype("float32")
Y = (X[:, :1] > 0).astype("float32")


def model():
    net = Sequential([Input((3,)), Dense(4, activation="relu"), Dense(1, activation="sigmoid")])
    net.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return net


def test_checkpoint_every_epoch_with_formatted_names(tmp_path):
    net = model()
    path = tmp_path / "checkpoints" / "model.{epoch:02d}-{val_loss:.2f}.lamina"
    history = net.fit(X, Y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                      callbacks=[callbacks.ModelCheckpoint(path)])
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    expected = [f"model.{epoch + 1:02d}-{loss:.2f}.lamina" for epoch, loss in enumerate(history.history["val_loss"])]
    assert names == sorted(expected)
    restored = load_model(tmp_path / "checkpoints" / expected[-1])
    torch.testing.assert_close(restored(torch.as_tensor(X)), net(torch.as_tensor(X)))


def test_checkpoint_best_only_keeps_the_best_weights(tmp_path):
    net = model()
    path = tmp_path / "best.weights.safetensors"
    scripted = iter([0.5, 0.3, 0.4, 0.2, 0.6])
    saved = []

    class ScriptedLoss(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = next(scripted)

    class RecordWeights(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["val_loss"] in (0.2,):
                saved.append([w.copy() for w in self.model.get_weights()])

    checkpoint = callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True, save_weights_only=True)
    net.fit(X, Y, epochs=5, batch_size=8, validation_data=(X, Y), verbose=0,
            callbacks=[ScriptedLoss(), RecordWeights(), checkpoint])
    assert checkpoint.best == 0.2
    fresh = model()
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), saved[0]):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_with_an_unknown_field_names_the_available_ones(tmp_path):
    with pytest.raises(KeyError, match="uses the field 'val_acc', which is not in the epoch's logs"):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "{val_acc}.x"))])


def test_tensorboard_writes_keras_named_scalars(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    net = model()
    history = net.fit(X, Y, epochs=2, batch_size=8, validation_split=0.25, verbose=0,
                      callbacks=[callbacks.TensorBoard(tmp_path / "logs")])
    train = EventAccumulator(str(tmp_path / "logs" / "train")).Reload()
    validation = EventAccumulator(str(tmp_path / "logs" / "validation")).Reload()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(train.Tags()["scalars"])
    assert [event.value for event in validation.Scalars("epoch_loss")] == pytest.approx(history.history["val_loss"])
    assert [event.step for event in train.Scalars("epoch_loss")] == [0, 1]


def test_checkpoint_every_n_batches(tmp_path):
    net = model()
    net.fit(X, Y, epochs=2, batch_size=8, verbose=0,
            callbacks=[callbacks.ModelCheckpoint(tmp_path / "step-{epoch}-{loss:.3f}.lamina", save_freq=3)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("step-1-") and names[1].startswith("step-2-")  # batches 3 and 6
    with pytest.raises(ValueError, match="`save_freq` must be 'epoch' or a positive number of batches"):
        callbacks.ModelCheckpoint(tmp_path / "x", save_freq="batch")
