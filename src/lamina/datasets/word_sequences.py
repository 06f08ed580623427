"""The word-index handling shared by IMDB and Reuters: start/out-of-vocabulary marks, length and
vocabulary limits, with the meaning of Keras's `num_words`, `skip_top`, `maxlen`, `start_char`, `oov_char` and
`index_from`."""
import itertools
import json

import numpy as np


def resolve_num_words(num_words, legacy, function):
    """num_words, or Keras 1's `nb_words` from the extra keyword arguments; other extras are a TypeError."""
    if "nb_words" in legacy:
        num_words = legacy.pop("nb_words")
    if legacy:
        raise TypeError(f"{function}() got unexpected keyword arguments: {sorted(legacy)}. Keras 1's nb_words is "
                        f"accepted as num_words; the others have no lamina meaning.")
    return num_words


def encode(sequences, labels, start_char, index_from, maxlen, num_words, skip_top, oov_char):
    """Keras's word-index rules, applied to all words at once with numpy.

    Every word is shifted by `index_from` and each sequence starts with `start_char` (unless None); sequences of
    `maxlen` or more indices are dropped with their labels (Keras's rule: exactly maxlen is dropped too); then
    words outside [skip_top, num_words) become `oov_char`, or are removed when oov_char is None. num_words=None
    keeps every word (Keras instead uses the largest index as the limit, which turns that single word into
    oov_char).

    Args:
        sequences: lists (or arrays) of word ranks.
        labels: one label per sequence (array).

    Returns:
        (list of lists of int, the labels of the sequences kept).
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    words = np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int64, count=int(lengths.sum()))
    words += index_from
    if start_char is not None:
        words = np.insert(words, np.cumsum(lengths) - lengths, start_char)
        lengths += 1
    kept_sequences = lengths < maxlen if maxlen else np.ones(len(lengths), dtype=bool)
    owners = np.repeat(np.arange(len(lengths)), lengths)
    kept_words = kept_sequences[owners]
    in_vocabulary = (words >= skip_top) & (words < num_words) if num_words is not None else words >= skip_top
    if oov_char is None:
        kept_words &= in_vocabulary
    else:
        words = np.where(in_vocabulary, words, oov_char)
    kept_lengths = np.bincount(owners[kept_words], minlength=len(lengths))[kept_sequences].tolist()
    values, ends = words[kept_words].tolist(), itertools.accumulate(kept_lengths)
    return [values[end - length:end] for end, length in zip(ends, kept_lengths)], np.asarray(labels)[kept_sequences]


def object_array(sequences):
    """A 1-D object array of lists (even when all lists have the same length, unlike np.array)."""
    array = np.empty(len(sequences), dtype=object)
    for position, sequence in enumerate(sequences):
        array[position] = sequence
    return array


def read_word_index(path):
    """The {word: index} dict stored in a word-index JSON file."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
