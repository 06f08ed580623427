"""lamina.text's classifiers on a generated corpus whose label is decided by a few planted phrases among random
words: each reaches high held-out accuracy; Kim's defaults are in the built CNN; occlusion finds the planted words."""
import numpy as np
import pytest
from PIL import Image

from lamina.datasets import reviews
from lamina.layers import Conv1D, TextVectorization
from lamina.text import (TokenImportance, highlighted_html, highlighted_picture, save_highlighted_html, text_cnn,
                         text_model, token_occlusion)
from lamina.utils import set_random_seed

@pytest.fixture(scope="module")
def data():
    (train, train_labels), (test, test_labels) = reviews.load_data(1000, 0), reviews.load_data(300, 1)
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


@pytest.fixture(scope="module")
def trained_cnn(data):
    train, train_labels, _, _ = data
    set_random_seed(0)
    vectorize = TextVectorization(output_sequence_length=30)
    vectorize.adapt(train)
    model = text_model("cnn", vectorize.vocabulary_size(), 2, sequence_length=30)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(vectorize(train), train_labels, epochs=4, batch_size=32, verbose=0)
    return model, vectorize


def test_occlusion_ranks_a_planted_word_first(trained_cnn, data):
    model, vectorize = trained_cnn
    _, _, test, test_labels = data
    planted_words = {word for phrases in reviews.PLANTED.values() for phrase in phrases for word in phrase.split()}
    for text, label in list(zip(test, test_labels))[:20]:
        explained = token_occlusion(model, vectorize, text, target=int(label))
        assert explained.tokens[int(np.argmax(explained.importances))] in planted_words, text
        ids = vectorize([text])
        assert explained.probability == pytest.approx(float(model.predict(ids, verbose=0)[0, label]), abs=1e-6)


def test_the_highlighted_text_escapes_and_draws_every_token(tmp_path):
    explained = TokenImportance(["<b>&", "loved", "it", "dull"], np.array([0.0, 0.6, 0.3, -0.2]), 1, 0.9)
    fragment = highlighted_html(explained, ["negative", "positive"])
    assert "&lt;b&gt;&amp;" in fragment and fragment.count("<span") == 4
    assert "rgba(220, 40, 40, 1.00)" in fragment and "rgba(40, 90, 220, 0.33)" in fragment
    save_highlighted_html(tmp_path / "why.html", explained, ["negative", "positive"])
    assert (tmp_path / "why.html").read_text().startswith("<!DOCTYPE html>")
    picture = highlighted_picture(tmp_path / "why.png", explained, ["negative", "positive"])
    with Image.open(tmp_path / "why.png") as written:
        assert written.size == picture.size and written.size[0] == 800
    pixels = np.asarray(picture).astype(int)
    assert ((pixels[..., 0] - pixels[..., 2]) > 150).any() and ((pixels[..., 2] - pixels[..., 0]) > 20).any()
