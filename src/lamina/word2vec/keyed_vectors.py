"""KeyedVectors: words mapped to vectors, with similarity queries in gensim's semantics.

The vectors live in one float32 numpy array (one row per word, most frequent first after training); queries use
numpy in float32 like gensim, so answers match gensim's on the same vectors. Analogy and word-pair benchmarks
live in `lamina.word2vec.evaluation`, the word2vec.c/GloVe file formats in `lamina.word2vec.formats`.

Example:
    >>> kv = KeyedVectors.from_vectors(["king", "queen", "man", "woman"], np.random.rand(4, 50).astype("float32"))
    >>> kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)
"""
from numbers import Integral

import numpy as np

from lamina.identifiers import nearest_suggestion

_SUGGESTION_POOL = 20000  # unknown-word suggestions look at the most frequent words only, to stay fast


class KeyedVectors:
    """A vocabulary of words (keys), each with a vector; answers similarity and analogy queries.

    Args:
        vector_size: length of each vector.
        count: number of rows to allocate up front, filled by `add_vector` (gensim's constructor).
        dtype: numpy dtype of the vectors.

    Attributes:
        vectors: (len(kv), vector_size) array, row i for word index_to_key[i].
        index_to_key: list of words, by row.
        key_to_index: dict word -> row.
        vector_size: length of each vector.
        norms: L2 norm of each row, filled by `fill_norms()`.

    Example:
        >>> kv = KeyedVectors.from_vectors(["cat", "dog", "car"], vectors, counts=[30, 20, 10])
        >>> kv["cat"].shape, kv.similarity("cat", "dog"), kv.most_similar("cat", topn=2)
    """

    def __init__(self, vector_size, count=0, dtype=np.float32):
        if isinstance(vector_size, bool) or not isinstance(vector_size, Integral) or vector_size < 1:
            raise ValueError(f"KeyedVectors: vector_size must be a positive integer, received {vector_size!r}.")
        if isinstance(count, bool) or not isinstance(count, Integral) or count < 0:
            raise ValueError(f"KeyedVectors: count must be a non-negative integer, received {count!r}.")
        self.vector_size = int(vector_size)
        self.vectors = np.zeros((int(count), self.vector_size), dtype=dtype)
        self.index_to_key = [None] * int(count)
        self.key_to_index = {}
        self.next_index = 0
        self.expandos = {}
        self.norms = None

    @classmethod
    def from_vectors(cls, keys, vectors, counts=None):
        """Wraps existing vectors without copying them (a trainer may keep updating the array in place).

        Args:
            keys: list of distinct words, one per row.
            vectors: (len(keys), vector_size) float array.
            counts: optional word frequencies, one per key (read back with `get_vecattr(key, 'count')`).

        Example:
            >>> kv = KeyedVectors.from_vectors(["a", "b"], np.eye(2, dtype="float32"), counts=[5, 3])
        """
        vectors = np.asarray(vectors)
        keys = list(keys)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys) or not np.issubdtype(vectors.dtype, np.floating):
            raise ValueError(
                f"KeyedVectors.from_vectors: vectors must be a float array of shape (len(keys), vector_size) = "
                f"({len(keys)}, vector_size), received {vectors.dtype} array of shape {vectors.shape}. Pass one "
                f"row per key.")
        kv = cls(max(vectors.shape[1], 1), 0, dtype=vectors.dtype)
        kv.vector_size = vectors.shape[1]
        kv.vectors = vectors
        kv.index_to_key = keys
        kv.key_to_index = _index_keys(keys)
        kv.next_index = len(keys)
        if counts is not None:
            kv._set_counts(counts)
        return kv

    # ----------------------------------------------------------------------------------------------- lookup

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return self.has_index_for(key)

    def __getitem__(self, key_or_keys):
        """`kv['word']` is one vector; `kv[['a', 'b']]` stacks several into a (2, vector_size) array."""
        if isinstance(key_or_keys, (str, Integral)):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(key) for key in key_or_keys])

    def __setitem__(self, key_or_keys, vectors):
        if isinstance(key_or_keys, (str, Integral)):
            key_or_keys, vectors = [key_or_keys], np.asarray(vectors).reshape(1, -1)
        self.add_vectors(list(key_or_keys), vectors, replace=True)

    def __repr__(self):
        return f"<KeyedVectors: {len(self)} words x {self.vector_size} dimensions>"

    def has_index_for(self, key):
        """Whether `key` is a word of the vocabulary (or a valid integer row index)."""
        return self.get_index(key, -1) >= 0

    def get_index(self, key, default=None):
        """Row of `key`; an integer key is taken as a row index; `default` (if given) for unknown words.

        Raises:
            KeyError: unknown word and no default, with the nearest known word suggested.
        """
        try:
            index = self.key_to_index.get(key, -1)
        except TypeError:  # unhashable, e.g. a vector
            index = -1
        if index >= 0:
            return index
        if isinstance(key, Integral) and not isinstance(key, bool) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise self._unknown_key_error(key)

    def get_vector(self, key, norm=False):
        """The vector of `key` (a view of the stored row); with norm=True, divided by its length."""
        index = self.get_index(key)
        if norm:
            self.fill_norms()
            return self.vectors[index] / self.norms[index]
        return self.vectors[index]

    def _unknown_key_error(self, key):
        pool = self.index_to_key[:_SUGGESTION_POOL]
        if isinstance(key, str) and len(self.index_to_key) > _SUGGESTION_POOL:
            variants = [word for word in (key.lower(), key.upper(), key.capitalize()) if word in self.key_to_index]
            pool = variants + pool
        candidates = [word for word in pool if isinstance(word, str)]
        suggestion = nearest_suggestion(key, candidates) if isinstance(key, str) and candidates else ""
        return KeyError(f"Key '{key}' not present in vocabulary.{suggestion} Check spelling and case, or see "
                        f"`key in kv` / kv.index_to_key for the {len(self)} known words.")

    # --------------------------------------------------------------------------------------------- building

    def add_vector(self, key, vector):
        """Adds one word (into a row allocated by the constructor if one is free); returns its row."""
        if key in self.key_to_index:
            index = self.key_to_index[key]
            self.vectors[index] = vector
            return index
        if self.next_index < len(self.index_to_key) and self.index_to_key[self.next_index] is None:
            index = self.next_index
            self.index_to_key[index] = key
            self.key_to_index[key] = index
            self.vectors[index] = vector
            self.next_index += 1
            self.norms = None
            return index
        self.add_vectors([key], np.asarray(vector).reshape(1, -1))
        return self.key_to_index[key]

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Appends words and their vectors (known words are updated only with replace=True).

        Args:
            keys: list of words.
            weights: (len(keys), vector_size) array.
            extras: optional dict attribute -> one value per key, e.g. {'count': [...]}.
            replace: overwrite the vectors of words already present.
        """
        keys = list(keys)
        weights = np.asarray(weights, dtype=self.vectors.dtype).reshape(len(keys), -1)
        if weights.shape[1] != self.vector_size:
            raise ValueError(f"KeyedVectors.add_vectors: weights must have {self.vector_size} columns "
                             f"(vector_size), received shape {weights.shape}.")
        self._drop_unfilled_rows()
        was_known = [key in self.key_to_index for key in keys]
        chosen_row = {}  # the row of `weights` each key takes: its first, or with replace=True its last
        for row, key in enumerate(keys):
            if replace or key not in chosen_row:
                chosen_row[key] = row
        first_new = len(self.index_to_key)
        new_keys = [key for key in chosen_row if key not in self.key_to_index]
        added = set(new_keys)
        for key in new_keys:
            self.key_to_index[key] = len(self.index_to_key)
            self.index_to_key.append(key)
        if new_keys:
            self.vectors = np.vstack([self.vectors, weights[[chosen_row[key] for key in new_keys]]])
        for name, values in self.expandos.items():
            self.expandos[name] = np.concatenate([values, np.zeros(len(new_keys), dtype=values.dtype)])
        if replace:
            for row, key in enumerate(keys):
                if was_known[row]:
                    self.vectors[self.key_to_index[key]] = weights[chosen_row[key]]
        for name, values in (extras or {}).items():
            for key, row in chosen_row.items():
                if replace or key in added:
                    self.set_vecattr(key, name, np.asarray(values)[row])
        self.next_index = len(self.index_to_key)
        self.norms = None
        return first_new

    def _drop_unfilled_rows(self):
        if self.next_index < len(self.index_to_key) and all(k is None for k in self.index_to_key[self.next_index:]):
            self.index_to_key = self.index_to_key[:self.next_index]
            self.vectors = self.vectors[:self.next_index]
            self.expandos = {name: values[:self.next_index] for name, values in self.expandos.items()}

    def sort_by_descending_frequency(self):
        """Reorders the rows by decreasing 'count' (ties keep their order); the vectors are copied.

        Raises:
            KeyError: no counts (pass counts= to from_vectors or set_vecattr(key, 'count', n)).
        """
        if "count" not in self.expandos:
            raise KeyError("sort_by_descending_frequency: the words have no 'count' attribute. Pass counts= to "
                           "KeyedVectors.from_vectors or set them with set_vecattr(key, 'count', n).")
        self._drop_unfilled_rows()
        order = np.argsort(-self.expandos["count"], kind="stable")
        self.index_to_key = [self.index_to_key[row] for row in order]
        self.key_to_index = {key: row for row, key in enumerate(self.index_to_key)}
        self.vectors = self.vectors[order]
        self.expandos = {name: values[order] for name, values in self.expandos.items()}
        self.norms = None

    def get_vecattr(self, key, attribute):
        """A per-word attribute such as 'count' (KeyError if no word has it)."""
        if attribute not in self.expandos:
            suggestion = nearest_suggestion(attribute, list(self.expandos))
            raise KeyError(f"Attribute '{attribute}' is not set for any word.{suggestion} Known attributes: "
                           f"{sorted(self.expandos)}. Set it with set_vecattr(key, attribute, value).")
        return self.expandos[attribute][self.get_index(key)].item()

    def set_vecattr(self, key, attribute, value):
        """Sets a per-word attribute, e.g. set_vecattr('cat', 'count', 12)."""
        index = self.get_index(key)
        if attribute not in self.expandos:
            dtype = np.int64 if isinstance(value, (Integral, np.integer)) else np.asarray(value).dtype
            self.expandos[attribute] = np.zeros(len(self.index_to_key), dtype=dtype)
        self.expandos[attribute][index] = value

    def _set_counts(self, counts):
        counts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if counts.shape[0] != len(self.index_to_key):
            raise ValueError(f"KeyedVectors: counts must have one value per key ({len(self.index_to_key)}), "
                             f"received {counts.shape[0]}.")
        self.expandos["count"] = counts

    # ---------------------------------------------------------------------------------------------- norms

    def fill_norms(self, force=False):
        """Computes (or, with force=True, recomputes after training) the length of every vector."""
        if force or self.norms is None or len(self.norms) != len(self.vectors):
            self.norms = np.linalg.norm(self.vectors, axis=1)

    def get_normed_vectors(self):
        """All vectors divided by their lengths (a new array)."""
        self.fill_norms()
        return self.vectors / self.norms[..., np.newaxis]

    def unit_normalize_all(self):
        """Divides every vector by its length, in place (irreversible)."""
        self.fill_norms()
        self.vectors /= self.norms[..., np.newaxis]
        self.norms = np.ones(len(self.vectors), dtype=self.vectors.dtype)

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False, ignore_missing=True):
        """Weighted mean of the vectors of `keys` (words or raw vectors); raw vectors are used as given.

        Args:
            keys: words or 1-D arrays (a 2-D array counts as one raw vector per row).
            weights: one weight per key (default all 1); the sum is divided by the total of |weights|.
            pre_normalize: use unit-length word vectors.
            post_normalize: return a unit-length mean.
            ignore_missing: skip unknown words instead of raising KeyError.
        """
        if len(keys) == 0:
            raise ValueError("get_mean_vector: keys is empty; pass at least one word or vector.")
        weights = np.ones(len(keys), dtype=self.vectors.dtype) if weights is None else np.asarray(weights)
        if len(weights) != len(keys):
            raise ValueError(f"get_mean_vector: weights must have one value per key ({len(keys)}), "
                             f"received {len(weights)}.")
        mean = np.zeros(self.vector_size, self.vectors.dtype)
        total_weight = 0
        for key, weight in zip(keys, weights):
            if isinstance(key, np.ndarray):
                vector = key
            elif key in self:
                vector = self.get_vector(key, norm=pre_normalize)
            elif ignore_missing:
                continue
            else:
                raise self._unknown_key_error(key)
            mean += weight * vector
            total_weight += abs(weight)
        if total_weight > 0:
            mean = mean / total_weight
        return _unit_vector(mean).astype(self.vectors.dtype) if post_normalize else mean

    # ----------------------------------------------------------------------------------------- similarity

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        """Words closest (cosine) to the mean of the unit vectors of `positive` minus those of `negative`.

        Args:
            positive: words, vectors or (word, weight) pairs that count positively (weight +1 by default).
            negative: same, counting negatively (weight -1 by default).
            topn: number of results; None returns the similarity to every word as an array.
            clip_start, clip_end: only rows in [clip_start, clip_end) are candidates.
            restrict_vocab: only the first `restrict_vocab` words (the most frequent) are candidates.
            indexer: optional approximate-neighbour index with a `most_similar(vector, topn)` method.

        Returns:
            list of (word, cosine similarity), best first, without the input words.

        Example:
            >>> kv.most_similar(positive=["woman", "king"], negative=["man"], topn=3)
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _as_list(positive), _as_list(negative)
        self.fill_norms()
        clip_end = clip_end or len(self.vectors)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        keys, weights = [], []
        for item, default_weight in [(p, 1.0) for p in positive] + [(n, -1.0) for n in negative]:
            if isinstance(item, (str, Integral, np.ndarray)):
                keys.append(item)
                weights.append(default_weight)
            else:
                keys.append(item[0])
                weights.append(item[1])
        mean = self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True, ignore_missing=False)
        input_rows = {self.get_index(key) for key in keys if isinstance(key, (str, Integral)) and key in self}
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)
        similarities = np.dot(self.vectors[clip_start:clip_end], mean) / self.norms[clip_start:clip_end]
        if not topn:
            return similarities
        best = _top_indices(similarities, topn + len(input_rows))
        results = [(self.index_to_key[row + clip_start], float(similarities[row]))
                   for row in best if row + clip_start not in input_rows]
        return results[:topn]

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Analogy search with 3CosMul (Levy & Goldberg 2014): product of shifted cosines over products.

        Each cosine is mapped to [0, 1] as (1 + cos) / 2; the score is prod(positive) / (prod(negative) + 1e-6).
        Unlike gensim 4.4, which ignores it, `restrict_vocab` limits the candidates to the first words.

        Example:
            >>> kv.most_similar_cosmul(positive=["woman", "king"], negative=["man"], topn=3)
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive:
            raise ValueError("most_similar_cosmul: positive is empty; pass at least one word or vector.")
        self.fill_norms()
        end = restrict_vocab or len(self.vectors)
        input_rows = {self.get_index(word) for word in positive + negative
                      if not isinstance(word, np.ndarray) and word in self}

        def shifted_cosines(terms):
            vectors = [self.get_vector(t, norm=True) if isinstance(t, (str, Integral)) else t for t in terms]
            return [(1 + np.dot(self.vectors[:end], v) / self.norms[:end]) / 2 for v in vectors]

        scores = np.prod(shifted_cosines(positive), axis=0) / (np.prod(shifted_cosines(negative), axis=0) + 1e-6)
        if not topn:
            return scores
        best = _top_indices(scores, topn + len(input_rows))
        return [(self.index_to_key[row], float(scores[row])) for row in best if row not in input_rows][:topn]

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """The `topn` words most similar to `word` (most_similar with one positive word)."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = similar_by_word

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """The `topn` words most similar to a raw vector."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def similarity(self, word1, word2):
        """Cosine similarity of two words."""
        return np.dot(_unit_vector(self[word1]), _unit_vector(self[word2]))

    def n_similarity(self, words1, words2):
        """Cosine similarity of the mean vectors of two word lists.

        Raises:
            ZeroDivisionError: a list is empty (as gensim). KeyError: an unknown word (gensim skips it).
        """
        if not (len(words1) and len(words2)):
            raise ZeroDivisionError("n_similarity: words1 and words2 must both be non-empty lists of words.")
        mean1 = self.get_mean_vector(words1, pre_normalize=False, ignore_missing=False)
        mean2 = self.get_mean_vector(words2, pre_normalize=False, ignore_missing=False)
        return np.dot(_unit_vector(mean1), _unit_vector(mean2))

    def distance(self, word1, word2):
        """Cosine distance, 1 - similarity."""
        return 1 - self.similarity(word1, word2)

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a word or vector to `other_words` (to every word when empty)."""
        vector = self.get_vector(word_or_vector) if isinstance(word_or_vector, str) else word_or_vector
        if not len(other_words):
            others = self.vectors
        else:
            others = self.vectors[[self.get_index(word) for word in other_words]]
        return 1 - self.cosine_similarities(vector, others)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of one vector (dim,) with each row of vectors_all (n, dim)."""
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        return np.dot(vectors_all, vector_1) / (norm * all_norms)

    def closer_than(self, word1, word2):
        """Words closer to `word1` than `word2` is."""
        all_distances = self.distances(word1)
        row1, row2 = self.get_index(word1), self.get_index(word2)
        closer = np.flatnonzero(all_distances < all_distances[row2])
        return [self.index_to_key[row] for row in closer if row != row1]

    def rank(self, word1, word2):
        """Rank of `word2` among the neighbours of `word1` (1 = nearest)."""
        return len(self.closer_than(word1, word2)) + 1

    def rank_by_centrality(self, words, use_norm=True):
        """Known `words` as (similarity to their centroid, word), most central first; unknown words are skipped."""
        self.fill_norms()
        known = [word for word in words if word in self]
        if not known:
            raise ValueError(f"rank_by_centrality: none of the words {list(words)[:10]} is in the vocabulary.")
        vectors = np.vstack([self.get_vector(word, norm=use_norm) for word in known]).astype(self.vectors.dtype)
        mean = self.get_mean_vector(vectors, post_normalize=True)
        return sorted(zip(np.dot(vectors, mean), known), reverse=True)

    def doesnt_match(self, words):
        """The word least like the others: least similar to the mean of the unit vectors.

        Example:
            >>> kv.doesnt_match(["breakfast", "cereal", "dinner", "lunch"])
        """
        return self.rank_by_centrality(words)[-1][1]

    def most_similar_to_given(self, word, candidates):
        """The candidate most similar to `word`."""
        return candidates[int(np.argmax([self.similarity(word, candidate) for candidate in candidates]))]

    # ----------------------------------------------------------------------------------------- evaluation

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False):
        """Accuracy on an analogy file in the questions-words.txt format; see lamina.word2vec.evaluation."""
        from lamina.word2vec.evaluation import evaluate_word_analogies
        return evaluate_word_analogies(self, analogies, restrict_vocab=restrict_vocab,
                                       case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation with human similarity judgements (WordSim-353 style); see lamina.word2vec.evaluation."""
        from lamina.word2vec.evaluation import evaluate_word_pairs
        return evaluate_word_pairs(self, pairs, delimiter=delimiter, encoding=encoding,
                                   restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
                                   dummy4unknown=dummy4unknown)

    # ------------------------------------------------------------------------------------------- exporting

    def to_embedding_layer(self, trainable=False):
        """A lamina Embedding layer initialised with these vectors (row i = word index_to_key[i]).

        Example:
            >>> model = Sequential([kv.to_embedding_layer(), LSTM(32), Dense(1, activation="sigmoid")])
        """
        from lamina.layers import Embedding
        return Embedding(len(self), self.vector_size, weights=[self.vectors], trainable=trainable)

    def save(self, path):
        """Writes one file (a zip of JSON words/attributes and safetensors vectors), atomically; no pickle.

        Example:
            >>> kv.save("words.kv"); kv = KeyedVectors.load("words.kv")
        """
        from lamina.word2vec.formats import save_keyed_vectors
        save_keyed_vectors(self, path)

    @classmethod
    def load(cls, path):
        """Reads a file written by `save()` (never unpickles); see lamina.word2vec.formats.load_keyed_vectors."""
        from lamina.word2vec.formats import load_keyed_vectors
        return load_keyed_vectors(cls, path)

    def save_word2vec_format(self, path, fvocab=None, binary=False, total_vec=None, write_header=True,
                             prefix="", append=False, sort_attr="count"):
        """Writes the word2vec.c text or binary format; see lamina.word2vec.formats.save_word2vec_format."""
        from lamina.word2vec.formats import save_word2vec_format
        save_word2vec_format(self, path, fvocab=fvocab, binary=binary, total_vec=total_vec,
                             write_header=write_header, prefix=prefix, append=append, sort_attr=sort_attr)

    @classmethod
    def load_word2vec_format(cls, path, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                             limit=None, datatype=np.float32, no_header=False):
        """Reads word2vec.c/gensim text or binary files and GloVe text; see lamina.word2vec.formats."""
        from lamina.word2vec.formats import load_word2vec_format
        return load_word2vec_format(cls, path, fvocab=fvocab, binary=binary, encoding=encoding,
                                    unicode_errors=unicode_errors, limit=limit, datatype=datatype,
                                    no_header=no_header)


def _index_keys(keys):
    key_to_index = {}
    for index, key in enumerate(keys):
        if key in key_to_index:
            raise ValueError(f"KeyedVectors: keys must be distinct, but {key!r} appears at rows "
                             f"{key_to_index[key]} and {index}. Remove or merge the duplicates.")
        key_to_index[key] = index
    return key_to_index


def _as_list(value):
    """positive/negative arguments: None -> [], one word or vector -> [it], a 2-D array -> its rows."""
    if value is None:
        return []
    if isinstance(value, (str, Integral)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    return list(value)  # a list of items, or a 2-D array's rows


def _unit_vector(vector):
    """vector / its L2 norm (computed in float64), in the vector's dtype; zero vectors are returned as is."""
    vector = np.asarray(vector)
    length = np.sqrt(np.dot(vector.astype(np.float64), vector.astype(np.float64)))
    if length > 0:
        return (vector / length).astype(vector.dtype)
    return vector


def _top_indices(scores, count):
    """Indices of the `count` largest scores, largest first."""
    if count >= scores.size:
        return np.argsort(-scores)[:count]
    candidates = np.argpartition(-scores, count)[:count]
    return candidates[np.argsort(-scores[candidates])]
