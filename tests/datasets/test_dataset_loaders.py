"""What the loaders return: Keras 3's arrays for the same file and arguments (Keras's loader is the oracle, its
get_file pointed at lamina's cache), lamina's image data format, Keras 1's names, and the refusal of pickles
that try to run code."""
import os
import pickle
import shutil

import dataset_files
import numpy as np
import pytest
from test_dataset_downloads import assert_same, expected_from_keras

from lamina import config
from lamina.datasets import boston_housing, cifar10, cifar100, digits, imdb, reuters

SEQUENCE_ARGUMENTS = [
    {"num_words": 25},
    {"num_words": 12, "skip_top": 4},
    {"num_words": 20, "maxlen": 8},
    {"num_words": 15, "oov_char": None},
    {"num_words": 18, "start_char": None, "index_from": 0, "seed": 7},
    {"num_words": 18, "start_char": None, "index_from": 2},
    {"num_words": 30, "start_char": 5, "oov_char": 3, "index_from": 6, "skip_top": 9, "seed": 0},
]


@pytest.mark.parametrize("arguments", SEQUENCE_ARGUMENTS)
def test_imdb_equals_keras(arguments, publish, monkeypatch):
    publish(dataset_files.imdb()[0])
    assert_same(imdb.load_data(**arguments), expected_from_keras("imdb", monkeypatch, **arguments))


@pytest.mark.parametrize("arguments", SEQUENCE_ARGUMENTS + [{"num_words": 25, "test_split": 0.4},
                                                            {"num_words": 25, "test_split": 0.0}])
def test_reuters_equals_keras(arguments, publish, monkeypatch):
    publish(dataset_files.reuters()[0])
    assert_same(reuters.load_data(**arguments), expected_from_keras("reuters", monkeypatch, **arguments))


@pytest.mark.parametrize("arguments", [{}, {"test_split": 0.5, "seed": 3}, {"test_split": 0.0}])
def test_boston_housing_equals_keras(arguments, publish, monkeypatch):
    publish(dataset_files.boston_housing()[0])
    assert_same(boston_housing.load_data(**arguments), expected_from_keras("boston_housing", monkeypatch, **arguments))


def test_keras_1_nb_words_is_num_words(publish):
    publish({**dataset_files.imdb()[0], **dataset_files.reuters()[0]})
    assert_same(imdb.load_data(nb_words=10), imdb.load_data(num_words=10))
    assert_same(reuters.load_data(nb_words=10), reuters.load_data(num_words=10))
    with pytest.raises(TypeError, match=r"imdb.load_data\(\) got unexpected keyword arguments: \['nb_word'\]"):
        imdb.load_data(nb_word=10)


def test_num_words_none_keeps_every_word(publish):
    files, arrays = dataset_files.imdb()
    publish(files)
    (x_train, _), (x_test, _) = imdb.load_data(seed=0)
    order = np.arange(len(arrays["x_train"]))
    np.random.RandomState(0).shuffle(order)
    assert [list(sequence) for sequence in x_train] == [[1] + [word + 3 for word in arrays["x_train"][position]]
                                                        for position in order]
    assert max(max(sequence) for sequence in x_test) == max(max(s) for s in arrays["x_test"]) + 3


def test_imdb_maxlen_that_drops_everything_is_an_error(publish):
    publish(dataset_files.imdb()[0])
    with pytest.raises(ValueError, match="no review is shorter than maxlen=2, so nothing is left. Increase maxlen"):
        imdb.load_data(maxlen=2)


@pytest.mark.parametrize("loader", [reuters.load_data, boston_housing.load_data, digits.load_data])
def test_test_split_outside_zero_one_is_an_error(loader, cache_home):
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\), received 1.0"):
        loader(test_split=1.0)


def test_cifar_follows_the_image_data_format(publish):
    files10, ((x_train, y_train), (x_test, y_test)) = dataset_files.cifar10()
    files100, ((x100, _), _) = dataset_files.cifar100()
    publish({**files10, **files100})
    assert cifar10.load_data()[0][0].shape == (10, 3, 32, 32)  # lamina's default: channels_first
    config.set_image_data_format("channels_last")
    (last_train, last_labels), (last_test, _) = cifar10.load_data()
    assert last_train.shape == (10, 32, 32, 3) and last_test.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(last_train, x_train.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(last_test, x_test.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(last_labels, y_train)
    np.testing.assert_array_equal(cifar100.load_data()[0][0], x100.transpose(0, 2, 3, 1))


def test_cifar100_coarse_labels(publish):
    files, expected = dataset_files.cifar100("coarse")
    publish(files)
    assert_same(cifar100.load_data(label_mode="coarse"), expected)
    with pytest.raises(ValueError, match=r"Invalid label_mode='course'. Did you mean 'coarse'\?"):
        cifar100.load_data(label_mode="course")


class RunsCode:
    """A pickle payload that would create a file if its global (os.mkdir) were allowed."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_a_cifar_pickle_that_runs_code_is_refused(publish, tmp_path):
    marker = str(tmp_path / "pwned")
    batch = dataset_files.python2_pickle({b"data": np.zeros((1, 3072), np.uint8), b"labels": [RunsCode(marker)]})
    publish({"cifar-100-python.tar.gz": dataset_files.tar_gz_bytes({"cifar-100-python/train": batch})})
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load '(posix|nt)\.mkdir' from a dataset file"):
        cifar100.load_data()
    assert not os.path.exists(marker)


def test_an_npz_object_array_that_runs_code_is_refused(publish, tmp_path):
    marker = str(tmp_path / "pwned")
    sequences = np.empty(1, dtype=object)
    sequences[0] = RunsCode(marker)
    publish({"reuters.npz": dataset_files.npz_bytes(x=sequences, y=np.zeros(1, np.int64))})
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load '(posix|nt)\.mkdir'"):
        reuters.load_data()
    assert not os.path.exists(marker)


def test_digits_loads_scikit_learns_digits_without_network(cache_home, monkeypatch):
    from sklearn.datasets import load_digits

    monkeypatch.setenv("LAMINA_DATASETS_MIRROR", "http://127.0.0.1:9/")
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == ((1437, 8, 8), (1437,), (360, 8, 8), (360,))
    assert {x_train.dtype, y_train.dtype, x_test.dtype, y_test.dtype} == {np.dtype(np.uint8)}
    bunch = load_digits()
    order = np.arange(1797)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), bunch.images[order])
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), bunch.target[order])
    assert not os.path.exists(cache_home)
    (_, _), (x_half, _) = digits.load_data(test_split=0.5, seed=1)
    assert x_half.shape == (1797 - 898, 8, 8)


def test_an_incomplete_cifar_extraction_names_the_folder_to_delete(publish, cache_home):
    files, expected = dataset_files.cifar10()
    publish(files)
    cifar10.load_data()
    folder = cache_home / "datasets" / "cifar-10-python_extracted"
    os.remove(folder / "cifar-10-batches-py" / "test_batch")
    with pytest.raises(FileNotFoundError, match=f"the extracted CIFAR folder is incomplete. Delete the folder "
                                                f"'{folder}' and load again"):
        cifar10.load_data()
    shutil.rmtree(folder)
    assert_same(cifar10.load_data(), expected)
