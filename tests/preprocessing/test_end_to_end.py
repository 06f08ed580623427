"""Augmented image folders feeding lamina's model.fit, in Keras 3 and Keras 1 style."""
import numpy as np
import pytest
import torch
from PIL import Image

from lamina.layers import Conv2D, Convolution2D, Dense, Flatten, MaxPooling2D
from lamina.legacy import LegacyArgumentWarning
from lamina.models import Sequential
from lamina.optimizers import Adam
from lamina.preprocessing.image import ImageDataGenerator
from lamina.utils import image_dataset_from_directory


@pytest.fixture
def two_class_folder(tmp_path):
    """Bright images in 'day', dark ones in 'night': a task a small model learns in a few steps."""
    rng = np.random.default_rng(1)
    for name, low, high in (("day", 150, 256), ("night", 0, 100)):
        (tmp_path / name).mkdir()
        for index in range(12):
            Image.fromarray(rng.integers(low, high, (12, 12, 3), dtype=np.uint8)).save(tmp_path / name / f"{index}.png")
    return tmp_path


def small_model(classes, activation):
    model = Sequential([Conv2D(4, 3, activation="relu", input_shape=(3, 12, 12)), MaxPooling2D(2), Flatten(),
                        Dense(classes, activation=activation)])
    return model


def test_flow_from_directory_feeds_fit(two_class_folder):
    generator = ImageDataGenerator(rescale=1 / 255, rotation_range=10, width_shift_range=0.1, horizontal_flip=True,
                                   validation_split=0.25)
    train = generator.flow_from_directory(str(two_class_folder), target_size=(12, 12), batch_size=6, seed=0,
                                          subset="training")
    validation = generator.flow_from_directory(str(two_class_folder), target_size=(12, 12), batch_size=6, seed=0,
                                               subset="validation")
    assert (train.samples, validation.samples) == (18, 6)
    model = small_model(2, "softmax")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    before = [weight.detach().clone() for weight in model.trainable_weights]
    history = model.fit(train, epochs=1, validation_data=validation, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and "val_accuracy" in history.history
    assert train.total_batches_seen == len(train) == 3
    assert any(not torch.equal(b, w.detach()) for b, w in zip(before, model.trainable_weights))


def test_keras1_style_fit_generator_with_samples_per_epoch(two_class_folder):
    datagen = ImageDataGenerator(rescale=1. / 255, shear_range=0.2, zoom_range=0.2, horizontal_flip=True,
                                 dim_ordering="th")
    train_generator = datagen.flow_from_directory(str(two_class_folder), target_size=(12, 12), batch_size=8,
                                                  class_mode="binary")
    model = Sequential()
    model.add(Convolution2D(4, 3, 3, input_shape=(3, 12, 12), activation="relu"))
    model.add(Flatten())
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    history = model.fit_generator(train_generator, samples_per_epoch=24, nb_epoch=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))
    assert train_generator.total_batches_seen == 6  # 24 samples per epoch in batches of 8


def test_image_dataset_from_directory_feeds_fit(two_class_folder):
    train, validation = image_dataset_from_directory(str(two_class_folder), image_size=(12, 12), batch_size=5,
                                                     seed=2, validation_split=0.25, subset="both", verbose=False)
    model = small_model(2, "softmax")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=validation, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(history.history["val_accuracy"]) == 3


def test_keras1_style_text_pipeline_trains():
    from lamina.layers import LSTM, Embedding
    from lamina.preprocessing.sequence import pad_sequences
    from lamina.preprocessing.text import Tokenizer

    texts = ["a great and wonderful film", "terrible boring film", "wonderful acting great story",
             "boring and terrible plot", "great fun", "terrible waste"] * 4
    labels = np.array([1, 0, 1, 0, 1, 0] * 4)
    tokenizer = Tokenizer(nb_words=12)
    tokenizer.fit_on_texts(texts)
    X = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=6)
    assert X.shape == (24, 6) and X.max() < 12
    model = Sequential()
    model.add(Embedding(12, 8, input_length=6))
    model.add(LSTM(4))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=0.05), metrics=["accuracy"])
    with pytest.warns(LegacyArgumentWarning, match="nb_epoch"):
        history = model.fit(X, labels, batch_size=8, nb_epoch=8, verbose=0)
    assert len(history.history["loss"]) == 8 and history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] == 1.0
