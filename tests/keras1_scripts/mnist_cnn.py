'''Trains a small convnet on MNIST-like digits, as Keras 1's examples/mnist_cnn.py (data generated here).

It branches on K.image_dim_ordering() like the original and trains with Adam(lr=0.01).
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.layers import Dense, Dropout, Activation, Flatten
from lamina.layers.convolutional import Convolution2D, MaxPooling2D
from lamina.optimizers import Adam
from lamina.utils import np_utils
from lamina import backend as K

batch_size = 16
nb_classes = 3
nb_epoch = 8

img_rows, img_cols = 12, 12
nb_filters = 8
pool_size = (2, 2)
kernel_size = (3, 3)

# three classes: a bright row, a bright column, or a bright diagonal, plus noise
y_train = np.random.randint(0, nb_classes, 96)
X_train = 0.3 * np.random.rand(96, img_rows, img_cols)
for image, label in zip(X_train, y_train):
    if label == 0:
        image[np.random.randint(img_rows), :] += 2.0
    elif label == 1:
        image[:, np.random.randint(img_cols)] += 2.0
    else:
        image[np.arange(img_rows), np.arange(img_cols)] += 2.0

if K.image_dim_ordering() == 'th':
    X_train = X_train.reshape(X_train.shape[0], 1, img_rows, img_cols)
    input_shape = (1, img_rows, img_cols)
else:
    X_train = X_train.reshape(X_train.shape[0], img_rows, img_cols, 1)
    input_shape = (img_rows, img_cols, 1)
X_train = X_train.astype('float32')
print('dim ordering:', K.image_dim_ordering(), 'X_train shape:', X_train.shape)

Y_train = np_utils.to_categorical(y_train, nb_classes)

model = Sequential()
model.add(Convolution2D(nb_filters, kernel_size[0], kernel_size[1],
                        border_mode='valid',
                        input_shape=input_shape))
model.add(Activation('relu'))
model.add(Convolution2D(nb_filters, kernel_size[0], kernel_size[1]))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=pool_size))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(32))
model.add(Activation('relu'))
model.add(Dense(nb_classes))
model.add(Activation('softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer=Adam(lr=0.01),
              metrics=['accuracy'])

model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epoch, verbose=0)
score = model.evaluate(X_train, Y_train, verbose=0)
print('Output shape:', model.output_shape)
print('Train accuracy:', score[1])
