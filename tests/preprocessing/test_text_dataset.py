"""text_dataset_from_directory against Keras 3's (TensorFlow underneath): the same files in the same subsets
(the same texts and labels in each); the same batches without shuffling (tf.data's shuffle buffer draws from
TensorFlow's generator, which numpy cannot repeat)."""
import numpy as np
import pytest
import torch

from lamina.layers import TextVectorization
from lamina.utils import text_dataset_from_directory
from oracle import keras


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    root = tmp_path_factory.mktemp("reviews")
    rng = np.random.default_rng(0)
    words = ["good", "bad", "film", "plot", "actors", "café", "boring", "great"]
    for name in ("negative", "positive"):
        (root / name).mkdir()
        for index in range(7):
            text = " ".join(rng.choice(words, rng.integers(3, 12)))
            (root / name / f"{index}.txt").write_text(f"{name} review {index}: {text}\nsecond line", encoding="utf-8")
    (root / "positive" / "notes.md").write_text("not a .txt file")
    return root


def batches_of(dataset):
    return [([str(text.decode() if isinstance(text, bytes) else text) for text in np.asarray(texts)],
             np.asarray(labels).tolist()) for texts, labels in dataset]


@pytest.mark.parametrize("arguments", [{"shuffle": False}, {"seed": 3, "batch_size": 4},
                                       {"seed": 5, "max_length": 20, "label_mode": "categorical"},
                                       {"seed": 1, "validation_split": 0.3, "subset": "validation"},
                                       {"seed": 1, "validation_split": 0.3, "subset": "training",
                                        "label_mode": "binary"}])
def test_batches_equal_keras(reviews, arguments):
    ours = text_dataset_from_directory(reviews, verbose=False, **arguments)
    theirs = keras().utils.text_dataset_from_directory(reviews, verbose=False, **arguments)
    assert ours.class_names == list(theirs.class_names)
    ours_pass, theirs_pass = batches_of(ours), batches_of(theirs)
    if arguments.get("shuffle", True):
        flat = [sorted((text, str(label)) for texts, labels in batches for text, label in zip(texts, labels))
                for batches in (ours_pass, theirs_pass)]
        assert flat[0] == flat[1]
    else:
        assert ours_pass == theirs_pass


def test_both_subsets_feed_text_vectorization(reviews):
    train, validation = text_dataset_from_directory(reviews, validation_split=0.25, subset="both", seed=2,
                                                    verbose=False)
    assert len(train.file_paths) == 11 and len(validation.file_paths) == 3
    assert not set(train.file_paths) & set(validation.file_paths)
    vectorize = TextVectorization()
    vectorize.adapt(train)
    texts, labels = next(iter(validation))
    assert vectorize(texts).shape[0] == 3 and labels.dtype == torch.int64


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "latin1.txt").write_bytes("first line\ncaf\xe9 second".encode("latin-1"))
    dataset = text_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match=r"latin1.txt' is not UTF-8 text: byte 14 \(line 2\) is b'\\xe9'"):
        list(dataset)
    (tmp_path / "empty" / "class").mkdir(parents=True)
    with pytest.raises(ValueError, match="No text files found in .*empty'. Allowed format: .txt"):
        text_dataset_from_directory(tmp_path / "empty", verbose=False)
