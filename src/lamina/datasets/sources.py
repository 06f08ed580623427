"""Where each dataset file comes from (Keras's public URLs and hashes), and the mirror setting.

`FILES` maps a file's path in the cache's `datasets` folder to its URL and hash. Set the environment variable
`LAMINA_DATASETS_MIRROR` to a base URL (`https://mirror.example.org/lamina/`, `file:///shared/datasets/`) to
download every dataset from there instead: the mirror holds the same paths as `FILES`'s keys, i.e. it is a copy of
a `~/.lamina/datasets` folder. Files from a mirror are checked against the same hashes.

A file whose publisher gives no hash has `file_hash=None` here; its loader checks the contents instead (FSDD: see
`lamina.datasets.spoken_digits`).
"""
import os
from typing import NamedTuple, Optional

from lamina.utils.downloads import get_file

MIRROR_VARIABLE = "LAMINA_DATASETS_MIRROR"
KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR = "https://www.cs.toronto.edu/~kriz/"
FSDD = "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/"


class RemoteFile(NamedTuple):
    """A file to download: its URL and its sha256 (64 hex digits) or md5 (32) digest, or None if none is published."""

    url: str
    file_hash: Optional[str]


FILES = {
    "mnist.npz": RemoteFile(
        KERAS_DATASETS + "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    # Keras publishes no hashes for Fashion-MNIST; these are Zalando's published md5 digests of the same files.
    "fashion-mnist/train-labels-idx1-ubyte.gz": RemoteFile(
        KERAS_DATASETS + "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    "fashion-mnist/train-images-idx3-ubyte.gz": RemoteFile(
        KERAS_DATASETS + "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": RemoteFile(
        KERAS_DATASETS + "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    "fashion-mnist/t10k-images-idx3-ubyte.gz": RemoteFile(
        KERAS_DATASETS + "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
    "cifar-10-python.tar.gz": RemoteFile(
        CIFAR + "cifar-10-python.tar.gz", "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    "cifar-100-python.tar.gz": RemoteFile(
        CIFAR + "cifar-100-python.tar.gz", "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"),
    "imdb.npz": RemoteFile(
        KERAS_DATASETS + "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": RemoteFile(KERAS_DATASETS + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"),
    "reuters.npz": RemoteFile(
        KERAS_DATASETS + "reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
    "reuters_word_index.json": RemoteFile(
        KERAS_DATASETS + "reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921"),
    "boston_housing.npz": RemoteFile(
        KERAS_DATASETS + "boston_housing.npz", "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
    # The Free Spoken Digit Dataset publishes no hash: spoken_digits checks the recordings and records the sha256
    # of the first download instead. The name is the one GitHub gives the file when it is downloaded by hand.
    "free-spoken-digit-dataset-1.0.10.tar.gz": RemoteFile(FSDD + "v1.0.10.tar.gz", None),
}


def url(name):
    """The URL the dataset file `name` (a key of FILES) is downloaded from: its own, or the mirror's copy."""
    mirror = os.environ.get(MIRROR_VARIABLE)
    return mirror.rstrip("/") + "/" + name if mirror else FILES[name].url


def fetch(name, fname=None, extract=False, file_hash=None, force_download=False):
    """The local path of the dataset file `name` (a key of FILES), downloading and verifying it first if needed.

    Args:
        name: the file's path under the cache's `datasets` folder, e.g. 'mnist.npz'.
        fname: the name to cache it under instead (the loaders' Keras `path` argument).
        extract: extract the archive (once, from the verified file) and return the extraction folder.
        file_hash: the hash to check instead of the table's (for a file the table has none for).
        force_download: download it again even when a verified copy is cached.
    """
    subfolder, _, file_name = name.rpartition("/")
    return get_file(fname or file_name, origin=url(name), file_hash=file_hash or FILES[name].file_hash,
                    extract=extract, force_download=force_download,
                    cache_subdir=os.path.join("datasets", subfolder) if subfolder else "datasets")
