"""Saving and loading: round trips for every public layer and the seed models, and safety of loading."""
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamina
from lamina import layers as L
from lamina.models import Model, Sequential, load_model, model_from_json
from lamina.saving import ModelFileError
from lamina.files import atomic_write_archive
from lamina.utils import set_random_seed
from seed_models import seed_models

RNG = np.random.default_rng(8)

# (layer factory, input shape without the batch axis, integer inputs?)
LAYERS = [
    (lambda: L.Dense(3, activation="relu", kernel_regularizer="l2"), (4,), False),
    (lambda: L.Activation("tanh"), (4,), False),
    (lambda: L.Dropout(0.3), (4,), False),
    (lambda: L.SpatialDropout1D(0.3), (5, 4), False),
    (lambda: L.SpatialDropout2D(0.3), (2, 5, 5), False),
    (lambda: L.GaussianNoise(0.1), (4,), False),
    (lambda: L.GaussianDropout(0.1), (4,), False),
    (lambda: L.Flatten(), (2, 3), False),
    (lambda: L.Reshape((3, 2)), (6,), False),
    (lambda: L.Permute((2, 1)), (2, 3), False),
    (lambda: L.RepeatVector(3), (4,), False),
    (lambda: L.Masking(0.0), (5, 4), False),
    (lambda: L.Embedding(10, 4, mask_zero=True), (5,), True),
    (lambda: L.Conv1D(3, 3, padding="causal"), (6, 2), False),
    (lambda: L.Conv2D(3, 3, strides=2, padding="same"), (2, 7, 7), False),
    (lambda: L.Convolution2D(3, 3, 3), (2, 7, 7), False),
    (lambda: L.Conv3D(2, 2), (1, 4, 4, 4), False),
    (lambda: L.Conv2DTranspose(2, 3, strides=2), (2, 4, 4), False),
    (lambda: L.SeparableConv2D(3, 3, depth_multiplier=2), (2, 6, 6), False),
    (lambda: L.DepthwiseConv2D(3), (2, 6, 6), False),
    (lambda: L.MaxPooling1D(2), (6, 2), False),
    (lambda: L.MaxPooling2D(2, padding="same"), (2, 5, 5), False),
    (lambda: L.AveragePooling2D(2), (2, 6, 6), False),
    (lambda: L.MaxPooling3D(2), (1, 4, 4, 4), False),
    (lambda: L.AveragePooling1D(2), (6, 2), False),
    (lambda: L.AveragePooling3D(2), (1, 4, 4, 4), False),
    (lambda: L.GlobalMaxPooling1D(), (6, 2), False),
    (lambda: L.GlobalAveragePooling1D(), (6, 2), False),
    (lambda: L.GlobalMaxPooling2D(), (2, 5, 5), False),
    (lambda: L.GlobalAveragePooling2D(), (2, 5, 5), False),
    (lambda: L.UpSampling1D(2), (3, 2), False),
    (lambda: L.UpSampling2D(2), (2, 3, 3), False),
    (lambda: L.ZeroPadding1D(1), (3, 2), False),
    (lambda: L.ZeroPadding2D(((1, 0), (0, 2))), (2, 3, 3), False),
    (lambda: L.Cropping1D(1), (5, 2), False),
    (lambda: L.Cropping2D(1), (2, 5, 5), False),
    (lambda: L.BatchNormalization(), (2, 4, 4), False),
    (lambda: L.LayerNormalization(), (4,), False),
    (lambda: L.SimpleRNN(3), (5, 2), False),
    (lambda: L.GRU(3, return_sequences=True), (5, 2), False),
    (lambda: L.GRU(3, reset_after=False), (5, 2), False),
    (lambda: L.LSTM(3, dropout=0.2), (5, 2), False),
    (lambda: L.Bidirectional(L.LSTM(3)), (5, 2), False),
    (lambda: L.TimeDistributed(L.Dense(2)), (5, 2), False),
]


def sample(shape, integer, batch=4):
    if integer:
        return RNG.integers(0, 10, (batch,) + shape)
    return RNG.standard_normal((batch,) + shape).astype("float32")


def trained_copy_equal(model, restored, x):
    """The next training step from the same state gives the same weights."""
    y = np.zeros((len(x),) + tuple(model.output_shape[1:]), dtype="float32")
    for net in (model, restored):
        set_random_seed(1)
        net.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make_layer, shape, integer", LAYERS)
def test_every_layer_round_trips_through_save_and_load(tmp_path, make_layer, shape, integer):
    model = Sequential([L.Input(shape, dtype="int64" if integer else None), make_layer()])
    model.compile(optimizer="adam", loss="mse")
    x = sample(shape, integer)
    set_random_seed(0)
    model.train_on_batch(x, np.zeros((len(x),) + tuple(model.output_shape[1:]), dtype="float32"))
    path = tmp_path / "model.lamina"
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    if model.trainable_weights:
        trained_copy_equal(model, restored, x)


def test_merge_models_round_trip(tmp_path):
    a, b = L.Input((4,)), L.Input((4,))
    outputs = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
               L.Maximum()([a, b]), L.Minimum()([a, b]), L.Concatenate()([a, b]), L.Dot(1, normalize=True)([a, b]),
               L.merge([a, b], mode="cos")]
    model = Model([a, b], outputs)
    model.save(tmp_path / "merge.lamina")
    restored = load_model(tmp_path / "merge.lamina")
    x = [sample((4,), False), sample((4,), False)]
    for ours, theirs in zip(model.predict(x), restored.predict(x)):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", ["xor", "two_branch", "convnet", "gru", "lstm"])
def test_seed_models_continue_training_identically_after_load(tmp_path, name):
    model, shape, integer = seed_models()[name]
    model.compile(loss="binary_crossentropy" if name != "convnet" else "categorical_crossentropy",
                  optimizer=lamina.optimizers.Adam(learning_rate=0.01, clipnorm=1.0), metrics=["accuracy"])
    x = sample(shape, integer, batch=8)
    y = (np.eye(3, dtype="float32")[RNG.integers(0, 3, 8)] if name == "convnet"
         else RNG.integers(0, 2, (8, 1)).astype("float32"))
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / f"{name}.lamina")
    restored = load_model(tmp_path / f"{name}.lamina")
    assert restored.optimizer.iterations == model.optimizer.iterations == 4
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    for net in (model, restored):
        set_random_seed(2)
        net.fit(x, y, epochs=1, batch_size=4, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_saved_file_is_json_and_safetensors_without_code(tmp_path):
    model, _, _ = seed_models()["convnet"]
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.lamina")
    with zipfile.ZipFile(tmp_path / "m.lamina") as archive:
        assert sorted(archive.namelist()) == ["config.json", "model.safetensors", "optimizer.json",
                                              "optimizer.safetensors"]
        config = json.loads(archive.read("config.json"))
    assert config["format"] == "lamina-model" and config["lamina_version"] == lamina.__version__
    text = json.dumps(config)
    assert "lambda" not in text.lower() and "__reduce__" not in text and "import" not in text


def test_to_json_and_save_weights_round_trip(tmp_path):
    model, _, _ = seed_models()["two_branch"]
    clone = model_from_json(model.to_json())
    assert clone.get_config()["layers"] == model.get_config()["layers"]
    model.save_weights(tmp_path / "w.safetensors")
    clone.load_weights(tmp_path / "w.safetensors")
    x = sample((2,), False)
    np.testing.assert_array_equal(clone.predict(x), model.predict(x))


def test_weights_for_another_architecture_are_refused_or_partially_loaded(tmp_path):
    small = Sequential([L.Input((2,)), L.Dense(3, name="a"), L.Dense(1, name="b")])
    other = Sequential([L.Input((2,)), L.Dense(4, name="a"), L.Dense(1, name="b")])
    small.save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match=r"do not fit model .*different shapes for a.kernel .*skip_mismatch=True"):
        other.load_weights(tmp_path / "w.safetensors")
    before = other.get_layer("a").get_weights()
    other.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    np.testing.assert_array_equal(other.get_layer("a").get_weights()[0], before[0])
    np.testing.assert_array_equal(other.get_layer("b").get_weights()[1], small.get_layer("b").get_weights()[1])


@lamina.saving.register_serializable(package="Tests")
class Scale(L.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.scale * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def scaled_mse(y_true, y_pred):
    return ((y_true - y_pred) ** 2).mean(-1) * 3


def test_custom_layers_and_losses_load_registered_or_through_custom_objects(tmp_path):
    model = Sequential([L.Input((3,)), Scale(3.0), L.Dense(1)])
    model.compile(optimizer="sgd", loss=scaled_mse)
    model.save(tmp_path / "custom.lamina")
    with pytest.raises(ValueError, match="Unknown loss 'scaled_mse'"):
        load_model(tmp_path / "custom.lamina")
    restored = load_model(tmp_path / "custom.lamina", custom_objects={"scaled_mse": scaled_mse})
    assert isinstance(restored.layers[0], Scale) and restored.layers[0].factor == 3.0
    x = sample((3,), False)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


class Payload:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_malicious_files_are_refused_without_running_anything(tmp_path):
    marker = tmp_path / "pwned"
    pickle_payload = pickle.dumps(Payload(str(marker)))
    model = Sequential([L.Input((2,)), L.Dense(1)])
    model.save(tmp_path / "good.lamina")
    with zipfile.ZipFile(tmp_path / "good.lamina") as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.safetensors")
    lambda_config = json.loads(json.dumps(config))
    lambda_config["model"]["config"]["layers"].append(
        {"class_name": "Lambda", "config": {"name": "evil", "function": "system", "arguments": {"command": "touch"}}})
    import_config = json.loads(json.dumps(config))
    import_config["model"]["config"]["layers"][0]["class_name"] = "os.system"
    cases = {
        "lambda.lamina": ({"config.json": json.dumps(lambda_config), "model.safetensors": weights},
                          ValueError, "contains a Lambda layer.*safe_mode=False"),
        "import.lamina": ({"config.json": json.dumps(import_config), "model.safetensors": weights},
                          ValueError, "Unknown layer class 'os.system'"),
        "pickle.lamina": ({"config.json": json.dumps(config), "model.safetensors": pickle_payload},
                          ModelFileError, "is damaged: its model.safetensors cannot be read"),
    }
    for name, (members, error, message) in cases.items():
        atomic_write_archive(tmp_path / name, members)
        with pytest.raises(error, match=message):
            load_model(tmp_path / name)
    (tmp_path / "weights.pt").write_bytes(pickle_payload)
    with pytest.raises(ModelFileError, match="neither a safetensors file nor a PyTorch state_dict"):
        model.load_weights(tmp_path / "weights.pt")
    torch.save({"__class__": Payload(str(marker))}, tmp_path / "torch.pt")
    with pytest.raises(ModelFileError):
        model.load_weights(tmp_path / "torch.pt")
    assert not marker.exists()


def test_missing_truncated_and_foreign_files_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model file at"):
        load_model(tmp_path / "absent.lamina")
    model = Sequential([L.Input((2,)), L.Dense(1)])
    model.save(tmp_path / "good.lamina")
    data = (tmp_path / "good.lamina").read_bytes()
    (tmp_path / "truncated.lamina").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="not a lamina model file"):
        load_model(tmp_path / "truncated.lamina")
    atomic_write_archive(tmp_path / "foreign.zip", {"readme.txt": "hello"})
    with pytest.raises(ModelFileError, match="not a readable lamina model file"):
        load_model(tmp_path / "foreign.zip")
    (tmp_path / "text.lamina").write_text("not a model")
    with pytest.raises(ModelFileError, match="not a zip archive"):
        load_model(tmp_path / "text.lamina")


GOOD_FILE = {}


def good_file_bytes():
    if "data" not in GOOD_FILE:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            model = Sequential([L.Input((2,)), L.Dense(2), L.Dense(1)])
            model.compile(optimizer="adam", loss="mse")
            model.save(os.path.join(folder, "m.lamina"))
            with open(os.path.join(folder, "m.lamina"), "rb") as handle:
                GOOD_FILE["data"] = handle.read()
    return GOOD_FILE["data"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=2048),
    st.integers(min_value=0, max_value=10_000).map(lambda n: good_file_bytes()[:n]),
    st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255)).map(
        lambda change: _flip_byte(good_file_bytes(), *change)),
))
def test_fuzzed_files_raise_only_documented_errors(tmp_path, data):
    path = tmp_path / "fuzz.lamina"
    path.write_bytes(data)
    try:
        load_model(path)
    except (ModelFileError, ValueError):
        pass


def _flip_byte(data, position, value):
    position %= len(data)
    return data[:position] + bytes([value]) + data[position + 1:]


def test_saved_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        model = Sequential([L.Input((2,)), L.Dense(1)])
        model.save(tmp_path / "m.lamina")
        assert (tmp_path / "m.lamina").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "m.lamina", 0o600)
        model.save(tmp_path / "m.lamina")  # an existing file keeps its permissions
        assert (tmp_path / "m.lamina").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_losses_metrics_and_optimizers_round_trip_through_their_configs():
    from lamina import losses, metrics, optimizers

    for family, names in ((losses, ["mse", "huber", "binary_crossentropy", "sparse_categorical_crossentropy"]),
                          (metrics, ["auc", "precision", "f1_score", "top_k_categorical_accuracy", "rmse"]),
                          (optimizers, ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam"])):
        for name in names:
            obj = family.get(name)
            clone = family.get({"class_name": type(obj).__name__, "config": obj.get_config()})
            assert type(clone) is type(obj) and clone.get_config() == obj.get_config(), name
    schedule = optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    optimizer = optimizers.SGD(learning_rate=schedule, momentum=0.9, clipnorm=1.0)
    clone = optimizers.get({"class_name": "SGD", "config": optimizer.get_config()})
    assert clone.get_config() == optimizer.get_config() and clone.learning_rate == schedule(0)


def test_models_compiled_with_objects_load_compiled_and_train_identically(tmp_path):
    from lamina import losses, metrics, optimizers

    inputs = L.Input((4,))
    first, second = L.Dense(1, name="first")(inputs), L.Dense(3, name="second")(inputs)
    model = Model(inputs, [first, second])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01),
                  loss={"first": losses.BinaryCrossentropy(from_logits=True),
                        "second": losses.SparseCategoricalCrossentropy(from_logits=True)},
                  metrics={"first": [metrics.AUC(num_thresholds=50)], "second": ["accuracy"]})
    model.save(tmp_path / "objects.lamina")
    loaded = load_model(tmp_path / "objects.lamina")
    assert isinstance(loaded.optimizer, optimizers.Adam) and loaded.optimizer.learning_rate == 0.01
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = {"first": (x[:, :1] > 0).astype("float32"), "second": (x[:, 1] > 0).astype("int64")}
    expected, actual = (each.train_on_batch(x, y, return_dict=True) for each in (model, loaded))
    assert expected == actual and "first_auc" in actual


def test_metadata_is_saved_and_restored(tmp_path):
    inputs = L.Input((3,))
    model = Model(inputs, L.Dense(2)(inputs))
    assert model.metadata is None
    model.metadata = {"class_names": ["cat", "dog"], "size": [32, 32]}
    model.save(tmp_path / "model.lamina")
    assert load_model(tmp_path / "model.lamina").metadata == {"class_names": ["cat", "dog"], "size": [32, 32]}
    Model(inputs, L.Dense(2)(inputs)).save(tmp_path / "plain.lamina")
    assert load_model(tmp_path / "plain.lamina").metadata is None


def test_a_nested_model_with_a_dotted_name_saves_and_loads(tmp_path):
    inner_inputs = L.Input((3,))
    inner = Model(inner_inputs, L.Dense(4)(inner_inputs), name="mobilenetv2_1.00_224")
    inputs = L.Input((3,))
    model = Model(inputs, L.Dense(1)(inner(inputs)))
    assert model.get_layer("mobilenetv2_1.00_224") is inner
    model.save(tmp_path / "nested.lamina")
    x = torch.randn(5, 3)
    torch.testing.assert_close(load_model(tmp_path / "nested.lamina")(x), model(x))
