'''Keras 1's examples/stateful_lstm.py: a stateful LSTM stack learns to predict the next value of a damped cosine
from one value at a time, carrying its states from batch to batch, with model.reset_states() after each epoch.

Shrunk: a 1,000-step wave of period 20 (the original: 50,000 steps, period 1,000) and 8 epochs.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.models import Sequential
from lamina.layers import Dense, LSTM
from lamina.utils import set_random_seed
set_random_seed(1337)

# since we are using stateful rnn tsteps can be set to 1
tsteps = 1
batch_size = 25
epochs = 8
# number of elements ahead that are used to make the prediction
lahead = 1


def gen_cosine_amp(amp=1, period=20, x0=0, xn=1000, step=1, k=0.0001):
    """Generates an absolute cosine time series with the amplitude exponentially decreasing."""
    cos = np.zeros(((xn - x0) * step, 1, 1))
    for i in range(len(cos)):
        idx = x0 + i * step
        cos[i, 0, 0] = amp * np.cos(2 * np.pi * idx / period)
        cos[i, 0, 0] = cos[i, 0, 0] * np.exp(-k * idx)
    return cos


print('Generating Data')
cos = gen_cosine_amp()
print('Input shape:', cos.shape)

expected_output = np.zeros((len(cos), 1))
for i in range(len(cos) - lahead):
    expected_output[i, 0] = np.mean(cos[i + 1:i + lahead + 1])

print('Output shape', expected_output.shape)

print('Creating Model')
model = Sequential()
model.add(LSTM(20,
               batch_input_shape=(batch_size, tsteps, 1),
               return_sequences=True,
               stateful=True))
model.add(LSTM(20,
               return_sequences=False,
               stateful=True))
model.add(Dense(1))
model.compile(loss='mse', optimizer='rmsprop')

print('Training')
losses = []
for i in range(epochs):
    print('Epoch', i, '/', epochs)
    history = model.fit(cos,
                        expected_output,
                        batch_size=batch_size,
                        verbose=0,
                        nb_epoch=1,
                        shuffle=False)
    losses.append(history.history['loss'][0])
    model.reset_states()

print('Predicting')
predicted_output = model.predict(cos, batch_size=batch_size)
mse = np.mean((predicted_output[:-lahead] - expected_output[:-lahead]) ** 2)
# one value alone cannot tell a rising wave from a falling one: the best guess from it is cos(t) * cos(2 pi / 20)
stateless_mse = np.mean((cos[:-lahead, 0] * np.cos(2 * np.pi / 20) - expected_output[:-lahead]) ** 2)
print('Prediction MSE:', mse)
print('Best stateless MSE:', stateless_mse)

# the states carry over from one predict() to the next until reset_states()
model.reset_states()
first = model.predict(cos[:batch_size], batch_size=batch_size)
carried = model.predict(cos[:batch_size], batch_size=batch_size)
model.reset_states()
again = model.predict(cos[:batch_size], batch_size=batch_size)
print('States carry over:', bool(not np.allclose(first, carried)))
print('Reset restores predictions:', bool(np.array_equal(first, again)))
print('First loss:', losses[0])
print('Last loss:', losses[-1])
