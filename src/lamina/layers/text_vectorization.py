"""TextVectorization: raw strings to token ids or bag-of-words vectors, with Keras 3's arguments and results.

Keras's layer runs TensorFlow string ops; this one runs Python's, with the same rules: lowercasing of ASCII letters
only (tf.strings.lower), punctuation stripped by Keras's regular expression, splitting on ASCII whitespace, ngrams
joined by spaces (all 1-grams, then all 2-grams, ...), a vocabulary ordered by count and then by token, both
descending, and TF-IDF weights log(1 + documents / (1 + documents with the token)). The vocabulary and weights
are in the config, so a saved layer (or model) carries them.
"""
import collections
import os
import re

import numpy as np
import torch

from lamina import config as lamina_config
from lamina.engine.base_layer import Layer, TensorSpec
from lamina.identifiers import check_choice

PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
ASCII_WHITESPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = (None, "whitespace", "character")
OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")
MASK, OOV = "", "[UNK]"


class TextVectorization(Layer):
    """Turns a batch of strings into token ids ('int') or one vector per string ('multi_hot', 'count', 'tf_idf').

    Args:
        max_tokens: the vocabulary's size, special tokens included ('' and '[UNK]' for 'int', '[UNK]' otherwise);
            None for no limit.
        standardize: 'lower_and_strip_punctuation', 'lower', 'strip_punctuation', None, or a function of one
            string returning a string.
        split: 'whitespace', 'character', None (the whole string is one token), or a function of one string
            returning a list of tokens.
        ngrams: None, an int n (1-grams to n-grams), or a tuple of widths.
        output_mode: 'int' (index 0 padding, 1 out of vocabulary), 'multi_hot', 'count' or 'tf_idf' (index 0 out
            of vocabulary).
        output_sequence_length: 'int' only: pad or cut every row to this length (default: the longest row).
        pad_to_max_tokens: vector modes: `max_tokens` columns even when the vocabulary is smaller.
        vocabulary: a list of tokens or a file with one per line, instead of `adapt` (leading special tokens are
            allowed and skipped).
        idf_weights: 'tf_idf' with a given vocabulary: one weight per token (and one for '[UNK]' first when the
            vocabulary starts with it, as in Keras; the out-of-vocabulary weight is always their mean).

    Input: a list, tuple or numpy array of strings (N,) or (N, 1). Output: int64 (N, length) for 'int', floats
    (N, vocabulary size) otherwise.

    Example:
        >>> vectorize = TextVectorization(max_tokens=1000, output_sequence_length=20)
        >>> vectorize.adapt(["the cat sat", "the dog ran"])
        >>> vectorize(["the cat ran"])        # tensor([[2, ...]]) padded to 20
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", **kwargs):
        kwargs.pop("vocabulary_size", None)  # in Keras's config, derived from the vocabulary
        super().__init__(**kwargs)
        if not callable(standardize):
            check_choice("standardize", standardize, STANDARDIZE, owner="TextVectorization")
        if not callable(split):
            check_choice("split", split, SPLIT, owner="TextVectorization")
        self.output_mode = check_choice("output_mode", "tf_idf" if output_mode == "tf-idf" else output_mode,
                                        OUTPUT_MODES, owner="TextVectorization")
        if sparse or ragged:
            raise ValueError("TextVectorization: sparse and ragged outputs are not available in lamina (torch has "
                             "no ragged tensors); use output_sequence_length or the padded dense output.")
        if output_sequence_length is not None and self.output_mode != "int":
            raise ValueError(f"TextVectorization: output_sequence_length applies to output_mode='int' only, "
                             f"received output_mode={self.output_mode!r}.")
        if ngrams is not None and not (isinstance(ngrams, int) or isinstance(ngrams, (tuple, list)) and all(
                isinstance(width, int) for width in ngrams)):
            raise ValueError(f"TextVectorization: `ngrams` must be None, an integer, or a tuple of integers, "
                             f"received {ngrams!r}.")
        self.max_tokens, self.standardize, self.split = max_tokens, standardize, split
        self.ngrams = tuple(ngrams) if isinstance(ngrams, list) else ngrams
        self.widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else self.ngrams
        self.output_sequence_length, self.pad_to_max_tokens = output_sequence_length, bool(pad_to_max_tokens)
        self.encoding = encoding
        self.special = [MASK, OOV] if self.output_mode == "int" else [OOV]
        self.vocabulary, self.idf_weights, self.index = [], None, {}
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        # No weights (the vocabulary lives in the config); this empty buffer, not saved, follows model.to(device)
        # so that the ids are made where the next layer's weights are.
        self.register_buffer("device_marker", torch.zeros(0), persistent=False)
        self.built = True

    # ---------------------------------------------------------------- vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (and TF-IDF weights) from strings: a list or array, or an iterable of strings, of
        batches of strings, or of (strings, labels) pairs (e.g. text_dataset_from_directory). Replaces any
        vocabulary set before."""
        counts, documents, total = collections.Counter(), collections.Counter(), 0
        for text in _texts(data, steps):
            tokens = [token for token in self.tokens(text) if token != MASK]  # '' is padding, never learned
            counts.update(tokens)
            documents.update(set(tokens))
            total += 1
        learned = sorted(counts, key=lambda token: (counts[token], token), reverse=True)
        if self.max_tokens is not None:
            learned = learned[:max(self.max_tokens - len(self.special), 0)]
        idf = None
        if self.output_mode == "tf_idf":
            idf = [float(np.log(1 + total / (1 + documents[token]))) for token in learned]
        self._set(learned, idf)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list of tokens, or a file with one per line) and, for 'tf_idf', its weights."""
        if isinstance(vocabulary, (str, os.PathLike)):
            with open(vocabulary, encoding=self.encoding) as file:
                vocabulary = [line.rstrip("\n") for line in file]
        tokens = [str(token) for token in vocabulary]
        skipped = 0
        while skipped < len(self.special) and tokens[skipped:skipped + 1] == self.special[skipped:skipped + 1]:
            skipped += 1
        tokens = tokens[skipped:]
        if len(set(tokens)) != len(tokens) or any(token in self.special for token in tokens):
            repeated = sorted({token for token in tokens if tokens.count(token) > 1 or token in self.special})
            raise ValueError(f"TextVectorization: the vocabulary repeats tokens or holds a special token out of its "
                             f"place: {repeated}. Give each token once ('' and '[UNK]' only at the start).")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("TextVectorization: output_mode='tf_idf' with a given vocabulary needs "
                                 "`idf_weights`, one per token.")
            idf_weights = [float(weight) for weight in np.ravel(idf_weights)]
            if OOV in self.special[:skipped] and len(idf_weights) == len(tokens) + 1:
                idf_weights = idf_weights[1:]  # Keras's: the out-of-vocabulary token's weight first
            if len(idf_weights) != len(tokens):
                raise ValueError(f"TextVectorization: {len(idf_weights)} idf_weights for {len(tokens)} tokens; give "
                                 f"one weight per token (special tokens excluded).")
        elif idf_weights is not None:
            raise ValueError(f"TextVectorization: `idf_weights` is for output_mode='tf_idf' only, received "
                             f"output_mode={self.output_mode!r}.")
        self._set(tokens, idf_weights)

    def _set(self, tokens, idf_weights):
        self.vocabulary, self.idf_weights = list(tokens), idf_weights
        self.index = {token: position + len(self.special) for position, token in enumerate(self.vocabulary)}

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index: ['', '[UNK]', ...] for 'int', ['[UNK]', ...] otherwise."""
        return (self.special if include_special_tokens else []) + list(self.vocabulary)

    def vocabulary_size(self):
        return len(self.special) + len(self.vocabulary)

    # ---------------------------------------------------------------- calling
    def tokens(self, text):
        """One string's tokens: standardized, split and made into ngrams."""
        if isinstance(text, bytes):
            text = text.decode(self.encoding)
        if callable(self.standardize):
            text = self.standardize(text)
        else:
            if self.standardize in ("lower", "lower_and_strip_punctuation"):
                text = text.translate(ASCII_LOWER)
            if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
                text = PUNCTUATION.sub("", text)
        if self.split is None:
            tokens = [text]
        elif callable(self.split):
            tokens = list(self.split(text))
        elif self.split == "whitespace":
            tokens = [token for token in ASCII_WHITESPACE.split(text) if token]
        else:
            tokens = list(text)
        if self.widths is None:
            return tokens
        return [" ".join(tokens[start:start + width]) for width in self.widths
                for start in range(len(tokens) - width + 1)]

    def call(self, inputs):
        texts = _batch_of_strings(inputs)
        unknown = 1 if self.output_mode == "int" else 0
        rows = [[0 if token == MASK else self.index.get(token, unknown) for token in self.tokens(text)
                 if token != MASK or self.output_mode == "int"] for text in texts]  # '' is padding (id 0)
        if self.output_mode == "int":
            length = self.output_sequence_length or max((len(row) for row in rows), default=0)
            ids = np.zeros((len(rows), length), dtype=np.int64)
            for position, row in enumerate(rows):
                ids[position, :min(len(row), length)] = row[:length]
            return torch.from_numpy(ids).to(self.device_marker.device)
        width = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else self.vocabulary_size()
        counts = np.zeros((len(rows), width), dtype=np.float64)
        for position, row in enumerate(rows):
            np.add.at(counts[position], row, 1.0)
        if self.output_mode == "multi_hot":
            counts = np.minimum(counts, 1.0)
        elif self.output_mode == "tf_idf":
            weights = np.zeros(width)
            if self.vocabulary:
                weights[0] = self._oov_weight()
                weights[1:1 + len(self.idf_weights)] = self.idf_weights
            counts = counts * weights
        return torch.from_numpy(counts).to(self.device_marker.device, lamina_config.floatx_dtype())

    def compute_output_spec(self, inputs):
        """(batch, output_sequence_length) int64 ids, or (batch, vocabulary size) vectors; computed, not traced:
        strings have no meta tensors."""
        if self.output_mode == "int":
            return TensorSpec((inputs.shape[0], self.output_sequence_length), torch.int64)
        width = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else (
            self.vocabulary_size() if self.vocabulary else None)
        return TensorSpec((inputs.shape[0], width), lamina_config.floatx_dtype())

    def _oov_weight(self):
        """The out-of-vocabulary token's TF-IDF weight: the mean of the others' (Keras's choice)."""
        return float(np.mean(self.idf_weights)) if self.idf_weights else 0.0

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens, "standardize": self.standardize,
                "split": self.split, "ngrams": self.ngrams, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length, "pad_to_max_tokens": self.pad_to_max_tokens,
                "sparse": False, "ragged": False, "vocabulary": self.get_vocabulary() if self.vocabulary else None,
                "idf_weights": None if self.idf_weights is None else [self._oov_weight()] + self.idf_weights,
                "encoding": self.encoding,
                "vocabulary_size": self.vocabulary_size()}


def _batch_of_strings(inputs):
    """A list of strings from a list/tuple/array of shape (N,) or (N, 1)."""
    if isinstance(inputs, str):
        raise TypeError("TextVectorization: pass a batch of strings (a list, e.g. [text]), not one string.")
    array = np.asarray(inputs, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"TextVectorization: expected strings of shape (N,) or (N, 1), received shape "
                         f"{array.shape}.")
    return list(array)


def _texts(data, steps):
    """Every string in `data`: a string array or list, or an iterable of strings, batches or (texts, labels)."""
    if isinstance(data, np.ndarray):
        yield from _batch_of_strings(data)
        return
    for step, item in enumerate(data):
        if steps is not None and step >= steps:
            return
        if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[1], str):
            item = item[0]  # (texts, labels)
        if isinstance(item, (str, bytes)):
            yield item
        else:
            yield from _batch_of_strings(item)
