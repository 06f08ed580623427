'''Two Sequential branches merged by Keras 1's Merge layer, as in the Keras 1 Sequential-model guide: each branch
sees one input, and the class (one of four) depends on both, so only a model that trains both branches learns it.
Classes come from predict_classes and probabilities from predict_proba, as in Keras 1's README.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.layers import Dense, Merge
from lamina.utils.np_utils import to_categorical
from lamina.utils import set_random_seed
set_random_seed(1337)

nb_samples = 1200
input_dim = 8
nb_classes = 4

left_data = np.random.randn(nb_samples, input_dim).astype('float32')
right_data = np.random.randn(nb_samples, input_dim).astype('float32')
left_direction, right_direction = np.random.randn(input_dim), np.random.randn(input_dim)
labels = 2 * (left_data.dot(left_direction) > 0) + (right_data.dot(right_direction) > 0)
targets = to_categorical(labels, nb_classes)

left_branch = Sequential()
left_branch.add(Dense(32, input_dim=input_dim, activation='relu'))

right_branch = Sequential()
right_branch.add(Dense(32, input_dim=input_dim, activation='relu'))

merged = Merge([left_branch, right_branch], mode='concat')

final_model = Sequential()
final_model.add(merged)
final_model.add(Dense(nb_classes, activation='softmax'))
final_model.summary()

final_model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])
history = final_model.fit([left_data[:1000], right_data[:1000]], targets[:1000], batch_size=32, nb_epoch=15,
                          verbose=0, validation_data=([left_data[1000:], right_data[1000:]], targets[1000:]))

classes = final_model.predict_classes([left_data[1000:], right_data[1000:]], batch_size=32)
proba = final_model.predict_proba([left_data[1000:], right_data[1000:]], batch_size=32)
print('Inputs:', len(final_model.inputs))
print('Test accuracy of predict_classes:', np.mean(classes == labels[1000:]))
print('Probabilities shape:', proba.shape)
print('Probabilities sum to one:', bool(np.allclose(proba.sum(axis=1), 1, atol=1e-5)))
print('Classes are the most probable:', bool(np.array_equal(classes, proba.argmax(axis=1))))
print('Last val_acc:', history.history['val_acc'][-1])
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
