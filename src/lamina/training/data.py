"""Data adapters: everything fit/evaluate/predict accept, turned into batches of tensors on the device.

In-memory arrays are converted and moved to the device once, then batched by index on the device, so an
epoch costs no host-to-device copies and no per-sample Python work.
"""
import collections.abc
import math
import numbers
import warnings

import numpy as np
import torch

from lamina import config
from lamina.structure import flatten, map_structure


def to_tensor(value, name="x"):
    """A numpy array / list / tensor as a torch tensor; float64 and other floats become floatx."""
    if isinstance(value, torch.Tensor):
        tensor = value
    else:
        array = _as_array(value, name)
        if array.dtype.kind in "OUSV":
            raise TypeError(non_numeric_message(array, name))
        if array.dtype == np.bool_:
            array = array.astype(np.float32)
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.is_floating_point() and tensor.dtype != config.floatx_dtype():
        tensor = tensor.to(config.floatx_dtype())
    return tensor


def _as_array(value, name):
    """np.asarray(value), with an error naming the argument when nested lists have rows of different lengths."""
    try:
        return np.asarray(value)
    except ValueError as error:
        raise ValueError(
            f"`{name}` could not be read as one array: its rows have different lengths or shapes ({error}). "
            f"Pad sequences to one length (lamina.utils.pad_sequences) or pass a numpy array of one shape."
        ) from None


def holds_text(array):
    """Whether a numpy array holds strings: str or bytes dtype, or objects that are strings."""
    return array.dtype.kind in "US" or (array.dtype.kind == "O" and array.size > 0
                                        and isinstance(array.flat[0], (str, bytes)))


def to_input(value, name="x"):
    """Model input data as a tensor (to_tensor), except strings, which stay a numpy array for a string Input."""
    if not isinstance(value, torch.Tensor):
        array = _as_array(value, name)
        if holds_text(array):
            return array
    return to_tensor(value, name)


def non_numeric_message(array, name):
    if array.dtype.kind in "US":
        received, fix = "strings", ("Convert strings to numbers first: a Tokenizer (texts to word indices) or "
                                    "to_categorical (class names mapped to indices, then one-hot).")
    else:
        received, fix = "Python objects", (f"If it holds numbers, convert it with {name}.astype('float32'); if its "
                                           f"rows have different lengths, pad them with lamina.utils.pad_sequences.")
    return (f"`{name}` must be a numeric array (floats or integers), received an array of {received} (dtype "
            f"{array.dtype}, shape {array.shape}). {fix}")


def is_plain_list(value):
    """A (nested) list or tuple of Python numbers or strings: one array as numpy reads it, not a structure.

    Only the first item of each level is looked at (a long list costs nothing); np.asarray checks the rest.
    """
    if not isinstance(value, (list, tuple)):
        return False
    return not value or isinstance(value[0], (numbers.Number, str, bytes, np.generic)) or is_plain_list(value[0])


def _structure_to_tensors(structure, name, convert=to_tensor):
    """Every array in a (nested) list/tuple/dict as a tensor; plain lists of numbers become one tensor."""
    if is_plain_list(structure):
        return convert(structure, name)
    if isinstance(structure, (list, tuple)):
        items = [_structure_to_tensors(item, name, convert) for item in structure]
        return items if isinstance(structure, list) else tuple(items)
    if isinstance(structure, dict):
        return {key: _structure_to_tensors(value, name, convert) for key, value in structure.items()}
    return convert(structure, name)


def _count_non_finite(tensor):
    return int((~torch.isfinite(tensor)).sum()) if tensor.is_floating_point() else 0


def num_samples(structure, name):
    lengths = {int(t.shape[0]) for t in flatten(structure) if t is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"All arrays in `{name}` must have the same number of samples (first axis); received "
            f"{sorted(lengths)}. Check that inputs and targets line up."
        )
    return lengths.pop() if lengths else 0


class ArrayData:
    """In-memory data (numpy arrays or tensors, or lists/dicts of them), batched by index on the device."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, device=None):
        batch_size = check_batch_size(batch_size)
        self.x = _structure_to_tensors(x, "x", to_input)  # strings stay numpy, for a model with a string Input
        self.y = None if y is None else _structure_to_tensors(y, "y")
        self.sample_weight = None if sample_weight is None else to_tensor(sample_weight, "sample_weight")
        n_x = num_samples(self.x, "x")
        if n_x == 0:
            shapes = ", ".join(str(tuple(t.shape)) for t in flatten(self.x))
            raise ValueError(
                f"`x` is empty: fit/evaluate/predict need at least one sample, received 0 samples (shape {shapes}). "
                f"Check that the data was loaded and that no filtering step removed every sample."
            )
        if self.y is not None:
            n_y = num_samples(self.y, "y")
            if n_y != n_x:
                raise ValueError(
                    f"`x` and `y` must have the same number of samples; received x with {n_x} and y with {n_y}. "
                    f"Pass inputs and targets that line up sample for sample."
                )
        if self.sample_weight is not None and int(self.sample_weight.shape[0]) != n_x:
            raise ValueError(f"`sample_weight` has {int(self.sample_weight.shape[0])} entries for {n_x} samples; give "
                             f"one weight per sample (shape ({n_x},)), in the order of `x`.")
        self.size = n_x
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.steps = math.ceil(n_x / batch_size)
        self.device = device or torch.device("cpu")
        self.x, self.y, self.sample_weight = map_structure(
            lambda t: t.to(self.device, non_blocking=True) if isinstance(t, torch.Tensor) else t,
            [self.x, self.y, self.sample_weight])

    def warn_non_finite(self, stacklevel=3, names=("x", "y", "sample_weight")):
        """Warns once per array that holds NaN or inf values, naming it and the count.

        The default stacklevel points at the user's call of fit(), which calls this method. `names` are the
        arguments x, y and sample_weight came from, e.g. ('validation_data[0]', 'validation_data[1]', ...).
        """
        for name, structure in zip(names, (self.x, self.y, self.sample_weight)):
            for label, tensor in _named_leaves(name, structure):
                count = _count_non_finite(tensor)
                if count:
                    warnings.warn(
                        f"`{label}` contains {count} NaN or infinite values (of {tensor.numel()}); the loss may "
                        f"become NaN. Replace or drop them (e.g. np.nan_to_num, or remove those rows) before "
                        f"training.", RuntimeWarning, stacklevel=stacklevel)

    def split(self, fraction):
        """(train, validation): the last `fraction` of the samples, taken before any shuffling, as Keras does."""
        split_at = int(self.size * (1.0 - fraction))
        if split_at == 0 or split_at == self.size:
            raise ValueError(
                f"validation_split={fraction} leaves {'no training' if split_at == 0 else 'no validation'} samples "
                f"out of {self.size}; use a fraction that keeps at least one sample on each side."
            )

        def part(structure, part_slice):
            return None if structure is None else map_structure(lambda t: t[part_slice], structure)

        head, tail = slice(0, split_at), slice(split_at, None)
        return (ArrayData(part(self.x, head), part(self.y, head), part(self.sample_weight, head), self.batch_size,
                          self.shuffle, self.device),
                ArrayData(part(self.x, tail), part(self.y, tail), part(self.sample_weight, tail), self.batch_size,
                          False, self.device))

    def __iter__(self):
        if self.shuffle:
            order = torch.randperm(self.size).to(self.device)
            batches = (order[start:start + self.batch_size] for start in range(0, self.size, self.batch_size))
        else:
            batches = (slice(start, start + self.batch_size) for start in range(0, self.size, self.batch_size))
        x, y, sample_weight = self.x, self.y, self.sample_weight
        if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and sample_weight is None:
            for index in batches:  # the common case, without structure walks (the step of a small model is ~50 us)
                yield x[index], y[index], None
            return
        on_host = any(isinstance(leaf, np.ndarray) for leaf in flatten(x))  # strings, indexed on the host
        for index in batches:
            host_index = index.cpu().numpy() if on_host and isinstance(index, torch.Tensor) else index
            yield (map_structure(lambda t: t[host_index if isinstance(t, np.ndarray) else index], x),
                   None if y is None else map_structure(lambda t: t[index], y),
                   None if sample_weight is None else sample_weight[index])


def check_batch_size(batch_size):
    """batch_size as an int (32 when None); a TypeError or ValueError naming the argument otherwise."""
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(
            f"`batch_size` must be a positive integer, received {batch_size!r} of type "
            f"{type(batch_size).__name__}. Pass an int, e.g. batch_size=32."
        )
    if batch_size <= 0:
        raise ValueError(f"`batch_size` must be a positive integer, received {batch_size!r}. Pass e.g. "
                         f"batch_size=32 (or leave it out for the default, 32).")
    return int(batch_size)


def _named_leaves(name, structure):
    """(label, tensor) pairs: 'x' for a single array, 'x[0]', "x['image']" inside lists and dicts."""
    if structure is None or isinstance(structure, np.ndarray):  # numpy: strings, which hold no NaN
        return []
    if isinstance(structure, torch.Tensor):
        return [(name, structure)]
    items = structure.items() if isinstance(structure, dict) else enumerate(structure)
    return [pair for key, value in items for pair in _named_leaves(f"{name}[{key!r}]", value)]


class IterableData:
    """Python generators, lamina.utils.Sequence objects, torch DataLoaders and Datasets.

    Each batch is `x`, `(x, y)` or `(x, y, sample_weight)`; it is converted and moved to the device as it comes.
    """

    def __init__(self, source, batch_size=32, shuffle=False, steps=None, device=None):
        from torch.utils.data import DataLoader, Dataset

        if steps is None and _length(source) == 0:
            raise ValueError(
                f"The data source ({type(source).__name__}) is empty: it has no batch to train or evaluate on. "
                f"Check that the Sequence/DataLoader/Dataset holds at least one sample."
            )
        if isinstance(source, Dataset) and not isinstance(source, torch.utils.data.IterableDataset):
            source = DataLoader(source, batch_size=check_batch_size(batch_size), shuffle=shuffle)
        self.source = source
        self.device = device or torch.device("cpu")
        self.shuffle = shuffle
        self.one_shot = isinstance(source, collections.abc.Iterator)
        self.steps = steps if steps is not None else _length(source)
        self.size = None

    def __iter__(self):
        if self.one_shot:
            batches = self.source  # a generator keeps its place from one epoch to the next
        elif _is_sequence(self.source):
            batches = self._sequence_batches()
        else:
            batches = iter(self.source)
        count = 0
        for batch in batches:
            yield unpack_batch(batch, self.device)
            count += 1
            if self.steps is not None and count >= self.steps:
                break
        if count == 0:
            raise ValueError(
                "The data source yielded no batch. A Python generator can be read once: for several epochs, make "
                "it loop forever and pass steps_per_epoch, or use a lamina.utils.Sequence or a torch DataLoader."
            )

    def _sequence_batches(self):
        order = np.random.permutation(len(self.source)) if self.shuffle else range(len(self.source))
        for index in order:
            yield self.source[int(index)]
        if hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()


def _length(source):
    """len(source), or None for sources without one (generators, iterable datasets)."""
    try:
        return len(source)
    except TypeError:
        return None


def _is_sequence(source):
    return hasattr(source, "__getitem__") and hasattr(source, "__len__") and not isinstance(
        source, torch.utils.data.DataLoader)


def unpack_batch(batch, device):
    """(x, y, sample_weight) tensors on the device from a batch given as x, (x,), (x, y) or (x, y, w)."""
    if isinstance(batch, dict) or not isinstance(batch, (tuple, list)):
        parts = (batch, None, None)
    elif len(batch) == 1:
        parts = (batch[0], None, None)
    elif len(batch) == 2:
        parts = (batch[0], batch[1], None)
    elif len(batch) == 3:
        parts = tuple(batch)
    else:
        raise ValueError(
            f"A data batch must be x, (x, y) or (x, y, sample_weight); received a sequence of {len(batch)} items."
        )
    return tuple(None if part is None else map_structure(lambda v: to_tensor(v).to(device, non_blocking=True), part)
                 for part in parts)


def adapt(x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None, device=None):
    """The adapter for whatever the user passed as x (and y)."""
    if isinstance(x, (list, tuple)) and not x:
        raise ValueError(
            f"`x` is empty: fit/evaluate/predict need at least one sample, received an empty "
            f"{type(x).__name__}. Check that the data was loaded."
        )
    if isinstance(x, (str, bytes)):
        raise TypeError(f"`x` is one string ({x[:40]!r}); pass a list of strings, e.g. [text].")
    if _is_in_memory(x):
        return ArrayData(x, y, sample_weight, batch_size, shuffle, device)
    if y is not None:
        raise ValueError(
            f"`y` must not be given when `x` is a {type(x).__name__}: the data source yields (x, y) itself."
        )
    if x is None:
        raise ValueError("`x` is required: pass arrays, a generator, a lamina.utils.Sequence or a DataLoader.")
    return IterableData(x, batch_size, shuffle, steps, device)


def _is_in_memory(x):
    if isinstance(x, (np.ndarray, torch.Tensor)) or (is_plain_list(x) and len(x) > 0):
        return True
    if isinstance(x, dict):
        return all(_is_in_memory(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return len(x) > 0 and all(_is_in_memory(v) or isinstance(v, (int, float)) for v in x)
    return False


class SampleBudget:
    """Keras 1's units: each pass yields batches from an endless generator until `samples` samples were seen."""

    def __init__(self, generator, samples):
        self.generator, self.samples = generator, int(samples)

    def __iter__(self):
        seen = 0
        while seen < self.samples:
            try:
                batch = next(self.generator)
            except StopIteration:
                raise ValueError(
                    f"The generator stopped after {seen} samples, before samples_per_epoch={self.samples}; Keras 1 "
                    f"generators must loop forever."
                ) from None
            first = batch[0] if isinstance(batch, (tuple, list)) else batch
            seen += int(np.shape(flatten(first)[0])[0])
            yield batch
