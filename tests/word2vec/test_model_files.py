"""Saving a whole Word2Vec model and continuing its training."""
import zipfile

import numpy as np
import pytest

from lamina.word2vec import Word2Vec


def corpus(seed=0, sentences=400):
    rng = np.random.default_rng(seed)
    pairs = [("france", "paris"), ("italy", "rome"), ("spain", "madrid")]
    return [["the", "capital", "of", country, "is", capital, f"w{rng.integers(20)}"]
            for country, capital in (pairs[i] for i in rng.integers(0, 3, sentences))]


@pytest.mark.parametrize("settings", [dict(sg=1), dict(sg=0, hs=1, negative=0)])
def test_saved_model_continues_training_exactly_like_the_original(tmp_path, settings):
    sentences = corpus()
    model = Word2Vec(sentences, vector_size=12, min_count=1, epochs=2, workers=2, seed=3, deterministic=True,
                     **settings)
    model.save(tmp_path / "words.w2v")
    restored = Word2Vec.load(tmp_path / "words.w2v")
    assert restored.deterministic and restored.workers == 2
    np.testing.assert_array_equal(restored.wv.vectors, model.wv.vectors)
    assert restored.wv.index_to_key == model.wv.index_to_key
    assert restored.wv.most_similar("paris") == model.wv.most_similar("paris")
    more = corpus(seed=1, sentences=100)
    for net in (model, restored):
        net.train(more, total_examples=len(more), epochs=1)
    np.testing.assert_array_equal(restored.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(restored.syn1neg, model.syn1neg)
    np.testing.assert_array_equal(restored.syn1, model.syn1)


def test_model_file_holds_json_and_safetensors_only(tmp_path):
    Word2Vec(corpus(), vector_size=8, min_count=1, epochs=1).save(tmp_path / "m.w2v")
    with zipfile.ZipFile(tmp_path / "m.w2v") as archive:
        assert sorted(archive.namelist()) == ["weights.safetensors", "word2vec.json"]


def test_loading_other_files_raises_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No Word2Vec model at"):
        Word2Vec.load(tmp_path / "absent.w2v")
    (tmp_path / "vectors.txt").write_text("2 3\na 1 2 3\nb 4 5 6\n")
    with pytest.raises(ValueError, match="not a readable lamina Word2Vec model .*load_word2vec_format"):
        Word2Vec.load(tmp_path / "vectors.txt")
