"""Pretrained word vectors as an Embedding aligned to a vocabulary (a TextVectorization's, or a list of words).

Words the vectors lack are initialised as Kim (2014) does: uniform in [-a, a], with a chosen so that their
variance equals the known vectors' (a = sqrt(3 * variance)). Row 0 (padding, '') is zeros.
"""
import os
from typing import NamedTuple

import numpy as np

from lamina.layers import Embedding, TextVectorization


class Coverage(NamedTuple):
    """How much of the vocabulary the vectors cover: `found` of `total` words (special tokens excluded), and the
    missing words in vocabulary order."""

    found: int
    total: int
    missing: list

    @property
    def fraction(self):
        return self.found / self.total if self.total else 0.0

    def __str__(self):
        return f"{self.found:,} of {self.total:,} words have vectors ({self.fraction:.1%})"


def pretrained_embedding(vectors, vocabulary, trainable=False, mask_zero=False, seed=0, binary=None, name=None):
    """(an Embedding whose row i is the vector of vocabulary[i], the Coverage).

    Args:
        vectors: a lamina KeyedVectors or Word2Vec, or a file: word2vec binary (.bin), word2vec text, or GloVe
            text (no header line; detected).
        vocabulary: a TextVectorization (its get_vocabulary()) or a list of words by index; '' and '[UNK]' get
            zeros and a random row.
        trainable: False keeps the vectors fixed ("static", Kim's CNN-static); True trains them ("non-static").
        mask_zero: the Embedding's mask for padding id 0.
        seed: the seed of the random rows of missing words.
        binary: for a file: None decides by the .bin extension.

    Example:
        >>> embedding, coverage = pretrained_embedding("vectors.bin", vectorize)
        >>> print(coverage)      # 17,102 of 18,000 words have vectors (95.0%)
    """
    keyed = _keyed_vectors(vectors, binary)
    words = vocabulary.get_vocabulary() if isinstance(vocabulary, TextVectorization) else list(vocabulary)
    known = np.asarray(keyed.vectors, dtype=np.float32)
    scale = float(np.sqrt(3 * known.var())) if known.size else 0.05
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-scale, scale, (len(words), keyed.vector_size)).astype(np.float32)
    missing, special = [], {"", "[UNK]"}
    for index, word in enumerate(words):
        if word == "":
            matrix[index] = 0.0
        elif word in keyed.key_to_index:
            matrix[index] = known[keyed.key_to_index[word]]
        elif word not in special:
            missing.append(word)
    total = sum(1 for word in words if word not in special)
    embedding = Embedding(len(words), keyed.vector_size, weights=[matrix], trainable=trainable, mask_zero=mask_zero,
                          name=name)
    embedding.build((None, None))  # the weights exist now: inspectable and copied before any call
    embedding.built = True
    return embedding, Coverage(total - len(missing), total, missing)


def _keyed_vectors(vectors, binary):
    from lamina.word2vec import KeyedVectors

    if hasattr(vectors, "wv"):
        return vectors.wv
    if isinstance(vectors, KeyedVectors):
        return vectors
    path = os.fspath(vectors)
    binary = path.endswith(".bin") if binary is None else binary
    return KeyedVectors.load_word2vec_format(path, binary=binary, no_header=not binary and not _has_header(path))


def _has_header(path):
    """Whether a text vectors file starts with word2vec's "<count> <size>" line (GloVe's does not)."""
    with open(path, encoding="utf-8", errors="replace") as file:
        first = file.readline().split()
    return len(first) == 2 and all(part.isdigit() for part in first)
