"""Tokenizer, text_to_word_sequence, one_hot and hashing_trick against Keras 3's legacy text module."""
import json

import numpy as np
import pytest

from lamina.preprocessing import text


def keras_text():
    from keras.src.legacy.preprocessing import text as keras_module

    return keras_module


TEXTS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "Dogs and cats, cats and dogs: living together?",
    "the THE The tHe",
    "",
    "A new\tline\nand (brackets) [here] {there} email@example.com",
]
UNSEEN = ["The zebra sat on a cat", "unknown words only", "dogs dogs dogs ate the mat"]


def both_tokenizers(**options):
    lamina_tokenizer, keras_tokenizer = text.Tokenizer(**options), keras_text().Tokenizer(**options)
    lamina_tokenizer.fit_on_texts(TEXTS)
    keras_tokenizer.fit_on_texts(TEXTS)
    return lamina_tokenizer, keras_tokenizer


def assert_same_state(actual, expected):
    assert actual.word_index == expected.word_index
    assert list(actual.word_counts.items()) == list(expected.word_counts.items())
    assert dict(actual.word_docs) == dict(expected.word_docs)
    assert dict(actual.index_docs) == dict(expected.index_docs)
    assert actual.index_word == expected.index_word
    assert actual.document_count == expected.document_count


def assert_same_matrix(actual, expected):
    """Equal to float64 rounding. 'binary', 'count' and 'freq' are exact (integers, one division), but 'tfidf'
    takes two numpy logs, which are not correctly rounded and whose implementation numpy picks per CPU (SIMD or
    libm; lamina calls log on arrays, Keras on scalars): values O(1), a few roundings, rtol 1e-12."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=0)


OPTIONS = [
    {},
    {"num_words": 5},
    {"oov_token": "<OOV>"},
    {"num_words": 6, "oov_token": "<unk>"},
    {"lower": False},
    {"filters": "", "split": " "},
    {"filters": '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n', "split": "a"},
    {"char_level": True},
    {"char_level": True, "num_words": 8, "oov_token": "?"},
    {"analyzer": lambda t: t.split("e")},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_tokenizer_equals_keras(options):
    actual, expected = both_tokenizers(**options)
    assert_same_state(actual, expected)
    texts = TEXTS + UNSEEN
    sequences = actual.texts_to_sequences(texts)
    assert sequences == expected.texts_to_sequences(texts)
    assert actual.sequences_to_texts(sequences) == expected.sequences_to_texts(sequences)
    assert actual.sequences_to_texts([[0, 1, 2, 999]]) == expected.sequences_to_texts([[0, 1, 2, 999]])
    for mode in ("binary", "count", "tfidf", "freq"):
        assert_same_matrix(actual.texts_to_matrix(texts, mode=mode), expected.texts_to_matrix(texts, mode=mode))


def test_tokenizer_on_lists_of_words_and_sequences_equals_keras():
    words = [["Hello", "World"], ["hello", "again", "world", "world"]]
    actual, expected = text.Tokenizer(), keras_text().Tokenizer()
    for tokenizer in (actual, expected):
        tokenizer.fit_on_texts(words)
        tokenizer.fit_on_sequences([[1, 2, 2], [3], []])
    assert_same_state(actual, expected)
    assert actual.texts_to_sequences(words) == expected.texts_to_sequences(words)
    sequences = [[1, 2, 2, 7], [3], []]
    for mode in ("binary", "count", "tfidf", "freq"):
        assert_same_matrix(actual.sequences_to_matrix(sequences, mode), expected.sequences_to_matrix(sequences, mode))


def test_sequences_to_matrix_with_num_words_only_equals_keras():
    actual, expected = text.Tokenizer(num_words=4), keras_text().Tokenizer(num_words=4)
    for tokenizer in (actual, expected):
        tokenizer.fit_on_sequences([[1, 2], [2, 3, 3]])
    for mode in ("binary", "count", "tfidf", "freq"):
        assert_same_matrix(actual.sequences_to_matrix([[1, 3, 3, 9]], mode),
                           expected.sequences_to_matrix([[1, 3, 3, 9]], mode))


def test_keras1_nb_words_is_num_words():
    tokenizer = text.Tokenizer(nb_words=3)
    assert tokenizer.num_words == 3
    tokenizer.fit_on_texts(["a a a b b c"])
    assert tokenizer.texts_to_sequences(["a b c"]) == [[1, 2]]


def test_json_round_trips_both_ways_with_keras():
    actual, expected = both_tokenizers(num_words=7, oov_token="<OOV>")
    assert json.loads(actual.to_json()) == json.loads(expected.to_json())
    from_keras = text.tokenizer_from_json(expected.to_json())
    from_lamina = keras_text().tokenizer_from_json(actual.to_json())
    for restored in (from_keras, from_lamina):
        assert restored.word_index == expected.word_index
        assert restored.texts_to_sequences(UNSEEN) == expected.texts_to_sequences(UNSEEN)
        assert_same_matrix(restored.texts_to_matrix(UNSEEN, "tfidf"), expected.texts_to_matrix(UNSEEN, "tfidf"))
    assert from_keras.to_json() == keras_text().tokenizer_from_json(expected.to_json()).to_json()


def test_text_to_word_sequence_and_hashing_equal_keras():
    for sample in TEXTS + UNSEEN:
        for options in ({}, {"lower": False}, {"filters": ".", "split": "e"}):
            assert text.text_to_word_sequence(sample, **options) == keras_text().text_to_word_sequence(sample,
                                                                                                       **options)
        assert text.hashing_trick(sample, 17, "md5") == keras_text().hashing_trick(sample, 17, "md5")
        assert text.hashing_trick(sample, 5) == keras_text().hashing_trick(sample, 5)
        assert text.one_hot(sample, 30) == keras_text().one_hot(sample, 30)
        assert text.hashing_trick(sample, 9, len) == keras_text().hashing_trick(sample, 9, len)
    assert text.hashing_trick("the cat sat", 10, hash_function="md5") == [6, 3, 1]
    assert all(1 <= index <= 29 for index in text.one_hot(" ".join(TEXTS), 30))


def test_tokenizer_errors_name_the_problem():
    with pytest.raises(TypeError, match=r"unexpected keyword arguments: \['num_word'\]"):
        text.Tokenizer(num_word=3)
    with pytest.raises(ValueError, match="pass num_words"):
        text.Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="Did you mean 'tfidf'"):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfid")
    with pytest.raises(ValueError, match="call fit_on_texts"):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
