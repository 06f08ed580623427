'''Reads a hidden layer's output with K.function, as in Keras 1's FAQ, computes a saliency map with
K.gradients on a symbolic loss, and runs the filter-visualisation gradient ascent (symbolic indexing and arithmetic).
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.layers import Dense, Dropout, Activation
from lamina import backend as K

model = Sequential()
model.add(Dense(16, input_dim=10))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(1))
model.compile(optimizer='sgd', loss='mse')
X = np.random.rand(50, 10).astype('float32')
model.fit(X, X.sum(axis=1), nb_epoch=2, verbose=0)

# with a Dropout layer, the output differs between the learning phases
get_3rd_layer_output = K.function([model.layers[0].input, K.learning_phase()],
                                  [model.layers[2].output])
layer_output_test = get_3rd_layer_output([X, 0])[0]
layer_output_train = get_3rd_layer_output([X, 1])[0]
print('Hidden output shape:', layer_output_test.shape)
print('Zeros in test mode:', float(np.mean(layer_output_test == 0)))
print('Zeros in training mode:', float(np.mean(layer_output_train == 0)))

# gradient of the mean output with respect to the input
loss = K.mean(model.output)
grads = K.gradients(loss, model.input)[0]
iterate = K.function([model.input], [loss, grads])
loss_value, grads_value = iterate([X])
print('Loss equals mean prediction:', bool(np.isclose(loss_value, model.predict(X).mean(), rtol=1e-5)))
print('Gradient shape:', grads_value.shape)

# gradient ascent on the input, as in Keras's filter-visualisation example (symbolic indexing and arithmetic)
input_img = model.input
loss = K.mean(model.output[:, 0])
grads = K.gradients(loss, input_img)[0]
grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)
iterate = K.function([input_img], [loss, grads])
input_img_data = X[:1].copy()
start_value = iterate([input_img_data])[0]
for i in range(20):
    loss_value, grads_value = iterate([input_img_data])
    input_img_data += grads_value * 0.1
print('Ascent raised the output:', bool(loss_value > start_value))
