'''Trains a simple deep NN on MNIST-like digits (generated here, so no download is needed).

Written as Keras 1's examples/mnist_mlp.py, with `keras` replaced by `lamina` in the imports.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from lamina.models import Sequential
from lamina.layers.core import Dense, Dropout, Activation
from lamina.optimizers import SGD
from lamina.utils import np_utils

batch_size = 128
nb_classes = 10
nb_epoch = 3

# ten noisy prototypes of 28x28 "digits"
prototypes = np.random.rand(nb_classes, 784)
y_train = np.random.randint(0, nb_classes, 1000)
y_test = np.random.randint(0, nb_classes, 200)
X_train = prototypes[y_train] + 1.2 * np.random.randn(1000, 784)
X_test = prototypes[y_test] + 1.2 * np.random.randn(200, 784)
X_train = X_train.astype('float32')
X_test = X_test.astype('float32')
print(X_train.shape[0], 'train samples')
print(X_test.shape[0], 'test samples')

# convert class vectors to binary class matrices
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)

model = Sequential()
model.add(Dense(256, input_shape=(784,)))
model.add(Activation('relu'))
model.add(Dropout(0.2))
model.add(Dense(256))
model.add(Activation('relu'))
model.add(Dropout(0.2))
model.add(Dense(10))
model.add(Activation('softmax'))

model.summary()

sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy',
              optimizer=sgd,
              metrics=['acc'])

history = model.fit(X_train, Y_train,
                    batch_size=batch_size, nb_epoch=nb_epoch,
                    verbose=2, validation_data=(X_test, Y_test))
score = model.evaluate(X_test, Y_test, verbose=0)
print('Test score:', score[0])
print('Test accuracy:', score[1])
print('Last val_acc:', history.history['val_acc'][-1])
