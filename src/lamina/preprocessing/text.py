"""Keras's text preprocessing: Tokenizer, text_to_word_sequence, one_hot and hashing_trick.

Results equal Keras's (keras.preprocessing.text, Keras 1-3) on the same texts, and Tokenizer JSON moves between
Keras and lamina both ways.
"""
import collections
import functools
import hashlib
import itertools
import json

import numpy as np

from lamina.identifiers import check_choice

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Splits a text into words: lower-cased, with every character of `filters` treated as a separator.

    Example:
        >>> text_to_word_sequence("The cat sat. The end!")
        ['the', 'cat', 'sat', 'the', 'end']
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(_separator_table(filters, split))
    return [word for word in input_text.split(split) if word]


@functools.lru_cache(maxsize=16)
def _separator_table(filters, split):
    """str.translate's table turning every character of `filters` into `split` (built once per pair)."""
    return str.maketrans({character: split for character in filters})


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Encodes a text as word indices in [1, n - 1] by hashing each word (index 0 is never used).

    Args:
        n: size of the hashing space; collisions are possible.
        hash_function: None uses Python's `hash`, which is salted per process for strings (set the environment
            variable PYTHONHASHSEED for stable indices); 'md5' gives stable indices equal to Keras's; or any
            function from a string to an int.
        analyzer: a function from text to words, replacing the filters/lower/split splitting.

    Example:
        >>> hashing_trick("the cat sat", 10, hash_function="md5")
        [6, 3, 1]
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    words = analyzer(text) if analyzer is not None else text_to_word_sequence(text, filters, lower, split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def _md5_hash(word):
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """hashing_trick with Python's `hash` (as Keras's one_hot): indices in [1, n - 1], not one-hot vectors.

    Python salts string hashes per process, so indices change between runs unless PYTHONHASHSEED is set; use
    hashing_trick(..., hash_function='md5') for stable indices.
    """
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


class Tokenizer:
    """Turns texts into sequences of word indices or into bag-of-words matrices, as Keras's Tokenizer.

    Words are indexed from 1 by decreasing frequency (ties in order of first appearance); index 0 is reserved.
    With `oov_token`, it takes index 1 and stands for unknown words.

    Args:
        num_words: keep only words with index below num_words in texts_to_sequences / matrices (Keras 1's
            `nb_words` is accepted). word_index still holds every word.
        filters: characters removed from texts (treated as separators).
        lower: lower-case texts first.
        split: the word separator.
        char_level: every character is a token.
        oov_token: a token standing for words not in the vocabulary.
        analyzer: a function from text to tokens, replacing filters/lower/split.

    Example:
        >>> tokenizer = Tokenizer(num_words=1000)
        >>> tokenizer.fit_on_texts(["the cat sat", "the dog"])
        >>> tokenizer.texts_to_sequences(["the dog sat"])
        [[1, 4, 3]]
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer got unexpected keyword arguments: {sorted(kwargs)}. Valid: num_words, "
                            f"filters, lower, split, char_level, oov_token, analyzer (and Keras 1's nb_words).")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters, self.split, self.lower = filters, split, lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        """The tokens of one text: characters or a given list of words (lower-cased), or split words."""
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [token.lower() for token in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Counts words in `texts` (strings, or lists of words) and rebuilds word_index by frequency."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            # Counter keeps first-appearance order, so word_counts keeps Keras's order (which breaks count ties)
            for token, count in collections.Counter(tokens).items():
                self.word_counts[token] = self.word_counts.get(token, 0) + count
            for token in set(tokens):  # the order Keras's JSON lists word_docs in
                self.word_docs[token] += 1
        by_frequency = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [word for word, _ in by_frequency]
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Counts, for tfidf, in how many sequences (lists of word indices) each index occurs."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices; unknown words (and indices >= num_words) are dropped, or become
        the oov_token's index."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """texts_to_sequences, one text at a time."""
        kept = {word: index for word, index in self.word_index.items()
                if not (self.num_words and index >= self.num_words)}
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            tokens = self._tokens(text)
            if self.oov_token is None:
                yield [kept[token] for token in tokens if token in kept]
            else:  # unknown words, and known words beyond num_words, become the oov_token's index
                yield [kept.get(token, oov_index) for token in tokens]

    def sequences_to_texts(self, sequences):
        """Each sequence of word indices as a text (words joined by spaces)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """sequences_to_texts, one sequence at a time."""
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None and not (self.num_words and index >= self.num_words):
                    words.append(word)
                elif self.oov_token is not None and (word is None or oov_index is not None):
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """A (len(texts), num_words) bag-of-words matrix; see sequences_to_matrix for the modes."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A (len(sequences), num_words) matrix: column j scores word index j in each sequence.

        Args:
            mode: 'binary' (present or not), 'count', 'freq' (count / sequence length) or 'tfidf'
                ((1 + log count) * log(1 + documents / (1 + documents containing the word))).
        """
        check_choice("mode", mode, MATRIX_MODES, owner="Tokenizer")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("Tokenizer.sequences_to_matrix needs a width: pass num_words to Tokenizer(...) or call "
                             "fit_on_texts first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: mode='tfidf' needs document counts; call fit_on_texts or fit_on_sequences "
                             "first.")
        lengths = np.array([len(sequence) for sequence in sequences], dtype=np.int64)
        rows = np.repeat(np.arange(len(sequences)), lengths)
        columns = np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int64, count=int(lengths.sum()))
        kept = columns < width
        matrix = np.zeros((len(sequences), width))
        np.add.at(matrix, (rows[kept], columns[kept]), 1)  # word counts
        if mode == "binary":
            matrix[matrix > 0] = 1
        elif mode == "freq":
            matrix /= np.maximum(lengths, 1)[:, None]
        elif mode == "tfidf":
            documents = 1 + np.array([self.index_docs.get(index, 0) for index in range(width)])
            present = matrix > 0
            matrix[present] = (1 + np.log(matrix[present])) * np.broadcast_to(
                np.log(1 + self.document_count / documents), matrix.shape)[present]
        return matrix

    def get_config(self):
        """The tokenizer's settings and vocabulary in Keras's layout (dictionaries as JSON strings)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string that Keras's and lamina's tokenizer_from_json read.

        Keyword arguments go to json.dumps (e.g. ensure_ascii=False)."""
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A Tokenizer from to_json's output (lamina's or Keras's).

    Example:
        >>> restored = tokenizer_from_json(tokenizer.to_json())
    """
    config = dict(json.loads(json_string).get("config"))
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(key): value for key, value in json.loads(config.pop("index_docs")).items()}
    index_word = {int(key): value for key, value in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts, tokenizer.word_docs, tokenizer.index_docs = word_counts, word_docs, index_docs
    tokenizer.word_index, tokenizer.index_word = word_index, index_word
    return tokenizer

