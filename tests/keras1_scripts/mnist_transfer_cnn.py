'''Transfer learning as in Keras 1's examples/mnist_transfer_cnn.py, on the 8x8 digits bundled with scikit-learn:
a convnet is trained on the digits 0-4, then its feature layers are frozen and the classifier is retrained on the
digits 5-9. The script sets Theano's dimension ordering explicitly, as Keras 1 scripts for 'th' did, and reads the
features with layers[i].get_output_at(0).
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from lamina.datasets import digits
from lamina.models import Sequential, Model
from lamina.layers import Dense, Dropout, Activation, Flatten
from lamina.layers import Convolution2D, MaxPooling2D
from lamina.optimizers import Adam
from lamina.utils import np_utils
from lamina.utils import set_random_seed
from lamina import backend as K
K.set_image_dim_ordering('th')
set_random_seed(1337)

batch_size = 32
nb_classes = 5
nb_epoch = 4

# input image dimensions
img_rows, img_cols = 8, 8
# number of convolutional filters to use
nb_filters = 16
# size of pooling area for max pooling
nb_pool = 2
# convolution kernel size
nb_conv = 3

if K.image_dim_ordering() == 'th':
    input_shape = (1, img_rows, img_cols)
else:
    input_shape = (img_rows, img_cols, 1)


def train_model(model, train, test, nb_classes):
    X_train = train[0].reshape((train[0].shape[0],) + input_shape)
    X_test = test[0].reshape((test[0].shape[0],) + input_shape)
    X_train = X_train.astype('float32')
    X_test = X_test.astype('float32')
    X_train /= 16
    X_test /= 16
    print('X_train shape:', X_train.shape)
    print(X_train.shape[0], 'train samples')
    print(X_test.shape[0], 'test samples')

    # convert class vectors to binary class matrices
    Y_train = np_utils.to_categorical(train[1], nb_classes)
    Y_test = np_utils.to_categorical(test[1], nb_classes)

    model.compile(loss='categorical_crossentropy',
                  optimizer=Adam(lr=0.01),
                  metrics=['accuracy'])

    model.fit(X_train, Y_train,
              batch_size=batch_size, nb_epoch=nb_epoch,
              verbose=0,
              validation_data=(X_test, Y_test))
    score = model.evaluate(X_test, Y_test, verbose=0)
    print('Test score:', score[0])
    print('Test accuracy:', score[1])
    return score[1]


# the data, shuffled and split between train and test sets
(X_train, y_train), (X_test, y_test) = digits.load_data()

# create two datasets one with digits below 5 and one with 5 and above
X_train_lt5 = X_train[y_train < 5]
y_train_lt5 = y_train[y_train < 5]
X_test_lt5 = X_test[y_test < 5]
y_test_lt5 = y_test[y_test < 5]

X_train_gte5 = X_train[y_train >= 5]
y_train_gte5 = y_train[y_train >= 5] - 5  # make classes start at 0 for
X_test_gte5 = X_test[y_test >= 5]         # np_utils.to_categorical
y_test_gte5 = y_test[y_test >= 5] - 5

# define two groups of layers: feature (convolutions) and classification (dense)
feature_layers = [
    Convolution2D(nb_filters, nb_conv, nb_conv,
                  border_mode='valid',
                  input_shape=input_shape),
    Activation('relu'),
    Convolution2D(nb_filters, nb_conv, nb_conv),
    Activation('relu'),
    MaxPooling2D(pool_size=(nb_pool, nb_pool)),
    Dropout(0.25),
    Flatten(),
]
classification_layers = [
    Dense(64),
    Activation('relu'),
    Dropout(0.5),
    Dense(nb_classes),
    Activation('softmax')
]

# create complete model
model = Sequential(feature_layers + classification_layers)
print('First convolution output shape:', model.layers[0].get_output_shape_at(0))

# train model for 5-digit classification [0..4]
first_accuracy = train_model(model,
                             (X_train_lt5, y_train_lt5),
                             (X_test_lt5, y_test_lt5), nb_classes)

# freeze feature layers and rebuild model
for l in feature_layers:
    l.trainable = False
frozen = [w.copy() for w in model.layers[0].get_weights()]

# transfer: train dense layers for new classification task [5..9]
second_accuracy = train_model(model,
                              (X_train_gte5, y_train_gte5),
                              (X_test_gte5, y_test_gte5), nb_classes)

feature_extractor = Model(input=model.input, output=model.layers[6].get_output_at(0))
features = feature_extractor.predict(X_test_gte5.reshape((-1,) + input_shape).astype('float32') / 16)
print('Feature shape:', features.shape)
print('Feature layers unchanged:', all(np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].get_weights())))
print('Accuracy on 0-4:', first_accuracy)
print('Accuracy on 5-9 with frozen features:', second_accuracy)
