"""TextVectorization against Keras 3's (which runs TensorFlow's string ops): vocabularies and outputs for every
output mode, standardize and split option and ngrams setting; given vocabularies; config round trips."""
import numpy as np
import pytest
import torch

from lamina.layers import TextVectorization
from oracle import keras

CORPUS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a bird?", "CAFÉ au lait, café",
          "  spaces\tand\ttabs  here ", "it's the cat's toy", "", "the the the dog"]
QUERIES = ["the cat and the dog", "Unknown words only", "", "café CAFÉ it's"]


def both(**arguments):
    ours, theirs = TextVectorization(**arguments), keras().layers.TextVectorization(**arguments)
    ours.adapt(CORPUS)
    theirs.adapt(CORPUS)
    return ours, theirs


def assert_same(ours, theirs, queries=QUERIES):
    assert ours.get_vocabulary() == [str(token) for token in theirs.get_vocabulary()]
    expected = np.asarray(theirs(queries))
    actual = ours(queries).numpy()
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("output_mode", ["int", "multi_hot", "count", "tf_idf"])
@pytest.mark.parametrize("max_tokens", [None, 8])
def test_every_output_mode_equals_keras(output_mode, max_tokens):
    assert_same(*both(output_mode=output_mode, max_tokens=max_tokens))


@pytest.mark.parametrize("standardize", [None, "lower", "strip_punctuation", "lower_and_strip_punctuation"])
@pytest.mark.parametrize("split", ["whitespace", "character", None])
def test_standardize_and_split_options_equal_keras(standardize, split):
    queries = np.array(QUERIES)[:, None] if split is None else QUERIES  # unsplit: one token per (N, 1) row
    assert_same(*both(standardize=standardize, split=split), queries)


@pytest.mark.parametrize("ngrams", [2, (1, 3), (2,)])
@pytest.mark.parametrize("output_mode", ["int", "tf_idf"])
def test_ngrams_equal_keras(ngrams, output_mode):
    assert_same(*both(ngrams=ngrams, output_mode=output_mode))


@pytest.mark.parametrize("output_mode, arguments", [("int", {"output_sequence_length": 4}),
                                                    ("int", {"output_sequence_length": 12}),
                                                    ("multi_hot", {"max_tokens": 40, "pad_to_max_tokens": True}),
                                                    ("tf_idf", {"max_tokens": 40, "pad_to_max_tokens": True})])
def test_lengths_and_padding_equal_keras(output_mode, arguments):
    assert_same(*both(output_mode=output_mode, **arguments))


def test_a_given_vocabulary_and_idf_weights_equal_keras(tmp_path):
    vocabulary = ["the", "cat", "dog", "mat"]
    assert_same(TextVectorization(vocabulary=vocabulary), keras().layers.TextVectorization(vocabulary=vocabulary))
    assert TextVectorization(vocabulary=["", "[UNK]"] + vocabulary).get_vocabulary() == ["", "[UNK]"] + vocabulary
    (tmp_path / "vocabulary.txt").write_text("\n".join(vocabulary) + "\n")
    assert TextVectorization(vocabulary=str(tmp_path / "vocabulary.txt")).get_vocabulary()[2:] == vocabulary
    weights = [0.5, 1.0, 1.5, 2.0]
    arguments = {"vocabulary": vocabulary, "idf_weights": weights, "output_mode": "tf_idf"}
    ours, theirs = TextVectorization(**arguments), keras().layers.TextVectorization(**arguments)
    assert_same(ours, theirs)


def test_adapt_takes_arrays_batches_and_text_label_pairs():
    reference = TextVectorization()
    reference.adapt(CORPUS)
    batches = [(np.array(CORPUS[:4]), np.zeros(4)), (np.array(CORPUS[4:]), np.ones(4))]
    for data in (np.array(CORPUS), np.array(CORPUS)[:, None], iter(batches), (text for text in CORPUS)):
        layer = TextVectorization()
        layer.adapt(data)
        assert layer.get_vocabulary() == reference.get_vocabulary()
    assert reference(np.array(QUERIES)).tolist() == reference(QUERIES).tolist()


def test_the_config_carries_the_vocabulary_and_rebuilds_the_layer():
    layer = TextVectorization(output_mode="tf_idf", ngrams=2, max_tokens=30)
    layer.adapt(CORPUS)
    clone = TextVectorization.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    torch.testing.assert_close(clone(QUERIES), layer(QUERIES))
    keras_clone = keras().layers.TextVectorization.from_config(
        {**layer.get_config(), "vocabulary": layer.get_vocabulary()})  # Keras reads lamina's config
    np.testing.assert_allclose(np.asarray(keras_clone(QUERIES)), layer(QUERIES).numpy(), rtol=1e-6)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="invalid output_mode='one_hott'"):
        TextVectorization(output_mode="one_hott")
    with pytest.raises(ValueError, match="output_sequence_length applies to output_mode='int' only"):
        TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="needs `idf_weights`"):
        TextVectorization(output_mode="tf_idf", vocabulary=["a"])
    with pytest.raises(ValueError, match=r"repeats tokens .* \['a'\]"):
        TextVectorization(vocabulary=["a", "b", "a"])
    with pytest.raises(TypeError, match=r"pass a batch of strings \(a list, e.g. \[text\]\)"):
        TextVectorization(vocabulary=["a"])("a b")
    with pytest.raises(ValueError, match="sparse and ragged outputs are not available"):
        TextVectorization(ragged=True)
