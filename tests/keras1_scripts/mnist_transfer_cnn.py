'''Transfer learning in the style of Keras 1's mnist_transfer_cnn example, on the 8x8 digits bundled with
scikit-learn: a convnet learns the digits 0-4; then its convolutional layers are frozen (layer.trainable = False)
and only the dense layers learn the digits 5-9. The script asks for Theano's dimension ordering explicitly, as
Keras 1 scripts written for 'th' did, and reads the learned features with layers[i].get_output_at(0).
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina import backend as K
K.set_image_dim_ordering('th')

from lamina.datasets import digits
from lamina.models import Sequential, Model
from lamina.layers import Dense, Dropout, Activation, Flatten
from lamina.layers import Convolution2D, MaxPooling2D
from lamina.optimizers import Adam
from lamina.utils import np_utils, set_random_seed
set_random_seed(1337)

nb_classes = 5
nb_epoch = 4
nb_filters = 16

if K.image_dim_ordering() == 'th':
    image_shape = (1, 8, 8)
else:
    image_shape = (8, 8, 1)


def as_images(pixels):
    return pixels.reshape((len(pixels),) + image_shape).astype('float32') / 16


def fit_and_score(model, images, labels, test_images, test_labels):
    model.compile(loss='categorical_crossentropy', optimizer=Adam(lr=0.01), metrics=['accuracy'])
    model.fit(as_images(images), np_utils.to_categorical(labels, nb_classes), batch_size=32, nb_epoch=nb_epoch,
              verbose=0, validation_data=(as_images(test_images), np_utils.to_categorical(test_labels, nb_classes)))
    loss, accuracy = model.evaluate(as_images(test_images), np_utils.to_categorical(test_labels, nb_classes),
                                    verbose=0)
    print(len(images), 'training images, test loss', loss)
    return accuracy


(X_train, y_train), (X_test, y_test) = digits.load_data()
low_train, low_test = y_train < 5, y_test < 5

convolutional_part = [
    Convolution2D(nb_filters, 3, 3, border_mode='valid', input_shape=image_shape),
    Activation('relu'),
    Convolution2D(nb_filters, 3, 3),
    Activation('relu'),
    MaxPooling2D(pool_size=(2, 2)),
    Dropout(0.25),
    Flatten(),
]
dense_part = [Dense(64), Activation('relu'), Dropout(0.5), Dense(nb_classes), Activation('softmax')]
model = Sequential(convolutional_part + dense_part)
print('First convolution output shape:', model.layers[0].get_output_shape_at(0))
print('Training images shape:', as_images(X_train[low_train]).shape)

low_accuracy = fit_and_score(model, X_train[low_train], y_train[low_train], X_test[low_test], y_test[low_test])

for layer in convolutional_part:
    layer.trainable = False
frozen = [w.copy() for w in model.layers[0].get_weights()]
high_accuracy = fit_and_score(model, X_train[~low_train], y_train[~low_train] - 5,
                              X_test[~low_test], y_test[~low_test] - 5)

features = Model(input=model.input, output=model.layers[6].get_output_at(0)).predict(as_images(X_test[~low_test]))
print('Feature shape:', features.shape)
print('Feature layers unchanged:', all(np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].get_weights())))
print('Accuracy on 0-4:', low_accuracy)
print('Accuracy on 5-9 with frozen features:', high_accuracy)
