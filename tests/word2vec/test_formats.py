"""word2vec.c text/binary and GloVe files: byte-identical to gensim's, and both libraries read each other's files."""
import gc
import warnings

import numpy as np
import pytest

from lamina.word2vec.formats import save_word2vec_format
from lamina.word2vec.keyed_vectors import KeyedVectors

gensim_models = pytest.importorskip("gensim.models")

RNG = np.random.default_rng(11)
KEYS = ["the", "of", "wörld", "naïve", "猫", "x"] + [f"word{i}" for i in range(194)]
VECTORS = (RNG.standard_normal((len(KEYS), 9)) * np.logspace(-9, 9, 9)).astype(np.float32)
COUNTS = RNG.integers(1, 1000, len(KEYS))


def ours_and_theirs(counts=True):
    ours = KeyedVectors.from_vectors(KEYS, VECTORS.copy(), counts=COUNTS if counts else None)
    theirs = gensim_models.KeyedVectors(VECTORS.shape[1])
    theirs.add_vectors(KEYS, VECTORS.copy())
    if counts:
        for key, count in zip(KEYS, COUNTS):
            theirs.set_vecattr(key, "count", int(count))
    return ours, theirs


def assert_same(ours, theirs, counts=True):
    assert ours.index_to_key == list(theirs.index_to_key)
    assert ours.vectors.dtype == theirs.vectors.dtype
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    if counts:
        assert [ours.get_vecattr(k, "count") for k in ours.index_to_key] == \
               [theirs.get_vecattr(k, "count") for k in theirs.index_to_key]


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("options", [dict(), dict(prefix="pre_"), dict(write_header=False), dict(total_vec=999)])
def test_saved_files_are_byte_identical_to_gensim(tmp_path, binary, options):
    ours, theirs = ours_and_theirs()
    save_word2vec_format(ours, tmp_path / "ours", binary=binary, fvocab=tmp_path / "ours.vocab", **options)
    theirs.save_word2vec_format(str(tmp_path / "theirs"), binary=binary, fvocab=str(tmp_path / "theirs.vocab"),
                                **options)
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "theirs").read_bytes()
    assert (tmp_path / "ours.vocab").read_bytes() == (tmp_path / "theirs.vocab").read_bytes()


def test_without_counts_rows_are_written_in_order(tmp_path):
    ours, theirs = ours_and_theirs(counts=False)
    ours.save_word2vec_format(tmp_path / "ours.txt")
    theirs.save_word2vec_format(str(tmp_path / "theirs.txt"))  # gensim logs a warning about missing counts
    assert (tmp_path / "ours.txt").read_bytes() == (tmp_path / "theirs.txt").read_bytes()
    assert (tmp_path / "ours.txt").read_text(encoding="utf8").splitlines()[1].startswith("the ")
    with pytest.raises(ValueError, match="fvocab"):
        ours.save_word2vec_format(tmp_path / "x.txt", fvocab=tmp_path / "x.vocab")


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("options", [dict(), dict(limit=17), dict(datatype=np.float64), dict(limit=1000)])
def test_files_saved_by_gensim_load_identically(tmp_path, binary, options):
    _, theirs = ours_and_theirs()
    path = str(tmp_path / "vectors")
    theirs.save_word2vec_format(path, binary=binary)
    assert_same(KeyedVectors.load_word2vec_format(path, binary=binary, **options),
                gensim_models.KeyedVectors.load_word2vec_format(path, binary=binary, **options))


@pytest.mark.parametrize("binary", [False, True])
def test_files_saved_by_lamina_load_in_gensim(tmp_path, binary):
    ours, _ = ours_and_theirs()
    path = tmp_path / "vectors"
    ours.save_word2vec_format(path, binary=binary, fvocab=tmp_path / "vocab")
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary, fvocab=str(tmp_path / "vocab"))
    reloaded = KeyedVectors.load_word2vec_format(path, binary=binary, fvocab=tmp_path / "vocab")
    assert_same(reloaded, theirs)
    order = np.argsort(-COUNTS, kind="stable")
    assert reloaded.index_to_key == [KEYS[i] for i in order]
    np.testing.assert_array_equal(reloaded.vectors, VECTORS[order])
    assert reloaded.get_vecattr("wörld", "count") == COUNTS[KEYS.index("wörld")]


def test_word2vec_c_binary_with_newline_after_each_vector_loads(tmp_path):
    vectors = np.array([[1.0, 0.5, -2.0], [0.1, 0.2, 0.3], [9, 8, 7]], dtype="<f4")
    words = ["hello", "wörld", "</s>"]
    content = b"3 3\n" + b"".join(w.encode("utf8") + b" " + v.tobytes() + b"\n" for w, v in zip(words, vectors))
    (tmp_path / "c.bin").write_bytes(content)
    kv = KeyedVectors.load_word2vec_format(tmp_path / "c.bin", binary=True)
    assert kv.index_to_key == words
    np.testing.assert_array_equal(kv.vectors, vectors)
    assert_same(kv, gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / "c.bin"), binary=True))
    assert [kv.get_vecattr(w, "count") for w in words] == [3, 2, 1]


def test_binary_layout_is_the_documented_one(tmp_path):
    kv = KeyedVectors.from_vectors(["hello", "wörld"], np.array([[1, 2, 3], [0.1, 0.2, 0.3]], np.float32))
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    content = (tmp_path / "v.bin").read_bytes()
    assert len(content) == 41 and content.startswith(b"2 3\nhello \x00\x00\x80?")
    assert content[22:29] == "wörld ".encode("utf8")


def test_binary_reading_crosses_chunk_boundaries_and_vectors_larger_than_a_chunk(tmp_path):
    wide = RNG.standard_normal((3, 30000)).astype(np.float32)  # 120 kB per vector, more than one read chunk
    wide_kv = KeyedVectors.from_vectors(["a", "bb", "ccc"], wide)
    wide_kv.save_word2vec_format(tmp_path / "wide.bin", binary=True)
    np.testing.assert_array_equal(KeyedVectors.load_word2vec_format(tmp_path / "wide.bin", binary=True).vectors, wide)
    many = RNG.standard_normal((3000, 20)).astype(np.float32)
    many_kv = KeyedVectors.from_vectors([f"w{i}" for i in range(3000)], many)
    many_kv.save_word2vec_format(tmp_path / "many.bin", binary=True)
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "many.bin", binary=True)
    assert loaded.index_to_key == many_kv.index_to_key
    np.testing.assert_array_equal(loaded.vectors, many)


GLOVE = "the 0.418 0.24968 -0.41242\n, 0.013441 0.23682 -0.16899\nnaïve 1e-05 -3.5 2 \nof 9 9 9\n"


def gensim_glove(path, **options):
    """gensim's no_header loading leaves its second file handle unclosed (a ResourceWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        kv = gensim_models.KeyedVectors.load_word2vec_format(str(path), no_header=True, **options)
        gc.collect()
    return kv


@pytest.mark.parametrize("limit", [None, 2])
def test_glove_files_without_header_load_like_gensim(tmp_path, limit):
    path = tmp_path / "glove.txt"
    path.write_text(GLOVE, encoding="utf8")
    ours = KeyedVectors.load_word2vec_format(path, no_header=True, limit=limit)
    assert_same(ours, gensim_glove(path, limit=limit))
    assert ours.index_to_key == ["the", ",", "naïve", "of"][:limit]
    np.testing.assert_array_equal(ours["the"], np.float32([0.418, 0.24968, -0.41242]))
    with pytest.raises(ValueError, match="no_header=True"):
        KeyedVectors.load_word2vec_format(path)
    with pytest.raises(ValueError, match="text files only"):
        KeyedVectors.load_word2vec_format(path, no_header=True, binary=True)


def test_duplicate_words_keep_the_first_vector(tmp_path):
    (tmp_path / "dup.txt").write_text("3 2\na 1 2\nb 3 4\na 5 6\n", encoding="utf8")
    with pytest.warns(UserWarning, match="duplicate word 'a'"):
        kv = KeyedVectors.load_word2vec_format(tmp_path / "dup.txt")
    assert kv.index_to_key == ["a", "b"] and kv.vectors.shape == (2, 2)
    np.testing.assert_array_equal(kv["a"], [1, 2])
    assert [kv.get_vecattr(w, "count") for w in "ab"] == [3, 2]


def test_broken_files_raise_clear_errors(tmp_path):
    ours, _ = ours_and_theirs()
    ours.save_word2vec_format(tmp_path / "v.bin", binary=True)
    ours.save_word2vec_format(tmp_path / "v.txt")
    (tmp_path / "short.bin").write_bytes((tmp_path / "v.bin").read_bytes()[:500])
    with pytest.raises(EOFError, match="truncated"):
        KeyedVectors.load_word2vec_format(tmp_path / "short.bin", binary=True)
    (tmp_path / "short.txt").write_bytes(b"5 9\n" + (tmp_path / "v.txt").read_bytes().split(b"\n", 1)[1][:300])
    with pytest.raises((EOFError, ValueError)):
        KeyedVectors.load_word2vec_format(tmp_path / "short.txt")
    with pytest.raises(ValueError):
        KeyedVectors.load_word2vec_format(tmp_path / "v.bin")  # binary read as text
    (tmp_path / "bad.txt").write_text("2 3\na 1 2\n", encoding="utf8")
    with pytest.raises(ValueError, match="expected 3"):
        KeyedVectors.load_word2vec_format(tmp_path / "bad.txt")


def test_unicode_errors_option_matches_gensim(tmp_path):
    cut = "猫".encode("utf8")[:2]  # word2vec.c truncates long words mid-character
    vector = np.ones(2, "<f4").tobytes()
    (tmp_path / "v.bin").write_bytes(b"2 2\n" + cut + b" " + vector + b"ok " + vector)
    with pytest.raises(UnicodeDecodeError):
        KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True)
    ours = KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True, unicode_errors="ignore")
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True,
                                                            unicode_errors="ignore")
    assert_same(ours, theirs)


@pytest.mark.parametrize("name, options", [
    ("word2vec_pre_kv_c", dict()),
    ("euclidean_vectors.bin", dict(binary=True)),
    ("high_precision.kv.txt", dict(datatype=np.float64)),
    ("high_precision.kv.bin", dict(binary=True, datatype=np.float64)),
    ("lee_fasttext.vec", dict(limit=300)),
    ("test_glove.txt", dict(no_header=True)),
])
def test_gensims_own_fixture_files_load_identically(name, options):
    test_utils = pytest.importorskip("gensim.test.utils")
    path = test_utils.datapath(name)
    no_header = options.pop("no_header", False)
    ours = KeyedVectors.load_word2vec_format(path, no_header=no_header, **options)
    if no_header:
        theirs = gensim_glove(path, **options)
    else:
        theirs = gensim_models.KeyedVectors.load_word2vec_format(path, **options)
    assert len(ours) > 1
    assert_same(ours, theirs)


def test_a_header_announcing_too_many_words_raises_eof_error():
    test_utils = pytest.importorskip("gensim.test.utils")
    with pytest.raises(EOFError, match="announces"):
        KeyedVectors.load_word2vec_format(test_utils.datapath("pretrained.vec"))
