'''A variational autoencoder in the style of Keras 1's variational_autoencoder example (Kingma and Welling,
arXiv:1312.6114). Its loss closes over the encoder's symbolic outputs z_mean and z_log_var, which Keras 1
evaluated on the graph. The data are noisy copies of eight binary 8x8 patterns generated here.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.layers import Input, Dense, Lambda
from lamina.models import Model
from lamina import backend as K
from lamina import objectives
from lamina.utils import set_random_seed
set_random_seed(1337)

batch_size = 32
original_dim = 64
latent_dim = 2
intermediate_dim = 32
nb_epoch = 30
epsilon_std = 1.0

x = Input(batch_shape=(batch_size, original_dim))
h = Dense(intermediate_dim, activation='relu')(x)
z_mean = Dense(latent_dim)(h)
z_log_var = Dense(latent_dim)(h)


def sampling(args):
    z_mean, z_log_var = args
    epsilon = K.random_normal(shape=(batch_size, latent_dim), mean=0., std=epsilon_std)
    return z_mean + K.exp(z_log_var / 2) * epsilon

# note that "output_shape" isn't necessary with the TensorFlow backend
z = Lambda(sampling, output_shape=(latent_dim,))([z_mean, z_log_var])

# we instantiate these layers separately so as to reuse them later
decoder_h = Dense(intermediate_dim, activation='relu')
decoder_mean = Dense(original_dim, activation='sigmoid')
h_decoded = decoder_h(z)
x_decoded_mean = decoder_mean(h_decoded)


def vae_loss(x, x_decoded_mean):
    xent_loss = original_dim * objectives.binary_crossentropy(x, x_decoded_mean)
    kl_loss = - 0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    return xent_loss + kl_loss

vae = Model(x, x_decoded_mean)
vae.compile(optimizer='rmsprop', loss=vae_loss)

patterns = np.random.rand(8, original_dim) > 0.5
labels_train, labels_test = np.random.randint(0, 8, 1024), np.random.randint(0, 8, 256)
x_train = (patterns[labels_train] ^ (np.random.rand(1024, original_dim) < 0.05)).astype('float32')
x_test = (patterns[labels_test] ^ (np.random.rand(256, original_dim) < 0.05)).astype('float32')

history = vae.fit(x_train, x_train, shuffle=True, nb_epoch=nb_epoch, batch_size=batch_size, verbose=2,
                  validation_data=(x_test, x_test))

# build a model to project inputs on the latent space
encoder = Model(x, z_mean)
x_test_encoded = encoder.predict(x_test, batch_size=batch_size)

# build a digit generator that can sample from the learned distribution
decoder_input = Input(shape=(latent_dim,))
_x_decoded_mean = decoder_mean(decoder_h(decoder_input))
generator = Model(decoder_input, _x_decoded_mean)
reconstructed = generator.predict(x_test_encoded) > 0.5
clean = patterns[labels_test]
print('Reconstruction accuracy of the clean patterns:', (reconstructed == clean).mean())
print('Codes mean within the prior:', float(np.abs(x_test_encoded.mean(axis=0)).max() < 1.0))
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
