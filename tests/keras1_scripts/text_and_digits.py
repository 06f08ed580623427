'''Keras 1-style use of the data modules: a Tokenizer and pad_sequences for a text classifier, and an
ImageDataGenerator feeding fit_generator with the 8x8 digits bundled with scikit-learn (no download).
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from lamina.preprocessing.text import Tokenizer
from lamina.preprocessing import sequence
from lamina.preprocessing.image import ImageDataGenerator
from lamina.datasets import digits
from lamina.models import Sequential
from lamina.layers import Dense, Embedding, Flatten, Convolution2D, MaxPooling2D
from lamina.utils import np_utils

# ---- text: reviews that say "good" things or "bad" things, among filler words
good = ['great', 'good', 'wonderful', 'fine', 'lovely']
bad = ['awful', 'bad', 'terrible', 'poor', 'boring']
filler = ['the', 'movie', 'was', 'plot', 'actors', 'and', 'a', 'very', 'really', 'story']
labels = np.random.randint(0, 2, 400)
texts = [' '.join(np.random.choice(filler, 6).tolist() + np.random.choice(good if label else bad, 2).tolist())
         for label in labels]

tokenizer = Tokenizer(nb_words=30)
tokenizer.fit_on_texts(texts)
sequences = tokenizer.texts_to_sequences(texts)
X_text = sequence.pad_sequences(sequences, maxlen=10)
print('Vocabulary size:', len(tokenizer.word_index))
print('Padded shape:', X_text.shape)

text_model = Sequential()
text_model.add(Embedding(30, 8, input_length=10))
text_model.add(Flatten())
text_model.add(Dense(1, activation='sigmoid'))
text_model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['acc'])
text_model.fit(X_text, labels, batch_size=32, nb_epoch=15, verbose=0)
print('Text accuracy:', text_model.evaluate(X_text, labels, verbose=0)[1])

# ---- images: augmented digits through fit_generator
(X_train, y_train), (X_test, y_test) = digits.load_data()
X_train = X_train.reshape(-1, 1, 8, 8).astype('float32') / 16
X_test = X_test.reshape(-1, 1, 8, 8).astype('float32') / 16
Y_train = np_utils.to_categorical(y_train, 10)
Y_test = np_utils.to_categorical(y_test, 10)

datagen = ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1)
image_model = Sequential()
image_model.add(Convolution2D(16, 3, 3, border_mode='same', activation='relu', input_shape=(1, 8, 8)))
image_model.add(MaxPooling2D(pool_size=(2, 2)))
image_model.add(Flatten())
image_model.add(Dense(10, activation='softmax'))
image_model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['acc'])
image_model.fit_generator(datagen.flow(X_train, Y_train, batch_size=32),
                          samples_per_epoch=len(X_train), nb_epoch=4, verbose=0)
print('Digits test accuracy:', image_model.evaluate(X_test, Y_test, verbose=0)[1])
