"""lamina.text's classifiers on a generated corpus whose label is decided by a few planted phrases among random
words: each reaches high held-out accuracy; Kim's defaults are in the built CNN."""
import numpy as np
import pytest

from lamina.layers import Conv1D, TextVectorization
from lamina.text import text_cnn, text_model
from lamina.utils import set_random_seed

PLANTED = {0: ["utterly awful", "hated it", "waste of time"], 1: ["truly wonderful", "loved it", "a delight"]}


def corpus(count, seed):
    rng = np.random.default_rng(seed)
    filler = [f"word{index}" for index in range(300)]
    texts, labels = [], []
    for _ in range(count):
        label = int(rng.integers(2))
        words = list(rng.choice(filler, rng.integers(8, 20)))
        words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(PLANTED[label])))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def data():
    (train, train_labels), (test, test_labels) = corpus(1000, 0), corpus(300, 1)
    return train, train_labels, test, test_labels


@pytest.mark.parametrize("architecture, ngrams, epochs", [("cnn", None, 4), ("rnn", None, 6), ("fasttext", 2, 12)])
def test_each_architecture_learns_the_planted_phrases(data, architecture, ngrams, epochs):
    train, train_labels, test, test_labels = data
    set_random_seed(0)
    vectorize = TextVectorization(output_sequence_length=30, ngrams=ngrams)
    vectorize.adapt(train)
    model = text_model(architecture, vectorize.vocabulary_size(), 2, sequence_length=30)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(vectorize(train), train_labels, epochs=epochs, batch_size=32, verbose=0)
    accuracy = model.evaluate(vectorize(test), test_labels, verbose=0)[1]
    assert accuracy >= 0.95, accuracy


def test_the_cnn_has_kims_defaults():
    model = text_cnn(1000, 2, sequence_length=40)
    convolutions = [layer for layer in model.layers if isinstance(layer, Conv1D)]
    assert [(layer.kernel_size, layer.filters) for layer in convolutions] == [((3,), 100), ((4,), 100), ((5,), 100)]
    assert model.get_layer("dropout").rate == 0.5
    assert model.get_layer("predictions").kernel_constraint.get_config()["max_value"] == 3.0
    assert model.get_layer("embedding").output_dim == 300


def test_an_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="invalid architecture='cnnn'. Did you mean 'cnn'"):
        text_model("cnnn", 10, 2)
