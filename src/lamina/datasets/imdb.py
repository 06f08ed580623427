"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled positive (1) or negative (0), each a list
of word indices ranked by frequency (Keras's `imdb.npz`)."""
import numpy as np

from lamina.datasets import sources, splits, word_sequences
from lamina.datasets.safe_pickle import load_npz


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **legacy):
    """Loads the IMDB sentiment dataset (downloaded once into `~/.lamina/datasets`, 17 MB).

    Word `i` of the vocabulary (1 = most frequent) appears as `i + index_from`; 0 is left for padding.

    Args:
        path: the file's name in the cache folder.
        num_words: keep the `num_words` most frequent words (indices below num_words); rarer words become
            `oov_char`. None keeps all. Keras 1's `nb_words` is accepted.
        skip_top: the most frequent `skip_top` indices also become `oov_char` (0 skips none).
        maxlen: drop reviews of `maxlen` or more indices (start mark included), as Keras does. None keeps all.
        seed: seed of the shuffle applied to train and test set.
        start_char: index marking the start of each review (None: no mark).
        oov_char: index replacing words cut by num_words/skip_top (None: remove them).
        index_from: offset added to every word index.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x are 1-D object arrays of lists of int (25,000 each); y are
        int64 arrays of 0/1, shape (25000,).

    Example:
        >>> from lamina.datasets import imdb
        >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)
    """
    num_words = word_sequences.resolve_num_words(num_words, legacy, "imdb.load_data") or None
    arrays = load_npz(sources.fetch("imdb.npz", path))
    rng = np.random.RandomState(seed)
    x_train, y_train = splits.shuffle(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = splits.shuffle(rng, arrays["x_test"], arrays["y_test"])
    rules = (start_char, index_from, maxlen, num_words, skip_top, oov_char)
    x_train, y_train = word_sequences.encode(x_train, y_train, *rules)
    x_test, y_test = word_sequences.encode(x_test, y_test, *rules)
    if not x_train or not x_test:
        raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}, so nothing is left. "
                         f"Increase maxlen or pass maxlen=None.")
    return (word_sequences.object_array(x_train), y_train), (word_sequences.object_array(x_test), y_test)


def get_word_index(path="imdb_word_index.json"):
    """The {word: rank} dict of IMDB's vocabulary (rank 1 = most frequent; add `index_from` to match x).

    Example:
        >>> index = imdb.get_word_index()
        >>> words = {rank + 3: word for word, rank in index.items()}
        >>> " ".join(words.get(i, "?") for i in x_train[0][1:])
    """
    return word_sequences.read_word_index(sources.fetch("imdb_word_index.json", path))
