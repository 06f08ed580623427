"""Reading the pickles inside CIFAR batches and IMDB/Reuters `.npz` files without letting them run code.

Those files are pickles by nature: CIFAR batches are pickled Python dicts of numpy arrays, and the word-index
sequences of IMDB and Reuters are ragged, so numpy stores them as pickled object arrays. A pickle can call any
importable function while loading, so `pickle.load` or `np.load(allow_pickle=True)` on a tampered file could run
arbitrary code. `NumpyUnpickler` allows exactly the three globals that rebuild a numpy array (`numpy.ndarray`,
`numpy.dtype`, and `_reconstruct` under numpy 1's and 2's module names); dicts, lists, strings, bytes and numbers
need no global at all. Anything else raises `pickle.UnpicklingError` before it is called. On top of that, every
file is checked against its published hash before it is read.
"""
import io
import pickle
import zipfile

import numpy as np

ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
})


class NumpyUnpickler(pickle.Unpickler):
    """An Unpickler that rebuilds numpy arrays and plain Python values, and refuses every other global."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load '{module}.{name}' from a dataset file: only numpy arrays and plain Python values "
            f"are allowed. The file is damaged or was tampered with; delete it from the cache and download it again.")


def load_pickle(handle, encoding="bytes"):
    """Unpickles one object from a binary file object with NumpyUnpickler (Python 2 strings stay bytes)."""
    return NumpyUnpickler(handle, encoding=encoding).load()


def load_npz(path):
    """Reads every array of an `.npz` file into a dict; object arrays go through NumpyUnpickler.

    Example:
        >>> arrays = load_npz("imdb.npz")  # doctest: +SKIP
        >>> arrays["x_train"].dtype
        dtype('O')
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-len(".npy")]] = _read_npy(io.BytesIO(archive.read(member)))
    return arrays


def _read_npy(stream):
    version = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    _, _, dtype = read_header(stream)  # format 3.0 differs from 2.0 only in the header's text encoding
    if dtype.hasobject:
        return load_pickle(stream, encoding="ASCII")
    stream.seek(0)
    return np.lib.format.read_array(stream, allow_pickle=False)
