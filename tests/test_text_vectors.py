"""lamina.text.pretrained_embedding: rows equal the vectors, missing words drawn as Kim's, static rows unchanged
by fit(), and word2vec binary, word2vec text and GloVe files read alike."""
import numpy as np
import pytest

from lamina.layers import Dense, GlobalAveragePooling1D, TextVectorization
from lamina.models import Sequential
from lamina.text import pretrained_embedding
from lamina.word2vec import KeyedVectors

WORDS = ["good", "bad", "film", "plot", "great", "boring"]


@pytest.fixture
def vectors():
    keyed = KeyedVectors(8)
    keyed.add_vectors(WORDS, np.random.default_rng(0).normal(0, 0.4, (len(WORDS), 8)).astype(np.float32))
    return keyed


@pytest.fixture
def vectorize():
    layer = TextVectorization(output_sequence_length=5)
    layer.adapt(["good film great plot", "bad boring film", "unseen words here film"])
    return layer


def test_rows_are_the_vectors_and_missing_words_are_uniform_with_their_variance(vectors, vectorize):
    embedding, coverage = pretrained_embedding(vectors, vectorize, seed=1)
    matrix = embedding.get_weights()[0]
    vocabulary = vectorize.get_vocabulary()
    for index, word in enumerate(vocabulary):
        if word in WORDS:
            np.testing.assert_array_equal(matrix[index], vectors[word])
    np.testing.assert_array_equal(matrix[0], 0)
    limit = np.sqrt(3 * vectors.vectors.var())
    missing_rows = matrix[[vocabulary.index(word) for word in coverage.missing]]
    assert np.abs(missing_rows).max() <= limit and np.abs(missing_rows).max() > limit / 2
    assert sorted(coverage.missing) == ["here", "unseen", "words"] and (coverage.found, coverage.total) == (6, 9)
    assert str(coverage) == "6 of 9 words have vectors (66.7%)"


def test_static_embeddings_stay_unchanged_by_fit_and_non_static_ones_train(vectors, vectorize):
    ids = vectorize(["good film", "bad boring film", "great plot", "boring"]).numpy()
    labels = np.array([1, 0, 1, 0])
    for trainable in (False, True):
        embedding, _ = pretrained_embedding(vectors, vectorize, trainable=trainable)
        before = embedding.get_weights()[0].copy()
        model = Sequential([embedding, GlobalAveragePooling1D(), Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy")
        model.fit(ids, labels, epochs=3, verbose=0)
        changed = not np.array_equal(before, embedding.get_weights()[0])
        assert changed == trainable


def test_word2vec_binary_text_and_glove_files_give_the_same_rows(vectors, vectorize, tmp_path):
    vectors.save_word2vec_format(tmp_path / "v.bin", binary=True)
    vectors.save_word2vec_format(tmp_path / "v.txt")
    vectors.save_word2vec_format(tmp_path / "glove.txt", write_header=False)
    expected = pretrained_embedding(vectors, vectorize)[0].get_weights()[0]
    for name in ("v.bin", "v.txt", "glove.txt"):
        np.testing.assert_allclose(pretrained_embedding(tmp_path / name, vectorize)[0].get_weights()[0], expected,
                                   atol=1e-6)
