'''Keras 1's functional API with merge(mode=...) and Lambda layers built from K.* functions.

A siamese-style model: two inputs share an encoder, the encodings are L2-normalised in a Lambda layer and
compared with a cosine similarity computed by K.batch_dot, as Keras 1 tutorials did.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.layers import Input, Dense, Lambda, merge
from lamina.models import Model
from lamina.optimizers import Adam
from lamina import backend as K


def cosine(vectors):
    a, b = vectors
    return K.batch_dot(K.l2_normalize(a, axis=-1), K.l2_normalize(b, axis=-1), axes=1)


def cosine_output_shape(shapes):
    return (shapes[0][0], 1)


left = Input(shape=(8,))
right = Input(shape=(8,))
encoder = Dense(16, activation='tanh')
encoded_left = encoder(left)
encoded_right = encoder(right)
similarity = Lambda(cosine, output_shape=cosine_output_shape)([encoded_left, encoded_right])
both = merge([encoded_left, encoded_right], mode='concat', concat_axis=-1)
features = Lambda(lambda x: K.square(x))(both)
score = Dense(1, activation='sigmoid')(merge([similarity, features], mode='concat'))
model = Model(input=[left, right], output=score)

# pairs are "similar" when the right vector is a noisy copy of the left one
n = 400
a = np.random.randn(n, 8).astype('float32')
same = np.random.randint(0, 2, n)
b = np.where(same[:, None] == 1, a + 0.3 * np.random.randn(n, 8), np.random.randn(n, 8)).astype('float32')

model.compile(optimizer=Adam(lr=0.01), loss='binary_crossentropy', metrics=['acc'])
history = model.fit([a, b], same.astype('float32'), batch_size=32, nb_epoch=10, verbose=0)
print('Similarity shape:', similarity.shape if hasattr(similarity, 'shape') else None)
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
print('Train accuracy:', history.history['acc'][-1])
