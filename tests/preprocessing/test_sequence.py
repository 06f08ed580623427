"""pad_sequences, skipgrams and make_sampling_table against Keras 3 (keras.utils / keras.src.legacy)."""
import random
import warnings

import numpy as np
import pytest

from lamina.preprocessing import sequence
from oracle import keras


def keras_sequence():
    from keras.src.legacy.preprocessing import sequence as keras_module

    return keras_module


SEQUENCES = [[1, 2, 3, 4, 5], [6], [], [7, 8, 9], [3, 1, 4, 1, 5, 9, 2, 6]]


@pytest.mark.parametrize("options", [
    {}, {"maxlen": 3}, {"maxlen": 6, "padding": "post"}, {"maxlen": 4, "truncating": "post"},
    {"maxlen": 4, "padding": "post", "truncating": "post", "value": -1}, {"dtype": "float32", "value": 0.5},
    {"maxlen": 10, "dtype": "int64"},
])
def test_pad_sequences_equals_keras(options):
    expected = keras().utils.pad_sequences(SEQUENCES, **options)
    actual = sequence.pad_sequences(SEQUENCES, **options)
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


def test_pad_sequences_of_vectors_and_strings_equal_keras():
    vectors = [np.ones((2, 3)), np.arange(12.0).reshape(4, 3)]
    np.testing.assert_array_equal(sequence.pad_sequences(vectors, maxlen=3, dtype="float32"),
                                  keras().utils.pad_sequences(vectors, maxlen=3, dtype="float32"))
    words = [["a", "b"], ["c"]]
    expected = keras().utils.pad_sequences(words, dtype=object, value="<pad>")
    np.testing.assert_array_equal(sequence.pad_sequences(words, dtype=object, value="<pad>"), expected)


def test_pad_sequences_errors_name_the_problem():
    with pytest.raises(ValueError, match="`padding` must be 'pre' or 'post', received 'middle'"):
        sequence.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="not iterable"):
        sequence.pad_sequences([1, 2])
    with pytest.raises(ValueError, match="pass dtype=object"):
        sequence.pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match=r"sequence 1 have shape \(2,\)"):
        sequence.pad_sequences([np.ones((2, 3)), np.ones((2, 2))])


def test_make_sampling_table_equals_keras():
    # float64, values O(1e-3..1): a log (not correctly rounded; numpy picks its SIMD or libm version per CPU), a
    # square root and a few roundings: rtol 1e-12.
    for size, factor in ((1, 1e-5), (50, 1e-5), (1000, 1e-3)):
        np.testing.assert_allclose(sequence.make_sampling_table(size, factor),
                                   keras_sequence().make_sampling_table(size, factor), rtol=1e-12, atol=0)


def _both(options, sentences, random_seed):
    """Runs Keras's and lamina's skipgrams over the same sentences from the same Python random state."""
    random.seed(random_seed)
    with warnings.catch_warnings():  # Keras draws its shuffle seed with randint(0, 10e6), a float (deprecated)
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = [keras_sequence().skipgrams(sentence, **options) for sentence in sentences]
    random.seed(random_seed)
    return expected, [sequence.skipgrams(sentence, **options) for sentence in sentences]


SENTENCES = [[1, 2, 3, 4, 5, 0, 6, 7], [9, 8, 7, 6, 5, 4, 3, 2, 1], [0, 0, 3], [4, 11, 2, 2, 7]]


@pytest.mark.parametrize("options", [
    {"vocabulary_size": 12, "seed": 42},
    {"vocabulary_size": 12, "seed": 1, "window_size": 2, "negative_samples": 2.5, "categorical": True},
    {"vocabulary_size": 12, "shuffle": False},
    {"vocabulary_size": 12},
    {"vocabulary_size": 12, "seed": 3, "negative_samples": 0.0},
    {"vocabulary_size": 12, "seed": 5, "sampling_table": np.linspace(0.1, 0.9, 12)},
])
def test_skipgrams_equal_keras_for_the_same_seed_and_random_state(options):
    expected, actual = _both(options, SENTENCES, random_seed=7)
    assert actual == expected
    assert any(labels for _, labels in actual)


def test_skipgrams_pairs_are_neighbours_and_negatives_are_in_the_vocabulary():
    random.seed(0)
    couples, labels = sequence.skipgrams([1, 2, 3, 4], vocabulary_size=10, window_size=1, seed=3)
    positives = sorted(tuple(pair) for pair, label in zip(couples, labels) if label == 1)
    assert positives == [(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3)]
    negatives = [pair for pair, label in zip(couples, labels) if label == 0]
    assert len(negatives) == 6 and all(1 <= context <= 9 for _, context in negatives)


def test_pad_sequences_is_the_one_in_lamina_utils():
    import lamina.utils

    assert sequence.pad_sequences is lamina.utils.pad_sequences
