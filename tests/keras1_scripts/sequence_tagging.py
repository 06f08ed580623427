'''A Keras 1-era sequence-to-sequence tagger: an LSTM returns one vector per time step and TimeDistributedDense
turns each into a softmax over symbols. The task is to output, at every step, the symbol seen two steps before
(0 for the first two steps), which needs the LSTM's memory.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential, Model
from lamina.layers.core import TimeDistributedDense, Activation
from lamina.layers.recurrent import LSTM
from lamina.utils import set_random_seed
set_random_seed(1337)

nb_symbols = 5
maxlen = 10
delay = 2

symbols = np.random.randint(1, nb_symbols, size=(1200, maxlen))
delayed = np.zeros_like(symbols)
delayed[:, delay:] = symbols[:, :-delay]
X = np.eye(nb_symbols, dtype='float32')[symbols]   # one-hot, (samples, maxlen, nb_symbols)
Y = np.eye(nb_symbols, dtype='float32')[delayed]
X_train, X_test, Y_train, Y_test = X[:1000], X[1000:], Y[:1000], Y[1000:]

model = Sequential()
model.add(LSTM(output_dim=32, input_dim=nb_symbols, input_length=maxlen, return_sequences=True))
model.add(TimeDistributedDense(nb_symbols))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
print('Output shape:', model.output_shape)

history = model.fit(X_train, Y_train, batch_size=32, nb_epoch=12, validation_split=0.1, verbose=0)
score = model.evaluate(X_test, Y_test, verbose=0)
print('Test accuracy:', score[1])
print('Last val_acc:', history.history['val_acc'][-1])
print('Epochs of val_loss:', len(history.history['val_loss']))

# the LSTM's output at every step, read as in Keras 1 through get_output_at(0)
states = Model(input=model.input, output=model.layers[0].get_output_at(0)).predict(X_test)
print('LSTM output shape:', states.shape)
print('First loss:', history.history['loss'][0])
print('Last loss:', history.history['loss'][-1])
