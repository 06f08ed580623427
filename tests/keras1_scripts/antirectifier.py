'''A custom layer written with K.* functions: Keras 1's examples/antirectifier.py on generated data.

The Antirectifier keeps the positive and the negative part of its centred, L2-normalised input.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina import layers
from lamina.utils import np_utils
from lamina import backend as K


class Antirectifier(layers.Layer):
    '''Concatenates the positive and the negative part of the centred, normalised input.'''

    def get_output_shape_for(self, input_shape):
        shape = list(input_shape)
        assert len(shape) == 2  # only valid for 2D tensors
        shape[-1] *= 2
        return tuple(shape)

    def call(self, x, mask=None):
        x = x - K.mean(x, axis=1, keepdims=True)
        x = K.l2_normalize(x, axis=1)
        pos = K.relu(x)
        neg = K.relu(-x)
        return K.concatenate([pos, neg], axis=1)


nb_classes = 4
prototypes = np.random.randn(nb_classes, 20)
y_train = np.random.randint(0, nb_classes, 400)
X_train = (prototypes[y_train] + 0.8 * np.random.randn(400, 20)).astype('float32')
Y_train = np_utils.to_categorical(y_train, nb_classes)

model = Sequential()
model.add(layers.Dense(64, input_shape=(20,)))
model.add(Antirectifier())
model.add(layers.Dropout(0.1))
model.add(layers.Dense(64))
model.add(Antirectifier())
model.add(layers.Dense(nb_classes))
model.add(layers.Activation('softmax'))

model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
history = model.fit(X_train, Y_train, batch_size=32, nb_epoch=5, verbose=0)
print('Output shape of the first Antirectifier:', model.layers[1].output_shape)
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
print('Train accuracy:', model.evaluate(X_train, Y_train, verbose=0)[1])
