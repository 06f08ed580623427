'''A stateful LSTM in the style of Keras 1's stateful_lstm example: it sees one value of a slowly damped cosine
at a time and predicts the next one. A single value cannot tell a rising wave from a falling one, so only the
states carried from batch to batch make the prediction good; model.reset_states() clears them after each epoch.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.layers import Dense, LSTM
from lamina.utils import set_random_seed
set_random_seed(1337)

batch_size = 25
steps_per_sample = 1
nb_epoch = 8
period = 20


def damped_cosine(length, period, damping=0.0001):
    t = np.arange(length)
    return (np.cos(2 * np.pi * t / period) * np.exp(-damping * t)).reshape(length, 1, 1)


wave = damped_cosine(1000, period)
following = np.zeros((len(wave), 1))
following[:-1, 0] = wave[1:, 0, 0]
print('Wave shape:', wave.shape, 'targets shape:', following.shape)

model = Sequential()
model.add(LSTM(20, batch_input_shape=(batch_size, steps_per_sample, 1), return_sequences=True, stateful=True))
model.add(LSTM(20, stateful=True))
model.add(Dense(1))
model.compile(loss='mse', optimizer='rmsprop')

losses = []
for epoch in range(nb_epoch):
    # one pass in order, batch after batch, so that each sample continues from the states of the one before
    history = model.fit(wave, following, batch_size=batch_size, nb_epoch=1, verbose=0, shuffle=False)
    losses.append(history.history['loss'][0])
    model.reset_states()
    print('Epoch', epoch + 1, 'loss', losses[-1])

predictions = model.predict(wave, batch_size=batch_size)
prediction_mse = np.mean((predictions[:-1] - following[:-1]) ** 2)
# the best guess of the next value from the current one alone is cos(2 pi / period) times it
stateless_mse = np.mean((np.cos(2 * np.pi / period) * wave[:-1, 0] - following[:-1]) ** 2)
print('Prediction MSE:', prediction_mse)
print('Best stateless MSE:', stateless_mse)

model.reset_states()
first = model.predict(wave[:batch_size], batch_size=batch_size)
continued = model.predict(wave[:batch_size], batch_size=batch_size)
model.reset_states()
restarted = model.predict(wave[:batch_size], batch_size=batch_size)
print('States carry over:', bool(not np.allclose(first, continued)))
print('Reset restores predictions:', bool(np.array_equal(first, restarted)))
print('First loss:', losses[0])
print('Last loss:', losses[-1])
