"""Small files in the real formats of Keras's datasets, made by the tests, and what the loaders must return."""
import gzip
import io
import json
import pickle
import struct
import tarfile

import numpy as np


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def tar_gz_bytes(members):
    """A .tar.gz of {member name: bytes}."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def ragged(rng, count, vocabulary, longest=12):
    """A 1-D object array of `count` lists of word ranks 1..vocabulary-1, of lengths 1..longest."""
    sequences = np.empty(count, dtype=object)
    for position in range(count):
        sequences[position] = [int(word) for word in rng.integers(1, vocabulary, rng.integers(1, longest + 1))]
    return sequences


def mnist():
    rng = np.random.default_rng(1)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), "y_test": np.arange(3, dtype=np.uint8)}
    expected = ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    return {"mnist.npz": npz_bytes(**arrays)}, expected


def _idx(array):
    magic = 2048 + array.ndim
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def fashion_mnist():
    rng = np.random.default_rng(2)
    x_train, y_train = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), rng.integers(0, 10, 5, dtype=np.uint8)
    x_test, y_test = rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), rng.integers(0, 10, 2, dtype=np.uint8)
    files = {"fashion-mnist/train-labels-idx1-ubyte.gz": _idx(y_train),
             "fashion-mnist/train-images-idx3-ubyte.gz": _idx(x_train),
             "fashion-mnist/t10k-labels-idx1-ubyte.gz": _idx(y_test),
             "fashion-mnist/t10k-images-idx3-ubyte.gz": _idx(x_test)}
    return files, ((x_train, y_train), (x_test, y_test))


class Python2Pickler(pickle._Pickler):
    """Writes bytes as Python 2's `str` opcodes, as in the real CIFAR files (made with Python 2's cPickle, protocol
    2). Python 3's own protocol 2 would write bytes as calls to `_codecs.encode` instead."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_python2_string(self, value):
        if len(value) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(value)]) + value)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(value)) + value)
        self.memoize(value)

    dispatch[bytes] = save_python2_string


def python2_pickle(value):
    buffer = io.BytesIO()
    Python2Pickler(buffer, protocol=2).dump(value)
    return buffer.getvalue()


def _cifar_batch(rng, count, label_keys, classes, description):
    """A CIFAR batch as the real files hold it: a Python 2 pickle of a dict with bytes keys, the images as uint8
    rows of 3072 values (red, green, blue planes), the labels as lists of int."""
    images = rng.integers(0, 256, (count, 3, 32, 32), dtype=np.uint8)
    batch = {b"batch_label": description.encode(), b"data": images.reshape(count, 3072),
             b"filenames": [f"image_{n}.png".encode() for n in range(count)]}
    labels = {}
    for key in label_keys:
        labels[key] = [int(label) for label in rng.integers(0, classes, count)]
        batch[key] = labels[key]
    return python2_pickle(batch), images, labels


def cifar10():
    rng = np.random.default_rng(3)
    members, train_images, train_labels = {}, [], []
    for number in range(1, 6):
        data, images, labels = _cifar_batch(rng, 2, [b"labels"], 10, f"training batch {number} of 5")
        members[f"cifar-10-batches-py/data_batch_{number}"] = data
        train_images.append(images)
        train_labels += labels[b"labels"]
    data, test_images, test_labels = _cifar_batch(rng, 3, [b"labels"], 10, "testing batch 1 of 1")
    members["cifar-10-batches-py/test_batch"] = data
    members["cifar-10-batches-py/batches.meta"] = python2_pickle({b"label_names": [b"airplane"]})
    expected = ((np.concatenate(train_images), np.array(train_labels, np.uint8).reshape(-1, 1)),
                (test_images, np.array(test_labels[b"labels"], np.uint8).reshape(-1, 1)))
    return {"cifar-10-python.tar.gz": tar_gz_bytes(members)}, expected


def cifar100(label_mode="fine"):
    rng = np.random.default_rng(4)
    keys = [b"fine_labels", b"coarse_labels"]
    train, train_images, train_labels = _cifar_batch(rng, 4, keys, 20, "training batch 1 of 1")
    test, test_images, test_labels = _cifar_batch(rng, 3, keys, 20, "testing batch 1 of 1")
    archive = tar_gz_bytes({"cifar-100-python/train": train, "cifar-100-python/test": test})
    key = label_mode.encode() + b"_labels"
    expected = ((train_images, np.array(train_labels[key], np.int64).reshape(-1, 1)),
                (test_images, np.array(test_labels[key], np.int64).reshape(-1, 1)))
    return {"cifar-100-python.tar.gz": archive}, expected


def imdb():
    rng = np.random.default_rng(5)
    arrays = {"x_train": ragged(rng, 8, 30), "y_train": rng.integers(0, 2, 8),
              "x_test": ragged(rng, 6, 30), "y_test": rng.integers(0, 2, 6)}
    return {"imdb.npz": npz_bytes(**arrays)}, arrays


def _word_index(file_name, prefix, count):
    """A word-index JSON file of {prefix + rank: rank} for ranks 1..count-1, and that dict."""
    word_index = {f"{prefix}{rank}": rank for rank in range(1, count)}
    return {file_name: json.dumps(word_index).encode()}, word_index


def imdb_word_index():
    return _word_index("imdb_word_index.json", "word", 30)


def reuters():
    rng = np.random.default_rng(6)
    arrays = {"x": ragged(rng, 15, 40), "y": rng.integers(0, 46, 15)}
    return {"reuters.npz": npz_bytes(**arrays)}, arrays


def reuters_word_index():
    return _word_index("reuters_word_index.json", "term", 40)


def boston_housing():
    rng = np.random.default_rng(7)
    arrays = {"x": rng.normal(size=(20, 13)), "y": rng.uniform(5, 50, 20)}
    return {"boston_housing.npz": npz_bytes(**arrays)}, arrays
