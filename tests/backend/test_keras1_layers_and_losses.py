"""Keras-1-style custom layers, losses and initializers written with K.* train in lamina."""
import warnings

import numpy as np
import pytest
import torch

from lamina import backend as K
from lamina import initializations, initializers
from lamina.layers import Dense, Input, Lambda, Layer, SimpleRNN
from lamina.models import Model, Sequential, load_model
from lamina.optimizers import SGD

RNG = np.random.default_rng(11)
X = RNG.standard_normal((128, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")) + 0.25


class AddWeightLayer(Layer):
    """The Keras 1.2 docs' custom layer: add_weight(shape, initializer) and get_output_shape_for."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim  # set before Layer.__init__, as Keras 1 code does
        super(AddWeightLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight((input_shape[1], self.output_dim), "uniform", name="W", trainable=True)
        self.b = self.add_weight(shape=(self.output_dim,), initializer="zero", name="b")
        super(AddWeightLayer, self).build(input_shape)

    def call(self, x, mask=None):
        return K.dot(x, self.W) + self.b

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)


class VariableLayer(Layer):
    """The Keras 1.0 docs' custom layer: K.variable weights listed in self.trainable_weights."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(VariableLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = K.variable(RNG.random((input_shape[1], self.output_dim)) * 0.1)
        self.b = K.zeros((self.output_dim,))
        self.trainable_weights = [self.W, self.b]
        self.count = K.variable(np.zeros(1))
        self.non_trainable_weights = [self.count]

    def call(self, x, mask=None):
        return K.dot(x, self.W) + self.b

    def get_output_shape_for(self, input_shape):
        return [input_shape[0], self.output_dim]  # a list, as Keras 1 code sometimes returns


def train(model, loss, epochs=40):
    model.compile(optimizer=SGD(learning_rate=0.05), loss=loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Keras 1's nb_epoch
        history = model.fit(X, Y, batch_size=32, nb_epoch=epochs, verbose=0)
    return history.history["loss"]


@pytest.mark.parametrize("layer_class", [AddWeightLayer, VariableLayer])
def test_keras1_custom_layer_trains(layer_class):
    model = Sequential()
    model.add(layer_class(1, input_shape=(4,)))
    assert model.output_shape == (None, 1)
    weights_before = [w.copy() for w in model.get_weights()]
    losses = train(model, "mse")
    assert losses[-1] < 0.05 * losses[0]
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights_before]
    assert not np.allclose(model.get_weights()[0], weights_before[0])
    np.testing.assert_allclose(model.predict(X[:4], verbose=0), Y[:4], atol=0.3)


def test_keras1_weight_lists_register_parameters_and_state():
    layer = VariableLayer(2)
    layer(torch.zeros(1, 3))
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(3, 2), (2,)]
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [(1,)]
    assert sorted(name for name, _ in layer.named_parameters()) == ["W", "b"]
    assert sorted(layer.state_dict()) == ["W", "b", "count"]
    assert layer.count_params() == 9
    with pytest.raises(TypeError, match=r"trainable_weights must be nn.Parameters .* K.variable"):
        layer.trainable_weights = [torch.zeros(2)]


def test_get_output_shape_for_is_used_for_symbolic_shapes():
    class Pairs(Layer):
        def call(self, x, mask=None):
            return K.concatenate([x, x], axis=-1)

        def get_output_shape_for(self, input_shape):
            return (input_shape[0], 2 * input_shape[1])

    out = Pairs()(Input((3,)))
    assert out.shape == (None, 6)


def test_keras3_add_weight_order_and_lamina_order_still_work():
    class Both(Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="a")  # Keras 3 keywords
            self.add_weight("c", (2,), "zeros")  # lamina's and Keras 2.2's positional (name, shape)
            self.d = self.add_weight((3,), "ones")  # Keras 1 / 3 positional (shape, initializer)
            self.e = self.add_weight((2,), initializer="zeros")  # the shape by position, the rest by keyword
            self.add_weight((1,), "ones", "f", False)  # Keras 1: (shape, initializer, name, trainable)

        def call(self, x):
            return x * self.a

    layer = Both()
    layer(torch.ones(1, 4))
    assert [tuple(w.shape) for w in layer.weights] == [(4,), (2,), (3,), (2,), (1,)]
    assert sorted(layer.state_dict()) == ["a", "c", "d", "e", "f"]
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [(1,)]
    np.testing.assert_array_equal(layer.get_weights()[2], np.ones(3))


def test_custom_loss_written_with_k_trains():
    def root_mean_squared_error(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

    def weighted_huber(y_true, y_pred):
        error = K.abs(y_true - y_pred)
        quadratic = K.minimum(error, 1.0)
        return K.mean(0.5 * K.square(quadratic) + (error - quadratic), axis=-1)

    for loss in (root_mean_squared_error, weighted_huber):
        model = Sequential([Input((4,)), Dense(1)])
        losses = train(model, loss, epochs=30)
        assert losses[-1] < 0.2 * losses[0], loss.__name__


def test_custom_classification_loss_with_k_crossentropy_trains():
    labels = (X[:, 0] + X[:, 1] > 0).astype("int64")
    targets = np.eye(2, dtype="float32")[labels]

    def crossentropy(y_true, y_pred):
        return K.categorical_crossentropy(y_true, y_pred)

    model = Sequential([Input((4,)), Dense(2, activation="softmax")])
    model.compile(optimizer=SGD(learning_rate=0.5), loss=crossentropy, metrics=["acc"])
    history = model.fit(X, targets, batch_size=32, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["acc"][-1] > 0.9


def test_lambda_with_k_functions_and_random_noise_with_output_shape():
    inputs = Input((4,))
    scaled = Lambda(lambda x: K.l2_normalize(x, axis=-1) * K.sum(K.abs(x), axis=-1, keepdims=True))(inputs)
    noisy = Lambda(lambda x: x + K.random_normal(shape=(K.shape(x)[0], 4), mean=0.0, std=1.0),
                   output_shape=(4,))(scaled)
    assert noisy.shape == (None, 4)
    assert Lambda(lambda x: x, output_shape=lambda shape: (shape[0], 2))(inputs).shape == (None, 2)
    model = Model(inputs, [scaled, noisy])
    model.compile(optimizer="sgd", loss="mse")  # on lamina's device, where K.random_normal draws
    clean, noise = model.predict(X, verbose=0)
    x = X.astype("float64")
    np.testing.assert_allclose(clean, x / np.linalg.norm(x, axis=-1, keepdims=True) * np.abs(x).sum(-1, keepdims=True),
                               rtol=1e-5)
    assert 0.9 < np.std(noise - clean) < 1.1


def test_keras1_initializer_functions_in_init():
    def my_init(shape, name=None):
        return initializations.normal(shape, scale=0.01, name=name)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        layer = Dense(300, init=my_init)
    layer(torch.zeros(1, 200))
    kernel = layer.get_weights()[0]
    assert kernel.shape == (200, 300) and abs(kernel.std() - 0.01) < 0.001
    as_initializer = initializers.get(my_init)
    assert tuple(as_initializer((2, 3), dtype=torch.float64).shape) == (2, 3)
    assert as_initializer((2, 3), dtype=torch.float64).dtype == torch.float64


def test_keras1_initializer_lambdas_get_the_weight_name_as_keras1_passed_it():
    # mnist_irnn.py: Keras 1 layers called init(shape, name=...), so these lambdas require `name`.
    names = []

    def normal_init(shape, name):
        names.append(name)
        return initializations.normal(shape, scale=0.001, name=name)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        layer = SimpleRNN(6, init=normal_init, inner_init=lambda shape, name: initializations.identity(
            shape, scale=1.0, name=name), activation="relu", name="irnn")
        plain = Dense(2, init=lambda shape: np.full(shape, 0.5))  # no `name` parameter: called with the shape alone
    layer(torch.zeros(2, 3, 4))
    plain(torch.zeros(1, 3))
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert names == ["irnn_kernel"]
    assert kernel.shape == (4, 6) and 0.0005 < kernel.std() < 0.0015
    np.testing.assert_array_equal(recurrent_kernel, np.eye(6))
    np.testing.assert_array_equal(plain.get_weights()[0], np.full((3, 2), 0.5))
    assert initializers.initial_value(normal_init, (2, 3), torch.float64, name="w").dtype == torch.float64
    assert names[-1] == "w"
    model = Sequential([layer])
    with pytest.raises(TypeError, match="The Keras 1 initializer function 'normal_init' has no config, so a layer "
                                        "using it cannot be saved with save"):
        model.to_json()


@pytest.mark.parametrize("name, shape, bound", [
    ("glorot_uniform", (200, 300), np.sqrt(6 / 500)), ("he_uniform", (200, 300), np.sqrt(6 / 200)),
    ("lecun_uniform", (200, 300), np.sqrt(3 / 200)), ("uniform", (200, 300), 0.05),
    ("glorot_uniform", (3, 3, 16, 32), np.sqrt(6 / (9 * 16 + 9 * 32))),
])
def test_keras1_uniform_initializations_fill_their_range(name, shape, bound):
    values = K.eval(initializations.get(name)(shape))
    assert values.shape == shape
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.98 * bound


@pytest.mark.parametrize("name, stddev", [
    ("glorot_normal", np.sqrt(2 / 500)), ("he_normal", np.sqrt(2 / 200)), ("normal", 0.05),
])
def test_keras1_normal_initializations_have_their_stddev(name, stddev):
    values = K.eval(initializations.get(name)((200, 300)))
    assert abs(values.std() - stddev) < 0.02 * stddev and abs(values.mean()) < 0.02 * stddev


def test_keras1_orthogonal_identity_zero_one():
    q = K.eval(initializations.orthogonal((6, 6)))
    np.testing.assert_allclose(q @ q.T, 1.1 ** 2 * np.eye(6), atol=1e-5)  # Keras 1's scale 1.1
    wide = K.eval(initializations.orthogonal((3, 5), scale=1.0))
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(K.eval(initializations.identity((3, 3), scale=2)), 2 * np.eye(3))
    np.testing.assert_array_equal(K.eval(initializations.zero((2,))), np.zeros(2))
    np.testing.assert_array_equal(K.eval(initializations.one((2,))), np.ones(2))
    with pytest.raises(ValueError, match=r"square 2-D shape, received \(2, 3\)"):
        initializations.identity((2, 3))
    with pytest.raises(ValueError, match=r"Unknown initialization 'glorot_unifrom'. Did you mean 'glorot_uniform'"):
        initializations.get("glorot_unifrom")


def test_lambda_output_shape_survives_saving(tmp_path):
    def noise(x):
        return x + K.random_normal(shape=(K.shape(x)[0], 4), std=0.1)

    inputs = Input((4,))
    model = Model(inputs, Lambda(noise, output_shape=(4,))(inputs))
    model.save(str(tmp_path / "noise.lamina"))
    loaded = load_model(str(tmp_path / "noise.lamina"), safe_mode=False, custom_objects={"noise": noise})
    assert loaded.output_shape == (None, 4) and loaded.layers[1].get_config()["output_shape"] == [4]
