"""Keras's sequence preprocessing: pad_sequences, skipgrams (word2vec training pairs), make_sampling_table."""
import random

import numpy as np

from lamina.utils.arrays import pad_sequences

__all__ = ["make_sampling_table", "pad_sequences", "skipgrams"]


def make_sampling_table(size, sampling_factor=1e-5):
    """Probability of keeping the word of each frequency rank, for skipgrams' `sampling_table`.

    word2vec's subsampling, min(1, sqrt(frequency / sampling_factor) / (frequency / sampling_factor)), with word
    frequencies approximated by Zipf's law from the rank alone (as Keras does).

    Args:
        size: number of words (ranks 0 .. size - 1; rank 0 is treated as rank 1).
        sampling_factor: word2vec's sampling threshold.

    Returns:
        A float array of shape (size,).

    Example:
        >>> make_sampling_table(5).round(4)
        array([0.0032, 0.0032, 0.0055, 0.0074, 0.0091])
    """
    euler_gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inverse_frequency = rank * (np.log(rank) + euler_gamma) + 0.5 - 1.0 / (12.0 * rank)
    scaled = sampling_factor * inverse_frequency
    return np.minimum(1.0, scaled / np.sqrt(scaled))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """Word pairs for skip-gram training: (word, neighbour) labelled 1 and (word, random word) labelled 0.

    Randomness comes from Python's `random` module exactly as in Keras, so for the same `random` state and seed
    the result equals Keras's: subsampling and negative words draw from the global state; shuffling reseeds the
    global `random` module with `seed` (or with a seed drawn from it), once before shuffling the pairs and once
    before shuffling the labels. Call `random.seed(...)` first for reproducible negatives.

    Args:
        sequence: word indices (ints); index 0 is padding and skipped.
        vocabulary_size: largest word index + 1; negative words are drawn from 1 .. vocabulary_size - 1.
        window_size: how many words on each side count as neighbours.
        negative_samples: negatives per positive pair (0 for none).
        shuffle: shuffle the pairs (labels stay aligned).
        categorical: labels as [0, 1] / [1, 0] instead of 1 / 0.
        sampling_table: keep-probability per word index (see make_sampling_table).
        seed: seed for the shuffle.

    Returns:
        (couples, labels): lists of [word, context] pairs and their labels.

    Example:
        >>> couples, labels = skipgrams([1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0,
        ...                             shuffle=False)
        >>> couples, labels
        ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
    """
    positive, negative = ([0, 1], [1, 0]) if categorical else (1, 0)
    couples, labels = [], []
    for position, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for neighbour_position in range(max(0, position - window_size),
                                        min(len(sequence), position + window_size + 1)):
            neighbour = sequence[neighbour_position]
            if neighbour_position != position and neighbour:
                couples.append([word, neighbour])
                labels.append(positive)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [pair[0] for pair in couples]
        random.shuffle(words)
        couples += [[words[index % len(words)], random.randint(1, vocabulary_size - 1)] for index in range(count)]
        labels += [negative] * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, 10_000_000)  # Keras's 10e6, as an int
        for items in (couples, labels):
            random.seed(seed)
            random.shuffle(items)
    return couples, labels
