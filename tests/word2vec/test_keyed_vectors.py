"""KeyedVectors against gensim (the oracle) on the same vectors: similarity queries and benchmarks agree."""
import os

import numpy as np
import pytest
import torch

from lamina.word2vec.evaluation import average_ranks, pearson_correlation, spearman_correlation
from lamina.word2vec.keyed_vectors import KeyedVectors

gensim_models = pytest.importorskip("gensim.models")

SIZE = 16


def _vocabulary():
    """400 random words plus planted structure: near-duplicates, an analogy, case variants."""
    rng = np.random.default_rng(7)
    keys = [f"w{i}" for i in range(400)]
    vectors = rng.standard_normal((400, SIZE)).astype(np.float32)
    base = {name: rng.standard_normal(SIZE).astype(np.float32) for name in ["king", "man", "woman", "paris",
                                                                           "france", "italy", "cat"]}
    base["queen"] = base["king"] - base["man"] + base["woman"] + 0.05 * rng.standard_normal(SIZE).astype(np.float32)
    base["rome"] = base["paris"] - base["france"] + base["italy"] + 0.05 * rng.standard_normal(SIZE).astype(np.float32)
    base["kitten"] = base["cat"] + 0.1 * rng.standard_normal(SIZE).astype(np.float32)
    base["Paris"] = base["paris"] + 0.3 * rng.standard_normal(SIZE).astype(np.float32)
    words = list(base)
    keys = words + keys
    vectors = np.vstack([np.stack([base[word] for word in words]), vectors]).astype(np.float32)
    counts = np.arange(len(keys) * 10, 0, -10)
    return keys, vectors, counts


KEYS, VECTORS, COUNTS = _vocabulary()


@pytest.fixture(scope="module")
def pair():
    """(lamina KeyedVectors, gensim KeyedVectors) holding the same vectors and counts."""
    ours = KeyedVectors.from_vectors(KEYS, VECTORS.copy(), counts=COUNTS)
    theirs = gensim_models.KeyedVectors(SIZE)
    theirs.add_vectors(KEYS, VECTORS.copy())
    for key, count in zip(KEYS, COUNTS):
        theirs.set_vecattr(key, "count", int(count))
    return ours, theirs


def gensim_cosmul(kv, **query):
    """gensim's most_similar_cosmul, which calls its own deprecated init_sims."""
    with pytest.warns(DeprecationWarning, match="init_sims"):
        return kv.most_similar_cosmul(**query)


def assert_same_neighbours(ours, theirs):
    assert [word for word, _ in ours] == [word for word, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("query", [
    dict(positive="king"),
    dict(positive=["king", "woman"], negative=["man"], topn=3),
    dict(positive=["paris", "italy"], negative="france", topn=5),
    dict(positive=[("king", 2.0), "woman"], negative=[("man", -0.5)]),
    dict(negative=["cat"], topn=4),
    dict(positive=["cat"], topn=5, restrict_vocab=50),
    dict(positive=["w3", "w5"], topn=20, clip_start=10, clip_end=200),
    dict(positive=["cat", "kitten", "w1"], topn=500),
])
def test_most_similar_matches_gensim(pair, query):
    ours, theirs = pair
    assert_same_neighbours(ours.most_similar(**query), theirs.most_similar(**query))


def test_most_similar_accepts_vectors_and_returns_all_scores_with_topn_none(pair):
    ours, theirs = pair
    vector = VECTORS[3] * 2 + VECTORS[20]
    assert_same_neighbours(ours.most_similar(positive=[vector], negative=["w9"], topn=7),
                           theirs.most_similar(positive=[vector], negative=["w9"], topn=7))
    assert_same_neighbours(ours.similar_by_vector(vector, topn=4), theirs.similar_by_vector(vector, topn=4))
    assert_same_neighbours(ours.similar_by_word("kitten", topn=4), theirs.similar_by_word("kitten", topn=4))
    everything = ours.most_similar("king", topn=None)
    assert everything.shape == (len(KEYS),)
    np.testing.assert_allclose(everything, theirs.most_similar("king", topn=None), rtol=1e-5, atol=1e-6)
    assert ours.most_similar("king", topn=0) == []


def test_planted_neighbours_are_found(pair):
    ours, _ = pair
    assert ours.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    assert ours.most_similar("kitten", topn=1)[0][0] == "cat"


@pytest.mark.parametrize("query", [
    dict(positive=["king", "woman"], negative=["man"], topn=3),
    dict(positive=["paris", "italy"], negative=["france"]),
    dict(positive="cat", topn=6),
    dict(positive=["w1", "w2", "w3"], negative=["w4", "w5"], topn=8),
])
def test_most_similar_cosmul_matches_gensim(pair, query):
    ours, theirs = pair
    assert_same_neighbours(ours.most_similar_cosmul(**query), gensim_cosmul(theirs, **query))


def test_pairwise_measures_match_gensim(pair):
    ours, theirs = pair
    for first, second in [("king", "queen"), ("cat", "w17"), ("w3", "w3")]:
        assert ours.similarity(first, second) == pytest.approx(theirs.similarity(first, second), abs=1e-6)
        assert ours.distance(first, second) == pytest.approx(theirs.distance(first, second), abs=1e-6)
        assert ours.rank(first, second) == theirs.rank(first, second)
    assert ours.n_similarity(["king", "w1"], ["queen", "w2", "w3"]) == pytest.approx(
        theirs.n_similarity(["king", "w1"], ["queen", "w2", "w3"]), abs=1e-6)
    np.testing.assert_allclose(ours.distances("cat"), theirs.distances("cat"), atol=1e-6)
    np.testing.assert_allclose(ours.distances(VECTORS[5], ["w1", "kitten"]),
                               theirs.distances(VECTORS[5], ["w1", "kitten"]), atol=1e-6)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities(VECTORS[0], VECTORS[:30]),
                               gensim_models.KeyedVectors.cosine_similarities(VECTORS[0], VECTORS[:30]), atol=1e-6)
    assert ours.closer_than("cat", "w40") == theirs.closer_than("cat", "w40")
    with pytest.raises(ZeroDivisionError):
        ours.n_similarity([], ["cat"])


@pytest.mark.parametrize("words", [["cat", "kitten", "king"], ["king", "queen", "w8", "man"], ["w1", "w2", "w3"]])
def test_doesnt_match_matches_gensim(pair, words):
    ours, theirs = pair
    assert ours.doesnt_match(words) == theirs.doesnt_match(words)


def test_lookup_indexing_and_counts(pair):
    ours, theirs = pair
    assert len(ours) == len(KEYS) and ours.vector_size == SIZE and "kitten" in ours and "dog" not in ours
    assert ours.get_index("kitten") == theirs.get_index("kitten") == KEYS.index("kitten")
    assert ours.get_index("dog", -1) == -1
    np.testing.assert_array_equal(ours["cat"], VECTORS[KEYS.index("cat")])
    np.testing.assert_array_equal(ours[["cat", "w0"]], theirs[["cat", "w0"]])
    np.testing.assert_allclose(ours.get_vector("cat", norm=True), theirs.get_vector("cat", norm=True), atol=1e-7)
    assert ours.get_vecattr("w5", "count") == theirs.get_vecattr("w5", "count")


def test_unknown_words_raise_key_error_with_a_suggestion(pair):
    ours, _ = pair
    with pytest.raises(KeyError, match="Key 'kiten' not present in vocabulary. Did you mean 'kitten'"):
        ours["kiten"]
    with pytest.raises(KeyError, match="Key 'quen' not present"):
        ours.most_similar(positive=["quen"])
    with pytest.raises(KeyError, match="not present"):
        ours.similarity("cat", "zzzz")


def test_from_vectors_shares_memory_and_fill_norms_force_sees_updates():
    vectors = VECTORS[:10].copy()
    kv = KeyedVectors.from_vectors(KEYS[:10], vectors)
    assert kv.vectors is vectors and kv.key_to_index["king"] == 0 and kv.index_to_key == KEYS[:10]
    kv.fill_norms()
    vectors *= 3.0  # a trainer updating in place
    kv.fill_norms()
    np.testing.assert_allclose(kv.norms, np.linalg.norm(VECTORS[:10], axis=1), rtol=1e-6)
    kv.fill_norms(force=True)
    np.testing.assert_allclose(kv.norms, 3 * np.linalg.norm(VECTORS[:10], axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        KeyedVectors.from_vectors(["a", "b"], np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="distinct"):
        KeyedVectors.from_vectors(["a", "a"], np.zeros((2, 2), np.float32))


def test_constructor_and_add_vector_like_gensim():
    kv = KeyedVectors(3, count=2)
    assert kv.vectors.shape == (2, 3) and kv.vectors.dtype == np.float32
    assert kv.add_vector("a", [1, 2, 3]) == 0 and kv.add_vector("b", [0, 1, 0]) == 1
    assert kv.add_vector("c", [1, 1, 1]) == 2
    assert kv.index_to_key == ["a", "b", "c"] and kv.vectors.shape == (3, 3)
    np.testing.assert_array_equal(kv["a"], [1, 2, 3])
    kv.add_vectors(["c", "d"], np.ones((2, 3)), replace=True)
    assert len(kv) == 4 and kv.most_similar("d", topn=1)[0][0] == "c"
    with pytest.raises(ValueError, match="vector_size"):
        KeyedVectors(0)


def test_to_embedding_layer_holds_the_vectors(pair):
    ours, _ = pair
    layer = ours.to_embedding_layer()
    ids = torch.as_tensor([[0, 5, 9], [3, 2, 1]])
    np.testing.assert_array_equal(layer(ids).detach().numpy(), VECTORS[ids.numpy()])
    assert not layer.trainable and ours.to_embedding_layer(trainable=True).trainable


def test_save_and_load_round_trip(tmp_path, pair):
    ours, _ = pair
    path = tmp_path / "words.kv"
    ours.save(path)
    loaded = KeyedVectors.load(path)
    assert loaded.index_to_key == ours.index_to_key and loaded.vector_size == SIZE
    np.testing.assert_array_equal(loaded.vectors, ours.vectors)
    assert loaded.get_vecattr("queen", "count") == ours.get_vecattr("queen", "count")
    assert loaded.most_similar("cat", topn=3) == ours.most_similar("cat", topn=3)
    assert os.listdir(tmp_path) == ["words.kv"]
    (tmp_path / "other.txt").write_text("2 3\n")
    with pytest.raises(ValueError, match="load_word2vec_format"):
        KeyedVectors.load(tmp_path / "other.txt")
    with pytest.raises(FileNotFoundError):
        KeyedVectors.load(tmp_path / "missing.kv")


ANALOGIES = """\
: royalty
king man queen woman
man king woman queen
KING MAN QUEEN WOMAN
king man queen unknownword
w1 w2 w3 w4
too few words
: capitals
paris france rome italy
france paris italy rome
Paris France Rome Italy
w10 w11 w12 w13
w5 w6 w7 w8
: empty
nope none zilch nada
"""


@pytest.mark.parametrize("options", [
    dict(),
    dict(dummy4unknown=True),
    dict(case_insensitive=False),
    dict(restrict_vocab=12),
])
def test_evaluate_word_analogies_matches_gensim(tmp_path, pair, options):
    ours, theirs = pair
    path = tmp_path / "questions-words.txt"
    path.write_text(ANALOGIES, encoding="utf8")
    our_score, our_sections = ours.evaluate_word_analogies(str(path), **options)
    their_score, their_sections = theirs.evaluate_word_analogies(str(path), **options)
    assert our_score == their_score
    assert our_sections == their_sections


def test_evaluate_word_analogies_needs_a_section_first(tmp_path, pair):
    ours, _ = pair
    path = tmp_path / "bad.txt"
    path.write_text("king man queen woman\n", encoding="utf8")
    with pytest.raises(ValueError, match="section"):
        ours.evaluate_word_analogies(path)


PAIRS = """\
# word1\tword2\tscore
king\tqueen\t8.5
cat\tkitten\t9.1
man\twoman\t7.0
w1\tw2\t1.5
w3\tw4\t2.0
w5\tw6\t2.0
PARIS\tfrance\t6.2
Paris\trome\t3.3
cat\tdog\t8.0
not a valid line
w7\tw8\tnotanumber
w9\tw10\t0.5
"""


@pytest.mark.parametrize("options", [dict(), dict(dummy4unknown=True), dict(case_insensitive=False),
                                     dict(restrict_vocab=20)])
def test_evaluate_word_pairs_matches_gensim(tmp_path, pair, options):
    ours, theirs = pair
    path = tmp_path / "pairs.tsv"
    path.write_text(PAIRS, encoding="utf8")
    our_pearson, our_spearman, our_oov = ours.evaluate_word_pairs(str(path), **options)
    their_pearson, their_spearman, their_oov = theirs.evaluate_word_pairs(str(path), **options)
    assert our_oov == pytest.approx(their_oov)
    for ours_result, theirs_result in [(our_pearson, their_pearson), (our_spearman, their_spearman)]:
        assert ours_result.statistic == pytest.approx(theirs_result.statistic, abs=1e-6)
        assert ours_result.pvalue == pytest.approx(theirs_result.pvalue, rel=1e-5, abs=1e-9)


def test_evaluate_word_pairs_without_usable_pairs_raises(tmp_path, pair):
    ours, _ = pair
    path = tmp_path / "pairs.tsv"
    path.write_text("# only a comment\nzz\tyy\t1.0\n", encoding="utf8")
    with pytest.raises(ValueError, match="no usable pair"):
        ours.evaluate_word_pairs(path)


def test_correlations_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    for n in [3, 7, 40, 300]:
        x = rng.integers(0, 6, n).astype(float)
        y = 0.4 * x + rng.standard_normal(n)
        for ours, theirs in [(pearson_correlation(x, y), stats.pearsonr(x, y)),
                             (spearman_correlation(x, y), stats.spearmanr(x, y))]:
            assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
            assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300)
        np.testing.assert_array_equal(average_ranks(x), stats.rankdata(x))


@pytest.mark.parametrize("replace", [False, True])
def test_add_vectors_matches_gensim(replace):
    ours, theirs = KeyedVectors(4), gensim_models.KeyedVectors(4)
    first = np.arange(12, dtype=np.float32).reshape(3, 4)
    second = -np.arange(16, dtype=np.float32).reshape(4, 4)
    for kv in (ours, theirs):
        kv.add_vectors(["a", "b", "c"], first)
        kv.add_vectors(["c", "d", "a", "e"], second, replace=replace)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)


def test_cosmul_restrict_vocab_limits_the_candidates(pair):
    ours, theirs = pair
    everything = ours.most_similar_cosmul(positive=["king"], topn=None)
    np.testing.assert_allclose(everything, gensim_cosmul(theirs, positive=["king"], topn=None), rtol=1e-6)
    restricted = ours.most_similar_cosmul(positive=["king"], topn=5, restrict_vocab=30)
    assert all(ours.get_index(word) < 30 for word, _ in restricted) and len(restricted) == 5


def test_sort_by_descending_frequency_moves_rows_with_their_words():
    kv = KeyedVectors.from_vectors(["rare", "common", "middle"], np.eye(3, dtype=np.float32), counts=[1, 9, 5])
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["common", "middle", "rare"] and kv.get_index("rare") == 2
    np.testing.assert_array_equal(kv["common"], [0, 1, 0])
    assert kv.get_vecattr("middle", "count") == 5
    with pytest.raises(KeyError, match="count"):
        KeyedVectors.from_vectors(["a"], np.ones((1, 2), np.float32)).sort_by_descending_frequency()
