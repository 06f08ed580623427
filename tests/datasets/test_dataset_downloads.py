"""Every dataset loader against a local HTTP server: download, verify and cache; read the cache with the server
stopped; a wrong checksum, a dropped connection and being offline each give a clear error and leave no broken
file in the cache."""
import hashlib
import io
import os
import tarfile

import dataset_files
import numpy as np
import pytest

from lamina.datasets import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters, sources
from lamina.utils.downloads import DownloadError


def assert_same(actual, expected):
    """Nested tuples/dicts of arrays are equal, with equal dtypes and shapes; object arrays of lists compare as
    lists."""
    if isinstance(expected, dict):
        assert actual == expected
    elif isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for actual_part, expected_part in zip(actual, expected):
            assert_same(actual_part, expected_part)
    elif expected.dtype == object:  # lamina's are always 1-D; Keras's are 2-D when all lists have one length
        assert actual.dtype == object and actual.shape == expected.shape[:1]
        assert [list(item) for item in actual] == [list(item) for item in expected]
    else:
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        np.testing.assert_array_equal(actual, expected)


def expected_from_keras(keras_module_name, monkeypatch, **arguments):
    """What Keras 3's loader returns for the cached file (its get_file pointed at lamina's cache; no network)."""
    import importlib

    keras_module = importlib.import_module(f"keras.src.datasets.{keras_module_name}")

    def cached_file(fname=None, *args, **kwargs):
        return os.path.join(os.environ["LAMINA_HOME"], "datasets", fname)

    monkeypatch.setattr(keras_module, "get_file", cached_file)
    return keras_module.load_data(**arguments)


def _sequence_case(maker, load, keras_name):
    def expected(monkeypatch):
        return expected_from_keras(keras_name, monkeypatch, num_words=25)
    return maker, load, expected


CASES = {
    "mnist": (dataset_files.mnist, mnist.load_data, None),
    "fashion_mnist": (dataset_files.fashion_mnist, fashion_mnist.load_data, None),
    "cifar10": (dataset_files.cifar10, cifar10.load_data, None),
    "cifar100": (dataset_files.cifar100, cifar100.load_data, None),
    "imdb": _sequence_case(dataset_files.imdb, lambda: imdb.load_data(num_words=25), "imdb"),
    "imdb_word_index": (dataset_files.imdb_word_index, imdb.get_word_index, None),
    "reuters": _sequence_case(dataset_files.reuters, lambda: reuters.load_data(num_words=25), "reuters"),
    "reuters_word_index": (dataset_files.reuters_word_index, reuters.get_word_index, None),
    "boston_housing": (dataset_files.boston_housing, boston_housing.load_data,
                       lambda monkeypatch: expected_from_keras("boston_housing", monkeypatch)),
}


def cache_listing(cache_home):
    """Every file under LAMINA_HOME, hidden ones included, relative to it."""
    return sorted(os.path.relpath(os.path.join(folder, name), cache_home)
                  for folder, _, names in os.walk(cache_home) for name in names)


def expected_listing(files):
    """The cache after loading `files`: each file, and the members of archives in their extraction folders."""
    listing = []
    for name, data in files.items():
        listing.append(os.path.join("datasets", name))
        if name.endswith(".tar.gz"):
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                listing += [os.path.join("datasets", name.removesuffix(".tar.gz") + "_extracted", member)
                            for member in archive.getnames()]
    return sorted(listing)


@pytest.mark.parametrize("case", CASES)
def test_first_call_downloads_and_caches_second_reads_the_cache_offline(case, publish, server, cache_home,
                                                                        monkeypatch):
    maker, load, keras_expected = CASES[case]
    files, expected = maker()
    publish(files)
    first = load()
    assert sorted(path for path, _ in server.requests) == sorted("/" + name for name in files)
    assert cache_listing(cache_home) == expected_listing(files)
    for name, data in files.items():
        assert (cache_home / "datasets" / name).read_bytes() == data
    server.stop()
    second = load()
    assert_same(first, expected if keras_expected is None else keras_expected(monkeypatch))
    assert_same(second, first)


@pytest.mark.parametrize("case", CASES)
def test_wrong_checksum_is_a_clear_error_and_caches_nothing(case, publish, cache_home, monkeypatch):
    files, _ = CASES[case][0]()
    publish(files)
    last = list(files)[-1]
    entry = sources.FILES[last]
    wrong = hashlib.new("md5" if len(entry.file_hash) == 32 else "sha256", b"another file").hexdigest()
    monkeypatch.setitem(sources.FILES, last, entry._replace(file_hash=wrong))
    with pytest.raises(ValueError, match=f"corrupted or not the expected version: its .* expected {wrong}. It was "
                                         f"deleted and nothing was cached"):
        CASES[case][1]()
    assert cache_listing(cache_home) == sorted(os.path.join("datasets", name) for name in files if name != last)


@pytest.mark.parametrize("case", CASES)
def test_dropped_connection_is_retried_then_resumed_by_the_next_call(case, publish, server, cache_home):
    maker, load, _ = CASES[case]
    files, _ = maker()
    publish(files)
    first = list(files)[0]
    size = len(files[first])
    server.cut_after["/" + first] = size // 2
    with pytest.raises(DownloadError, match=rf"failed 4 times; last: the connection closed after {size // 2} of "
                                            rf"{size} bytes.*the next call resumes from them"):
        load()
    partial = os.path.join("datasets", os.path.dirname(first), f".{os.path.basename(first)}.part")
    assert cache_listing(cache_home) == [partial]  # nothing under a real name
    assert [byte_range for path, byte_range in server.requests] == [None] + [f"bytes={size // 2}-"] * 3
    del server.cut_after["/" + first]
    load()
    assert server.requests[4] == ("/" + first, f"bytes={size // 2}-")
    assert (cache_home / "datasets" / first).read_bytes() == files[first]
    assert cache_listing(cache_home) == expected_listing(files)


@pytest.mark.parametrize("case", CASES)
def test_offline_error_names_the_url_and_where_to_put_the_file(case, server, cache_home):
    server.stop()  # the mirror's port is now closed
    files, _ = CASES[case][0]()
    first = list(files)[0]
    target = os.path.join(str(cache_home), "datasets", first)
    digest = sources.FILES[first].file_hash
    with pytest.raises(DownloadError) as error:
        CASES[case][1]()
    message = str(error.value)
    assert message.startswith(f"Cannot reach {server.url}{first} (")
    assert "are you offline" in message
    assert f"download {server.url}{first} on a machine with internet access and copy it to '{target}' (" in message
    assert digest in message
    assert cache_listing(cache_home) == []
