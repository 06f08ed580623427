'''An IRNN in the style of Keras 1's mnist_irnn example (Le, Jaitly and Hinton, arXiv:1504.00941): a ReLU
SimpleRNN whose recurrent weights start as the identity and whose input weights start tiny, both given as Keras 1
initializer lambdas that take `name`. It classifies noisy 8x8 "digits" generated here, read one row per step.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.layers import Dense, Activation, SimpleRNN
from lamina.initializations import normal, identity
from lamina.optimizers import RMSprop
from lamina.utils import np_utils, set_random_seed
set_random_seed(1337)

nb_classes = 10
hidden_units = 32
nb_epochs = 14

templates = np.random.rand(nb_classes, 8, 8)
y_train = np.random.randint(0, nb_classes, 800)
y_test = np.random.randint(0, nb_classes, 200)
X_train = (templates[y_train] + 0.3 * np.random.randn(800, 8, 8)).astype('float32')
X_test = (templates[y_test] + 0.3 * np.random.randn(200, 8, 8)).astype('float32')
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)
print('X_train shape:', X_train.shape)

model = Sequential()
model.add(SimpleRNN(output_dim=hidden_units,
                    init=lambda shape, name: normal(shape, scale=0.001, name=name),
                    inner_init=lambda shape, name: identity(shape, scale=1.0, name=name),
                    activation='relu',
                    input_shape=X_train.shape[1:]))
model.add(Dense(nb_classes))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer=RMSprop(lr=1e-2, clipnorm=1.0), metrics=['accuracy'])

kernel, recurrent_kernel, bias = model.layers[0].get_weights()
print('Initial recurrent kernel is the identity:', bool(np.array_equal(recurrent_kernel, np.eye(hidden_units))))
print('Initial kernel std:', kernel.std())

history = model.fit(X_train, Y_train, batch_size=32, nb_epoch=nb_epochs, verbose=2,
                    validation_data=[X_test, Y_test])
scores = model.evaluate(X_test, Y_test, verbose=0)
print('IRNN test score:', scores[0])
print('IRNN test accuracy:', scores[1])
print('Last val_acc:', history.history['val_acc'][-1])
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
