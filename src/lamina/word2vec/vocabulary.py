"""Vocabulary for word2vec: counting, trimming, subsampling, the negative-sampling table and the Huffman tree."""

import heapq
import math

import numpy as np

CUM_TABLE_DOMAIN = 2**31 - 1
# What a `trim_rule(word, count, min_count)` returns (gensim's values, so gensim's constants work too).
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2


def keep_word(word, count, min_count, trim_rule=None):
    """True when `word` stays in the vocabulary: `count >= min_count` unless `trim_rule` says KEEP or DISCARD."""
    rule = RULE_DEFAULT if trim_rule is None else trim_rule(word, count, min_count)
    if rule == RULE_KEEP:
        return True
    if rule == RULE_DISCARD:
        return False
    return count >= min_count


def count_words(corpus, max_vocab_size=None, trim_rule=None):
    """Count tokens in one streaming pass over `corpus` (an iterable of token lists).

    When `max_vocab_size` is set and the number of distinct words exceeds it after a sentence, words with a
    count below a threshold that starts at 1 and grows by one per pruning are dropped (word2vec.c's
    `ReduceVocab`, gensim's `max_vocab_size`; `trim_rule` applies to pruning too). Returns `(counts,
    total_words, sentence_count, min_reduce)` where `counts` is a dict in first-seen order and `min_reduce` the
    final pruning threshold.
    """
    counts = {}
    total_words = sentence_count = 0
    min_reduce = 1
    for sentence in corpus:
        for word in sentence:
            counts[word] = counts.get(word, 0) + 1
        total_words += len(sentence)
        sentence_count += 1
        if max_vocab_size is not None and len(counts) > max_vocab_size:
            counts = {word: count for word, count in counts.items() if keep_word(word, count, min_reduce, trim_rule)}
            min_reduce += 1
    return counts, total_words, sentence_count, min_reduce


def effective_min_count(counts, min_count, max_final_vocab):
    """Raise `min_count` just enough that at most `max_final_vocab` words survive (None: keep `min_count`)."""
    if max_final_vocab is None or max_final_vocab >= len(counts):
        return min_count
    ranked = sorted(counts.values(), reverse=True)
    return max(min_count, ranked[max_final_vocab] + 1)


def kept_words(counts, min_count, trim_rule=None):
    """The words of `counts` that stay in the vocabulary (see `keep_word`), in first-seen order."""
    return [word for word, count in counts.items() if keep_word(word, count, min_count, trim_rule)]


def select_words(counts, min_count, trim_rule=None):
    """The kept words sorted by descending count.

    Ties are ordered as gensim orders them (the word seen last first), so word indices match a gensim model
    built on the same corpus.
    """
    kept = kept_words(counts, min_count, trim_rule)
    return [kept[i] for i in sorted(range(len(kept)), key=lambda i: (-counts[kept[i]], -i))]


def initial_vectors(rows, vector_size, seed):
    """gensim's initial word vectors: uniform in [-1/vector_size, 1/vector_size) from `default_rng(seed)`.

    Row i does not depend on `rows`, so a grown vocabulary keeps the start vectors its words would have had.
    """
    vectors = np.random.default_rng(seed).random((rows, vector_size), dtype=np.float32)
    vectors *= 2.0
    vectors -= 1.0
    vectors /= vector_size
    return vectors


def keep_probabilities(word_counts, sample):
    """Per-word probability of keeping an occurrence under frequent-word subsampling (capped at 1).

    Uses word2vec.c's `(sqrt(c / (s*N)) + 1) * (s*N) / c` with N the total count of retained words; `sample=0`
    disables subsampling and `sample >= 1` is an absolute count threshold, as in gensim.
    """
    word_counts = np.asarray(word_counts, dtype=np.float64)
    total = word_counts.sum()
    if not sample:
        return np.ones(len(word_counts))
    threshold = sample * total if sample < 1.0 else float(int(sample * (3 + math.sqrt(5)) / 2))
    probability = (np.sqrt(word_counts / threshold) + 1.0) * (threshold / word_counts)
    return np.minimum(probability, 1.0)


def keep_thresholds(probabilities):
    """Keep probabilities as uint64 thresholds compared with a 32-bit random draw (`draw < threshold` keeps)."""
    return np.floor(np.asarray(probabilities, dtype=np.float64) * 2.0**32).astype(np.uint64)


def cumulative_table(word_counts, exponent=0.75):
    """Cumulative table (uint32, last entry 2**31-1) of the unigram^exponent distribution for negatives."""
    weights = np.asarray(word_counts, dtype=np.float64) ** exponent
    if len(weights) == 0:
        return np.zeros(0, dtype=np.uint32)
    cumulative = np.cumsum(weights) / weights.sum()
    return np.round(cumulative * CUM_TABLE_DOMAIN).astype(np.uint32)


def huffman_tree(word_counts):
    """Huffman codes and inner-node paths for hierarchical softmax.

    Returns `(codes, points, lengths)`: `codes[i, :lengths[i]]` are word i's bits (uint8) from the root down and
    `points[i, :lengths[i]]` the indices of the inner nodes (rows of `syn1`) on that path. Frequent words get
    short codes. Ties between equal counts are broken by node creation order, so the tree is deterministic.
    """
    size = len(word_counts)
    if size < 2:
        lengths = np.zeros(size, dtype=np.int32)
        return np.zeros((size, 1), np.uint8), np.zeros((size, 1), np.int32), lengths
    heap = [(int(count), index) for index, count in enumerate(word_counts)]
    heapq.heapify(heap)
    parent = np.zeros(2 * size - 1, dtype=np.int64)
    bit = np.zeros(2 * size - 1, dtype=np.uint8)
    next_node = size
    while len(heap) > 1:
        count_low, low = heapq.heappop(heap)
        count_high, high = heapq.heappop(heap)
        parent[low], parent[high] = next_node, next_node
        bit[high] = 1
        heapq.heappush(heap, (count_low + count_high, next_node))
        next_node += 1
    root = next_node - 1
    paths = []
    for index in range(size):
        node_codes, node_points = [], []
        node = index
        while node != root:
            node_codes.append(bit[node])
            node = parent[node]
            node_points.append(node - size)
        paths.append((node_codes[::-1], node_points[::-1]))
    depth = max(len(path[0]) for path in paths)
    codes = np.zeros((size, depth), dtype=np.uint8)
    points = np.zeros((size, depth), dtype=np.int32)
    lengths = np.zeros(size, dtype=np.int32)
    for index, (node_codes, node_points) in enumerate(paths):
        lengths[index] = len(node_codes)
        codes[index, :len(node_codes)] = node_codes
        points[index, :len(node_points)] = node_points
    return codes, points, lengths
