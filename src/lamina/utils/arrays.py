"""Array helpers for preparing data: one-hot labels, normalization, padding sequences."""
import numpy as np


def to_categorical(y, num_classes=None, dtype="float32", **legacy):
    """One-hot encodes integer class labels: (n,) -> (n, num_classes). Keras 1's `nb_classes` is accepted.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    if "nb_classes" in legacy:
        num_classes = legacy.pop("nb_classes")
    if legacy:
        raise TypeError(f"to_categorical() got unexpected keyword arguments: {sorted(legacy)}.")
    y = np.asarray(y)
    if y.dtype.kind not in "iub" and not (y.dtype.kind == "f" and np.all(y == np.round(y))):
        raise ValueError(f"to_categorical expects integer class labels, received values of dtype {y.dtype}.")
    y = y.astype("int64")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, received {y.min()}.")
    num_classes = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: label {y.max()} is out of range for num_classes={num_classes}.")
    return np.eye(num_classes, dtype=dtype)[y]


def normalize(x, axis=-1, order=2):
    """Scales x to unit `order`-norm along `axis` (zero vectors stay zero)."""
    x = np.asarray(x, dtype="float64" if np.asarray(x).dtype == np.float64 else "float32")
    norms = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norms[norms == 0] = 1
    return x / norms


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) lists of sequences to one length: by default at the front, as Keras does.

    Example:
        >>> pad_sequences([[1, 2], [3]], maxlen=3)
        array([[0, 1, 2],
               [0, 0, 3]], dtype=int32)
    """
    for argument, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(f"pad_sequences: `{argument}` must be 'pre' or 'post', received {choice!r}.")
    try:
        sequences = [list(s) if not isinstance(s, np.ndarray) else s for s in sequences]
    except TypeError:
        raise ValueError("pad_sequences: `sequences` must be a list of sequences (lists or arrays of values), "
                         "received an element that is not iterable.") from None
    lengths = [len(s) for s in sequences]
    maxlen = max(lengths, default=0) if maxlen is None else int(maxlen)
    sample_shape = np.asarray(next((s for s in sequences if len(s)), [0])).shape[1:]
    if isinstance(value, str) and dtype is not object and np.dtype(dtype).kind not in "US":
        raise ValueError(f"pad_sequences: the padding value {value!r} is a string but dtype={dtype!r} is not; pass "
                         f"dtype=object for sequences of strings.")
    result = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for row, sequence in enumerate(sequences):
        if not len(sequence) or maxlen == 0:
            continue
        kept = np.asarray(sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: the steps of sequence {row} have shape {kept.shape[1:]}, but earlier "
                             f"sequences' steps have shape {sample_shape}; every step needs the same shape.")
        if padding == "post":
            result[row, :len(kept)] = kept
        else:
            result[row, maxlen - len(kept):] = kept
    return result
