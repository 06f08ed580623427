"""The word-index handling shared by IMDB and Reuters: shuffling, start/out-of-vocabulary marks, length and
vocabulary limits, with the meaning of Keras's `num_words`, `skip_top`, `maxlen`, `start_char`, `oov_char` and
`index_from`."""
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


def shuffle(seed_rng, *arrays):
    """The arrays reordered by one permutation drawn from `seed_rng` (a numpy RandomState), as Keras does."""
    indices = np.arange(len(arrays[0]))
    seed_rng.shuffle(indices)
    return [array[indices] for array in arrays]


def offset(sequences, start_char, index_from):
    """Lists of word indices shifted by `index_from`, each preceded by `start_char` unless it is None."""
    head = [] if start_char is None else [start_char]
    return [head + [int(word) + index_from for word in sequence] for sequence in sequences]


def drop_long(maxlen, sequences, labels):
    """Keeps the sequences shorter than `maxlen` (Keras's rule: a sequence of exactly maxlen is dropped)."""
    if not maxlen:
        return list(sequences), list(labels)
    kept = [(sequence, label) for sequence, label in zip(sequences, labels) if len(sequence) < maxlen]
    return [sequence for sequence, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become `oov_char`, or are removed when oov_char is None.

    num_words=None keeps every word (Keras instead uses the largest index as the limit, which turns that single
    word into oov_char).
    """
    def kept(word):
        return skip_top <= word and (num_words is None or word < num_words)

    if oov_char is None:
        return [[word for word in sequence if kept(word)] for sequence in sequences]
    return [[word if kept(word) else oov_char for word in sequence] for sequence in sequences]


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
