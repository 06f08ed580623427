'''A Keras 1 custom layer with its own weights (K.variable + trainable_weights) and a custom loss using K.*.

The layer learns a per-feature scale and offset; the loss is Keras 1's binary crossentropy objective written
the way Keras 1's objectives.py wrote it, K.binary_crossentropy(y_pred, y_true) in Keras 1's argument order.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.engine.topology import Layer
from lamina.layers import Dense
from lamina.optimizers import Adam
from lamina import backend as K


class ScaleShift(Layer):
    def __init__(self, **kwargs):
        super(ScaleShift, self).__init__(**kwargs)

    def build(self, input_shape):
        input_dim = input_shape[1]
        self.gamma = K.variable(np.ones((input_dim,)))
        self.beta = K.variable(np.zeros((input_dim,)))
        self.trainable_weights = [self.gamma, self.beta]

    def call(self, x, mask=None):
        return x * self.gamma + self.beta

    def get_output_shape_for(self, input_shape):
        return input_shape


class Projection(Layer):
    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(Projection, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[1], self.output_dim),
                                 initializer='glorot_uniform',
                                 trainable=True)
        super(Projection, self).build(input_shape)

    def call(self, x, mask=None):
        return K.sigmoid(K.dot(x, self.W))

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)


def keras1_binary_crossentropy(y_true, y_pred):
    return K.mean(K.binary_crossentropy(y_pred, y_true), axis=-1)


def mean_pred(y_true, y_pred):
    return K.mean(y_pred)


X = np.random.randn(300, 6).astype('float32') * 3 + 5
y = (X[:, 0] > X[:, 1]).astype('float32').reshape(-1, 1)

model = Sequential()
model.add(ScaleShift(input_shape=(6,)))
model.add(Projection(1))
model.compile(optimizer=Adam(lr=0.05), loss=keras1_binary_crossentropy, metrics=['acc', mean_pred])
history = model.fit(X, y, batch_size=32, nb_epoch=15, verbose=0)
print('Weights:', [w.shape for w in model.get_weights()])
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
print('Train accuracy:', history.history['acc'][-1])
print('Mean prediction:', history.history['mean_pred'][-1])
