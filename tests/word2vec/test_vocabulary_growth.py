"""trim_rule and build_vocab(update=True) (online training), with gensim as the oracle for the vocabulary."""

import numpy as np
import pytest
from gensim import utils as gensim_utils
from gensim.models import Word2Vec as GensimWord2Vec
from test_training import planted_corpus

from lamina.word2vec import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Word2Vec


def zipf_sentences(seed, count=400, prefix="w"):
    rng = np.random.default_rng(seed)
    return [[f"{prefix}{int(k)}" for k in rng.zipf(1.3, size=12) % 300] for _ in range(count)]


def trim_odd_keep_rare(word, count, min_count):
    """Discard words ending in an odd digit, keep w7x words whatever their count."""
    if word.startswith("w7"):
        return RULE_KEEP
    return RULE_DISCARD if word[-1] in "13579" else RULE_DEFAULT


def test_rule_constants_are_gensims():
    assert (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP) == (
        gensim_utils.RULE_DEFAULT, gensim_utils.RULE_DISCARD, gensim_utils.RULE_KEEP)


@pytest.mark.parametrize("options", [{}, {"max_vocab_size": 60}])
def test_trim_rule_matches_gensim(options):
    sentences = zipf_sentences(5)
    ours = Word2Vec(sentences, min_count=3, epochs=1, workers=1, trim_rule=trim_odd_keep_rare, **options)
    theirs = GensimWord2Vec(min_count=3, **options)
    theirs.build_vocab(sentences, trim_rule=trim_odd_keep_rare)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert any(word.startswith("w7") for word in ours.wv.index_to_key)
    assert not any(word[-1] in "13579" and not word.startswith("w7") for word in ours.wv.index_to_key)


def test_update_grows_the_vocabulary_like_gensim_and_keeps_trained_weights():
    first, second = zipf_sentences(1), zipf_sentences(2, prefix="w") + zipf_sentences(3, count=100, prefix="n")
    ours = Word2Vec(first, vector_size=10, min_count=3, epochs=1, workers=1, hs=1, seed=4)
    theirs = GensimWord2Vec(first, vector_size=10, min_count=3, epochs=1, workers=1, hs=1, seed=4)
    trained = ours.wv.vectors.copy(), ours.syn1neg.copy(), ours.syn1.copy()
    size = len(ours.wv)
    ours.build_vocab(second, update=True)
    theirs.build_vocab(second, update=True)

    assert ours.wv.index_to_key == theirs.wv.index_to_key and len(ours.wv) > size
    counts = [theirs.wv.get_vecattr(word, "count") for word in theirs.wv.index_to_key]
    np.testing.assert_array_equal(ours.wv.expandos["count"], counts)
    np.testing.assert_allclose(ours.cum_table.astype(np.int64), theirs.cum_table.astype(np.int64), atol=1)
    assert ours.corpus_count == theirs.corpus_count == len(second)
    np.testing.assert_array_equal(ours.wv.vectors[size:], theirs.wv.vectors[size:])  # gensim's start vectors
    np.testing.assert_array_equal(ours.wv.vectors[:size], trained[0])
    np.testing.assert_array_equal(ours.syn1neg[:size], trained[1])
    np.testing.assert_array_equal(ours.syn1[:size - 1], trained[2])
    assert not ours.syn1neg[size:].any() and ours.syn1.shape == (len(ours.wv) - 1, 10)
    assert ours.wv["n1"].shape == (10,) and ours.wv.get_index("n1") >= size


def test_online_training_teaches_new_words_their_neighbours():
    corpus = planted_corpus(40_000, seed=1)
    model = Word2Vec(corpus, vector_size=30, min_count=5, epochs=5, workers=2, seed=2)
    renamed = [[{"paris": "lutetia", "berlin": "berolina"}.get(word, word) for word in sentence]
               for sentence in planted_corpus(40_000, seed=2)]
    model.build_vocab(renamed, update=True)
    model.train(renamed, total_examples=model.corpus_count, epochs=5)
    assert {"lutetia", "berolina"} <= set(model.wv.key_to_index)
    assert "france" in [word for word, _ in model.wv.most_similar("lutetia", topn=5)]
    assert "germany" in [word for word, _ in model.wv.most_similar("berolina", topn=5)]


def test_a_grown_model_saves_and_continues_bitwise(tmp_path):
    model = Word2Vec(zipf_sentences(1), vector_size=8, min_count=3, epochs=1, workers=1, seed=4)
    model.build_vocab(zipf_sentences(3, prefix="n"), update=True)
    model.save(tmp_path / "grown.w2v")
    loaded = Word2Vec.load(tmp_path / "grown.w2v")
    for each in (model, loaded):
        each.train(zipf_sentences(6), total_examples=400, epochs=1)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)


def test_update_before_any_vocabulary_names_the_fix():
    with pytest.raises(ValueError, match=r"no vocabulary to grow yet. Call build_vocab\(corpus\) first"):
        Word2Vec(min_count=1).build_vocab([["a", "b"]], update=True)
