import numpy as np
import pytest
import torch

from lamina.utils import normalize, pad_sequences, set_random_seed, to_categorical
from oracle import keras


def test_to_categorical_matches_keras_and_accepts_keras1_name():
    labels = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(to_categorical(labels), keras().utils.to_categorical(labels))
    np.testing.assert_array_equal(to_categorical(labels, nb_classes=4), keras().utils.to_categorical(labels, 4))
    with pytest.raises(ValueError, match="label 2 is out of range for num_classes=2"):
        to_categorical(labels, 2)


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 2, 5])
def test_pad_sequences_matches_keras(padding, truncating, maxlen):
    sequences = [[1, 2, 3], [4], [], [5, 6]]
    expected = keras().utils.pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
    actual = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(actual, expected)
    assert actual.dtype == expected.dtype


def test_normalize_matches_keras():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(normalize(x), keras().utils.normalize(x), rtol=1e-6)


def test_set_random_seed_repeats_torch_and_numpy_draws():
    set_random_seed(5)
    first = torch.rand(3), np.random.rand(3)
    set_random_seed(5)
    second = torch.rand(3), np.random.rand(3)
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    with pytest.raises(ValueError, match="non-negative integer"):
        set_random_seed(-1)
