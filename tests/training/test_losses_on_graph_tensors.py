"""Keras 1 losses that close over inner layers' symbolic outputs (the variational autoencoder idiom)."""
import numpy as np
import pytest
import torch

from lamina import backend as K
from lamina import objectives
from lamina.layers import Dense, Input, Lambda
from lamina.models import Model, Sequential
from lamina.optimizers import Adam
from lamina.utils import set_random_seed

ORIGINAL_DIM, LATENT_DIM = 12, 2


def autoencoder(sample=True):
    """The Keras 1 VAE example's graph, small: encoder to (z_mean, z_log_var), sampling, decoder."""
    x = Input(shape=(ORIGINAL_DIM,))
    h = Dense(8, activation="relu")(x)
    z_mean, z_log_var = Dense(LATENT_DIM)(h), Dense(LATENT_DIM)(h)

    def sampling(args):
        mean, log_var = args
        epsilon = K.random_normal(shape=(K.shape(mean)[0], LATENT_DIM), mean=0.0, std=1.0)
        return mean + K.exp(log_var / 2) * epsilon

    z = Lambda(sampling, output_shape=(LATENT_DIM,))([z_mean, z_log_var]) if sample else z_mean
    decoded = Dense(ORIGINAL_DIM, activation="sigmoid")(Dense(8, activation="relu")(z))
    return x, z_mean, z_log_var, decoded


def vae_loss_for(z_mean, z_log_var):
    def vae_loss(x, x_decoded_mean):  # as in Keras 1's examples/variational_autoencoder.py
        xent_loss = ORIGINAL_DIM * objectives.binary_crossentropy(x, x_decoded_mean)
        kl_loss = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
        return xent_loss + kl_loss
    return vae_loss


def binary_data(n=64):
    """Noisy copies of four binary patterns (5% of the bits flipped): structure an autoencoder can learn."""
    rng = np.random.default_rng(0)
    patterns = rng.random((4, ORIGINAL_DIM)) > 0.5
    flips = rng.random((n, ORIGINAL_DIM)) < 0.05
    return (patterns[rng.integers(0, 4, n)] ^ flips).astype("float32")


def test_a_loss_closing_over_inner_outputs_evaluates_them_in_the_same_pass():
    set_random_seed(0)
    x, z_mean, z_log_var, decoded = autoencoder(sample=False)
    vae = Model(x, decoded)
    vae.compile(optimizer="sgd", loss=vae_loss_for(z_mean, z_log_var))
    data = binary_data()
    loss = vae.evaluate(data, data, batch_size=64, verbose=0)
    mean, log_var, reconstruction = (torch.as_tensor(a, dtype=torch.float64)
                                     for a in Model(x, [z_mean, z_log_var, decoded]).predict(data))
    target = torch.as_tensor(data, dtype=torch.float64)
    reconstruction = reconstruction.clamp(1e-7, 1 - 1e-7)
    xent = -(target * reconstruction.log() + (1 - target) * (1 - reconstruction).log()).mean(-1) * ORIGINAL_DIM
    kl = -0.5 * (1 + log_var - mean ** 2 - log_var.exp()).sum(-1)
    # float32 forward pass against a float64 recomputation of the same formula: a few float32 roundings.
    assert loss == pytest.approx(float((xent + kl).mean()), rel=1e-5)
    assert vae._loss_reads_graph is True
    assert len(vae.layers) == 5  # the loss added no layers (z_log_var's Dense is outside the outputs' path)


def test_the_keras1_vae_trains_and_its_kl_term_pulls_the_codes_to_the_prior():
    set_random_seed(0)
    x, z_mean, z_log_var, decoded = autoencoder()
    vae = Model(x, decoded)
    vae.compile(optimizer=Adam(learning_rate=0.01), loss=vae_loss_for(z_mean, z_log_var))
    data = binary_data(256)
    history = vae.fit(data, data, batch_size=32, epochs=20, verbose=0, validation_data=(data, data))
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert np.isfinite(history.history["val_loss"]).all()
    # Without the KL term the codes would drift freely; with it their mean stays near the prior's 0.
    codes = Model(x, z_mean).predict(data)
    assert np.abs(codes.mean(axis=0)).max() < 1.0


def test_a_plain_loss_keeps_the_fast_path():
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"), verbose=0)
    assert model._loss_reads_graph is False


def test_a_loss_using_another_models_tensor_is_refused_by_name():
    _, other_mean, other_log_var, _ = autoencoder(sample=False)
    x, _, _, decoded = autoencoder(sample=False)
    vae = Model(x, decoded)
    vae.compile(optimizer="sgd", loss=vae_loss_for(other_mean, other_log_var))
    data = binary_data(8)
    with pytest.raises(ValueError, match="which is not a tensor of the model being trained: a loss can use the "
                                         "outputs of the model's own layers only"):
        vae.fit(data, data, verbose=0)


def test_a_train_step_of_ones_own_that_cannot_bind_graph_values_says_what_to_do():
    x, z_mean, z_log_var, decoded = autoencoder(sample=False)

    class OwnStep(Model):
        def train_step(self, data):  # a Keras 3 style custom step: forward, then compute_loss
            inputs, targets, _ = data
            self.compute_loss(inputs, targets, self(inputs, training=True))

    model = OwnStep(x, decoded)
    model.compile(optimizer="sgd", loss=vae_loss_for(z_mean, z_log_var))
    data = binary_data(8)
    with pytest.raises(TypeError, match="The loss uses <SymbolicTensor .*whose value is not kept here.*keep the "
                                        "built-in train_step, or add the term inside the model with add_loss"):
        model.fit(data, data, verbose=0)
