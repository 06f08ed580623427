import numpy as np
import pytest
import torch

from lamina import callbacks, optimizers
from lamina.layers import Dense, Input, merge
from lamina.legacy import LegacyArgumentWarning
from lamina.models import Model, Sequential
from lamina.utils import Sequence, set_random_seed
from oracle import keras

RNG = np.random.default_rng(3)
X = RNG.standard_normal((40, 3)).astype("float32")
Y = (X.sum(axis=1, keepdims=True) > 0).astype("float32")


def small_model(seed=0):
    set_random_seed(seed)
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def keras_copy(model, optimizer="sgd"):
    k = keras()
    k_model = k.Sequential([k.Input((3,)), k.layers.Dense(4, activation="tanh"),
                            k.layers.Dense(1, activation="sigmoid")])
    k_model.set_weights(model.get_weights())
    k_model.compile(optimizer=k.optimizers.SGD(0.1) if optimizer == "sgd" else optimizer,
                    loss="binary_crossentropy", metrics=["accuracy"])
    return k_model


def test_fit_matches_keras_fit_step_for_step():
    model = small_model()
    k_model = keras_copy(model)
    ours = model.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    theirs = k_model.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    for a, b in zip(model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours["accuracy"], theirs["accuracy"], rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(X, Y, verbose=0), k_model.evaluate(X, Y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(model.predict(X), k_model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_validation_split_takes_the_last_fraction_like_keras():
    model = small_model()
    k_model = keras_copy(model)
    ours = model.fit(X, Y, batch_size=8, epochs=2, validation_split=0.25, verbose=0).history
    theirs = k_model.fit(X, Y, batch_size=8, epochs=2, validation_split=0.25, shuffle=False, verbose=0).history
    # shuffling changes the training order but not which samples are held out: compare the first val_loss
    fresh = small_model()
    assert fresh.evaluate(X[30:], Y[30:], verbose=0)[0] == pytest.approx(
        keras_copy(fresh).evaluate(X[30:], Y[30:], verbose=0)[0], rel=1e-5)
    assert sorted(ours) == sorted(theirs) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_sample_and_class_weights_match_keras():
    weights = RNG.uniform(0.5, 2.0, len(X)).astype("float32")
    model = small_model()
    k_model = keras_copy(model)
    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, sample_weight=weights, verbose=0)
    k_model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, sample_weight=weights, verbose=0)
    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, class_weight={0: 1.0, 1: 3.0}, verbose=0)
    k_model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, class_weight={0: 1.0, 1: 3.0}, verbose=0)
    for a, b in zip(model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_history_uses_the_metric_name_given_and_keras1_arguments():
    model = small_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
    with pytest.warns(LegacyArgumentWarning, match="`nb_epoch` is the Keras 1 name"):
        history = model.fit(X, Y, nb_epoch=2, batch_size=8, validation_data=(X, Y), verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert len(history.history["loss"]) == 2 and history.epoch == [0, 1]


def test_initial_epoch_and_steps_per_epoch():
    model = small_model()
    seen = []
    counter = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch),
                                       on_train_batch_end=lambda batch, logs: seen.append(("batch", batch)))
    model.fit(X, Y, batch_size=8, epochs=3, initial_epoch=1, verbose=0, callbacks=[counter])
    assert seen == [1] + [("batch", b) for b in range(5)] + [2] + [("batch", b) for b in range(5)]

    def endless():
        while True:
            yield X[:8], Y[:8]

    seen.clear()
    history = model.fit(endless(), steps_per_epoch=3, epochs=2, verbose=0, callbacks=[counter])
    assert seen.count(("batch", 2)) == 2 and ("batch", 3) not in seen
    assert len(history.history["loss"]) == 2


def test_generators_sequences_and_dataloaders_give_the_same_training_as_arrays():
    class Batches(Sequence):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return X[index * 8:(index + 1) * 8], Y[index * 8:(index + 1) * 8]

    dataset = torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(Y))
    sources = {
        "arrays": lambda m: m.fit(X, Y, batch_size=8, shuffle=False, verbose=0),
        "sequence": lambda m: m.fit(Batches(), shuffle=False, verbose=0),
        "generator": lambda m: m.fit(((X[i:i + 8], Y[i:i + 8]) for i in range(0, 40, 8)), verbose=0),
        "dataloader": lambda m: m.fit(torch.utils.data.DataLoader(dataset, batch_size=8), verbose=0),
    }
    results = {}
    for name, run in sources.items():
        model = small_model()
        run(model)
        results[name] = model.get_weights()
    for name in ("sequence", "generator", "dataloader"):
        for a, b in zip(results[name], results["arrays"]):
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=name)


def test_fit_generator_counts_samples_as_keras1():
    model = small_model()

    def generator():
        while True:
            for i in range(0, 40, 8):
                yield X[i:i + 8], Y[i:i + 8]

    steps = []
    model.fit_generator(generator(), samples_per_epoch=24, nb_epoch=2, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))])
    assert steps == [0, 1, 2, 0, 1, 2]
    assert np.isfinite(model.evaluate_generator(generator(), val_samples=16)).all()
    assert model.predict_generator(((X[i:i + 8],) for i in range(0, 16, 8)), val_samples=16).shape == (16, 1)


def test_callback_hooks_are_called_in_keras_order():
    events = []

    class Recorder(callbacks.Callback):
        pass

    for hook in [name for name in dir(callbacks.Callback) if name.startswith("on_")]:
        setattr(Recorder, hook, lambda self, *args, hook=hook: events.append(hook))

    model = small_model()
    model.fit(X[:16], Y[:16], batch_size=8, epochs=1, validation_data=(X[:8], Y[:8]), verbose=0,
              callbacks=[Recorder()])
    assert events == [
        "on_train_begin", "on_epoch_begin",
        "on_train_batch_begin", "on_train_batch_end", "on_train_batch_begin", "on_train_batch_end",
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_epoch_end", "on_train_end",
    ]


def test_seed_sequential_training_snippet_runs_unchanged():
    X_train, y_train = X, Y
    model = Sequential()
    with pytest.warns(LegacyArgumentWarning):
        model.add(Dense(output_dim=3, input_dim=3, activation="relu"))
        model.add(Dense(output_dim=1, activation="sigmoid"))
    model.compile(loss="mse", optimizer="sgd", metrics=["accuracy"])
    with pytest.warns(LegacyArgumentWarning):
        model.fit(X_train, y_train, nb_epoch=2, batch_size=8, verbose=0)
        model.fit(X_train, y_train, validation_split=0.1, nb_epoch=2, batch_size=8, verbose=0)
    loss, accuracy = model.evaluate(X_train, y_train, verbose=0)
    assert 0 <= accuracy <= 1 and loss > 0
    data_generator = [(X[i:i + 8], Y[i:i + 8]) for i in range(0, 40, 8)]
    for _ in range(2):
        for X_dat, y_dat in data_generator:
            model.train_on_batch(X_dat, y_dat)
    for X_dat, y_dat in data_generator:
        assert len(model.test_on_batch(X_dat, y_dat)) == 2
    assert model.predict(X[0]).shape == (1,) and model.predict(X[:5]).shape == (5, 1)


def test_seed_functional_two_branch_training_snippet_runs_unchanged():
    model_in = Input(shape=(3,))
    hidden1_a = Dense(3, activation="sigmoid")(model_in)
    hidden1_b = Dense(3, activation="sigmoid")(hidden1_a)
    hidden2_a = Dense(3, activation="sigmoid")(model_in)
    hidden2_b = Dense(3, activation="sigmoid")(hidden2_a)
    combined = merge([hidden1_b, hidden2_b], mode="concat")
    out = Dense(1, activation="sigmoid")(combined)
    with pytest.warns(LegacyArgumentWarning):
        model = Model(input=model_in, output=out)
    model.compile(loss="mse", optimizer="sgd", metrics=["accuracy"])
    history = model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["accuracy"]) == 2


def test_multi_output_losses_and_metrics_per_output():
    inputs = Input((3,))
    hidden = Dense(4, activation="relu")(inputs)
    first, second = Dense(1, name="first")(hidden), Dense(2, activation="softmax", name="second")(hidden)
    model = Model(inputs, [first, second])
    model.compile(optimizer="adam", loss={"first": "mse", "second": "sparse_categorical_crossentropy"},
                  loss_weights=[1.0, 0.5], metrics={"second": ["accuracy"]})
    history = model.fit(X, [Y, Y[:, 0].astype("int64")], batch_size=8, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "second_accuracy"]


def test_set_random_seed_makes_runs_bitwise_identical():
    def run():
        model = small_model(seed=7)
        model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_fit_needs_compile_and_matching_targets():
    model = Sequential([Input((3,)), Dense(1)])
    with pytest.raises(ValueError, match=r"You must call compile\(\) before fit\(\)"):
        model.fit(X, Y)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="`x` and `y` must have the same number of samples"):
        model.fit(X, Y[:10], verbose=0)
    with pytest.raises(ValueError, match="`validation_split` must be a number in"):
        model.fit(X, Y, validation_split=1.5, verbose=0)
