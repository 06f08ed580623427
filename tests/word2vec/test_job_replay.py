"""JobReplay: a file corpus is tokenised once per train() call and replayed identically in later epochs."""

import numpy as np

from lamina.word2vec import LineSentence, Word2Vec
from lamina.word2vec.corpus import JobReplay, iter_jobs


def write_corpus(path, sentences=300):
    rng = np.random.default_rng(0)
    path.write_text("\n".join(" ".join(f"w{k}" for k in rng.integers(0, 40, 9)) for _ in range(sentences)) + "\n")
    return path


def assert_same_jobs(actual, expected):
    assert len(actual) == len(expected) > 3
    for (indices, ends, raw, sentences), (indices2, ends2, raw2, sentences2) in zip(actual, expected):
        np.testing.assert_array_equal(indices, indices2)
        np.testing.assert_array_equal(ends, ends2)
        assert (raw, sentences) == (raw2, sentences2) and indices.dtype == np.int32 and ends.dtype == np.int64


def test_later_epochs_replay_the_first_epochs_jobs(tmp_path):
    corpus = LineSentence(write_corpus(tmp_path / "corpus.txt"))
    vocabulary = {f"w{k}": k for k in range(30)}  # w30..w39 are out of vocabulary
    expected = list(iter_jobs(corpus, vocabulary, 500))
    with JobReplay(corpus, vocabulary, 500) as replay:
        assert_same_jobs(list(replay.jobs()), expected)
        (tmp_path / "corpus.txt").write_text("changed\n")  # replayed, not read again
        assert_same_jobs(list(replay.jobs()), expected)
        assert_same_jobs(list(replay.jobs()), expected)
    assert replay.file is None


def test_the_replay_file_leaves_nothing_beside_the_corpus(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt")
    Word2Vec(corpus_file=str(corpus), vector_size=8, min_count=1, epochs=3, workers=2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt"]


def test_iterables_are_read_every_epoch(tmp_path):
    sentences = [["a", "b"], ["b", "c"]]
    with JobReplay(sentences, {"a": 0, "b": 1, "c": 2}, 2) as replay:
        assert replay.file is None
        list(replay.jobs())
        sentences.append(["c", "a"])  # an iterable may change between epochs; it is read again
        assert sum(job[3] for job in replay.jobs()) == 3


def test_an_unwritable_temporary_file_falls_back_to_reading_the_corpus(tmp_path):
    corpus = LineSentence(write_corpus(tmp_path / "corpus.txt"))
    vocabulary = {f"w{k}": k for k in range(40)}
    expected = list(iter_jobs(corpus, vocabulary, 500))
    replay = JobReplay(corpus, vocabulary, 500)
    replay.file.close()
    replay.file = open(tmp_path / "corpus.txt", "rb")  # writing to it fails as a full disk would
    assert_same_jobs(list(replay.jobs()), expected)
    assert replay.file is None and not replay.recorded
    assert_same_jobs(list(replay.jobs()), expected)


def test_training_from_a_file_equals_training_from_its_sentences(tmp_path):
    path = write_corpus(tmp_path / "corpus.txt")
    options = dict(vector_size=8, min_count=1, epochs=3, workers=2, seed=5, deterministic=True)
    from_file = Word2Vec(corpus_file=str(path), **options)
    from_list = Word2Vec([line.split() for line in path.read_text().splitlines()], **options)
    np.testing.assert_array_equal(from_file.wv.vectors, from_list.wv.vectors)
