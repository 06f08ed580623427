"""Reuters newswires: 11,228 short news texts labelled with one of 46 topics, each a list of word indices ranked
by frequency (Keras's `reuters.npz`)."""
import numpy as np

from lamina.datasets import sources, splits, word_sequences
from lamina.datasets.safe_pickle import load_npz

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3, **legacy):
    """Loads the Reuters topic dataset (downloaded once into `~/.lamina/datasets`, 2 MB).

    The newswires are shuffled with `seed`, then the last `test_split` fraction is the test set.

    Args:
        path: the file's name in the cache folder.
        num_words: keep the `num_words` most frequent words; rarer words become `oov_char`. None keeps all.
            Keras 1's `nb_words` is accepted.
        skip_top: the most frequent `skip_top` indices also become `oov_char`.
        maxlen: drop newswires of `maxlen` or more indices (start mark included), as Keras does.
        test_split: fraction of the newswires in the test set, in [0, 1).
        seed: seed of the shuffle.
        start_char: index marking the start of each newswire (None: no mark).
        oov_char: index replacing words cut by num_words/skip_top (None: remove them).
        index_from: offset added to every word index.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x are 1-D object arrays of lists of int (8,982 and 2,246 with
        the defaults); y are int64 arrays of topic numbers 0-45 (names in `get_label_names()`).

    Example:
        >>> from lamina.datasets import reuters
        >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000, test_split=0.2)
    """
    num_words = word_sequences.resolve_num_words(num_words, legacy, "reuters.load_data") or None
    splits.check_test_split(test_split, "reuters.load_data")
    arrays = load_npz(sources.fetch("reuters.npz", path))
    x, y = splits.shuffle(np.random.RandomState(seed), arrays["x"], arrays["y"])
    x, y = word_sequences.encode(x, y, start_char, index_from, maxlen, num_words, skip_top, oov_char)
    (x_train, y_train), (x_test, y_test) = splits.split(x, y, test_split)
    return (word_sequences.object_array(x_train), y_train), (word_sequences.object_array(x_test), y_test)


def get_word_index(path="reuters_word_index.json"):
    """The {word: rank} dict of the Reuters vocabulary (rank 1 = most frequent; add `index_from` to match x)."""
    return word_sequences.read_word_index(sources.fetch("reuters_word_index.json", path))


def get_label_names():
    """The 46 topic names, indexed by label: `get_label_names()[3] == 'earn'`."""
    return LABEL_NAMES
