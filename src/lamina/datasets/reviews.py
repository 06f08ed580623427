"""Short generated "reviews" in two classes, made on the spot (no download): for trying the text workflows.

Each review is 8 to 19 filler words ('word0' ... 'word299') with one phrase of its class planted at a random
place: 'utterly awful', 'hated it' or 'waste of time' for negative, 'truly wonderful', 'loved it' or 'a delight'
for positive. Only the planted phrase decides the label, so a classifier must find it among the filler, and an
explanation should point at it.

Example:
    >>> from lamina.datasets import reviews
    >>> texts, labels = reviews.load_data(1000, seed=0)     # labels: 0 negative, 1 positive
    >>> reviews.write_tsv("reviews.tsv", 1000)               # label<TAB>text lines, with a header
"""
import numpy as np

from lamina.files import atomic_write

CLASSES = ("negative", "positive")
PLANTED = {0: ("utterly awful", "hated it", "waste of time"), 1: ("truly wonderful", "loved it", "a delight")}
FILLER = tuple(f"word{index}" for index in range(300))


def load_data(count=1000, seed=0):
    """(texts, labels): `count` reviews (a list of str) and their classes (int64 array, 0 negative, 1 positive)."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(count):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, rng.integers(8, 20)))
        words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(PLANTED[label])))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels, dtype=np.int64)


def write_tsv(path, count=1000, seed=0):
    """Writes `count` reviews to a TSV file with a 'label<TAB>text' header and class names as labels; returns
    the path."""
    texts, labels = load_data(count, seed)
    lines = ["label\ttext"] + [f"{CLASSES[label]}\t{text}" for text, label in zip(texts, labels)]
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path
