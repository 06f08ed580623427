'''The IRNN experiment of Keras 1's examples/mnist_irnn.py (Le, Jaitly and Hinton, "A Simple Way to Initialize
Recurrent Networks of Rectified Linear Units", arXiv:1504.00941), on noisy 8x8 "digits" generated here instead
of MNIST, fed row by row, with a larger learning rate so that a few epochs suffice.

The recurrent layer's weights start from Keras 1 initializer functions written as lambdas that take `name`.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.layers import Dense, Activation
from lamina.layers import SimpleRNN
from lamina.initializations import normal, identity
from lamina.optimizers import RMSprop
from lamina.utils import np_utils
from lamina.utils import set_random_seed
set_random_seed(1337)

batch_size = 32
nb_classes = 10
nb_epochs = 14
hidden_units = 32

learning_rate = 1e-2
clip_norm = 1.0

# ten noisy prototypes of 8x8 "digits", fed one row of 8 pixels per time step (the original feeds MNIST's
# 784 pixels one by one)
prototypes = np.random.rand(nb_classes, 8, 8)
y_train = np.random.randint(0, nb_classes, 800)
y_test = np.random.randint(0, nb_classes, 200)
X_train = prototypes[y_train] + 0.3 * np.random.randn(800, 8, 8)
X_test = prototypes[y_test] + 0.3 * np.random.randn(200, 8, 8)
X_train = X_train.astype('float32')
X_test = X_test.astype('float32')
print('X_train shape:', X_train.shape)
print(X_train.shape[0], 'train samples')
print(X_test.shape[0], 'test samples')

# convert class vectors to binary class matrices
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)

print('Evaluate IRNN...')
model = Sequential()
model.add(SimpleRNN(output_dim=hidden_units,
                    init=lambda shape, name: normal(shape, scale=0.001, name=name),
                    inner_init=lambda shape, name: identity(shape, scale=1.0, name=name),
                    activation='relu',
                    input_shape=X_train.shape[1:]))
model.add(Dense(nb_classes))
model.add(Activation('softmax'))
rmsprop = RMSprop(lr=learning_rate, clipnorm=clip_norm)
model.compile(loss='categorical_crossentropy',
              optimizer=rmsprop,
              metrics=['accuracy'])

kernel, recurrent_kernel, bias = model.layers[0].get_weights()
print('Initial recurrent kernel is the identity:', bool(np.array_equal(recurrent_kernel, np.eye(hidden_units))))
print('Initial kernel std:', kernel.std())

history = model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epochs,
                    verbose=2, validation_data=[X_test, Y_test])

scores = model.evaluate(X_test, Y_test, verbose=0)
print('IRNN test score:', scores[0])
print('IRNN test accuracy:', scores[1])
print('Last val_acc:', history.history['val_acc'][-1])
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
