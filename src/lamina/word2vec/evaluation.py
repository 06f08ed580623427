"""Word-vector benchmarks: analogy accuracy (questions-words.txt) and correlation with human similarity scores.

Both follow gensim's `evaluate_word_analogies` / `evaluate_word_pairs`: same file formats, same treatment of
case and unknown words, same numbers. Pearson and Spearman correlations (with two-sided p-values) are computed
here with numpy rather than scipy, which is not a lamina dependency.

Example:
    >>> score, sections = kv.evaluate_word_analogies("questions-words.txt")
    >>> pearson, spearman, oov_percent = kv.evaluate_word_pairs("wordsim353.tsv")
"""
import logging
import math
import os
from collections import namedtuple

import numpy as np

logger = logging.getLogger(__name__)


class CorrelationResult(namedtuple("CorrelationResult", ["statistic", "pvalue"])):
    """A correlation coefficient and its two-sided p-value; unpacks like scipy's results: `r, p = result`."""

    @property
    def correlation(self):
        """The coefficient (scipy's older name for `statistic`)."""
        return self.statistic


def evaluate_word_analogies(kv, analogies, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
    """Accuracy on "a is to b as c is to d" questions, answered with most_similar(positive=[b, c], negative=[a]).

    The file has section lines (": capital-common-countries") followed by lines of four words "a b c d". A
    question counts as correct when the best answer among the 5 nearest words, skipping a, b and c, is d.

    Args:
        kv: KeyedVectors.
        analogies: path of the analogy file (utf-8).
        restrict_vocab: only the first (most frequent) words are known and searched.
        case_insensitive: compare words upper-cased; the most frequent case variant of a word is used.
        dummy4unknown: count questions with unknown words as incorrect (default: skip them).

    Returns:
        (score, sections): the overall accuracy, and one dict per section {'section', 'correct', 'incorrect'}
        (lists of question tuples), followed by the 'Total accuracy' section.

    Example:
        >>> score, sections = evaluate_word_analogies(kv, "questions-words.txt")
    """
    known = _known_words(kv, restrict_vocab, case_insensitive)
    sections, section, questions, unknown = [], None, 0, 0
    with open(os.fspath(analogies), "rb") as handle:
        for line_number, raw_line in enumerate(handle):
            line = raw_line.decode("utf8")
            if line.startswith(": "):
                if section:
                    sections.append(section)
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                continue
            if not section:
                raise ValueError(f"evaluate_word_analogies: line {line_number + 1} of '{analogies}' comes before "
                                 f"any section line. Start the file with a line such as ': my-section'.")
            words = [word.upper() if case_insensitive else word for word in line.split()]
            if len(words) != 4:
                logger.info("Skipping invalid line %d in %s", line_number + 1, analogies)
                continue
            questions += 1
            question = tuple(words)
            if not all(word in known for word in words):
                unknown += 1
                if dummy4unknown:
                    section["incorrect"].append(question)
                continue
            correct = _solve_analogy(kv, known, words, restrict_vocab, case_insensitive) == words[3]
            section["correct" if correct else "incorrect"].append(question)
    if section:
        sections.append(section)
    total = {"section": "Total accuracy",
             "correct": [question for part in sections for question in part["correct"]],
             "incorrect": [question for part in sections for question in part["incorrect"]]}
    if questions:
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * unknown / questions)
    sections.append(total)
    return _accuracy(total), sections


def _solve_analogy(kv, known, words, restrict_vocab, case_insensitive):
    """The predicted fourth word: the first of the 5 nearest that is not one of the three question words."""
    a, b, c = (known[word] for word in words[:3])
    predicted = None
    for word, _ in kv.most_similar(positive=[b, c], negative=[a], topn=5, restrict_vocab=restrict_vocab):
        predicted = word.upper() if case_insensitive else word
        if predicted in known and predicted not in words[:3]:
            break
    return predicted


def evaluate_word_pairs(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000, case_insensitive=True,
                        dummy4unknown=False):
    """Correlation between human similarity scores of word pairs and the cosine similarities of their vectors.

    Each line of the file is "word1<delimiter>word2<delimiter>score"; lines starting with '#' are comments.

    Args:
        kv: KeyedVectors.
        pairs: path of the pairs file (e.g. WordSim-353, SimLex-999).
        delimiter: separator between the three fields.
        encoding: encoding of the file.
        restrict_vocab: only the first (most frequent) words are known.
        case_insensitive: compare words upper-cased; the most frequent case variant of a word is used.
        dummy4unknown: give pairs with unknown words similarity 0 instead of skipping them.

    Returns:
        (pearson, spearman, oov_percent): two CorrelationResult(statistic, pvalue) and the percentage of
        pairs with unknown words.

    Raises:
        ValueError: no usable pair in the file.

    Example:
        >>> pearson, spearman, oov_percent = evaluate_word_pairs(kv, "wordsim353.tsv")
    """
    known = _known_words(kv, restrict_vocab, case_insensitive)
    human, model, unknown = [], [], 0
    with open(os.fspath(pairs), encoding=encoding) as handle:
        for line_number, line in enumerate(handle):
            if not line or line.startswith("#"):
                continue
            fields = [field.upper() if case_insensitive else field for field in line.split(delimiter)]
            try:
                word1, word2, score = fields
                score = float(score)
            except ValueError:
                logger.info("Skipping invalid line %d in %s", line_number + 1, pairs)
                continue
            if word1 not in known or word2 not in known:
                unknown += 1
                if dummy4unknown:
                    human.append(score)
                    model.append(0.0)
                continue
            human.append(score)
            model.append(kv.similarity(known[word1], known[word2]))
    if not human:
        raise ValueError(f"evaluate_word_pairs: no usable pair in '{pairs}': every line is a comment, malformed "
                         f"(expected 'word1{delimiter!r}word2{delimiter!r}score'), or has words outside the "
                         f"first {restrict_vocab} words. Check `delimiter` and `restrict_vocab`.")
    oov_percent = 100.0 * unknown / (len(human) if dummy4unknown else len(human) + unknown)
    return pearson_correlation(human, model), spearman_correlation(human, model), oov_percent


def _known_words(kv, restrict_vocab, case_insensitive):
    """word (upper-cased if case_insensitive) -> row, over the first restrict_vocab words; the first row wins."""
    known = {}
    for row, word in enumerate(kv.index_to_key[:restrict_vocab]):
        known.setdefault(word.upper() if case_insensitive else word, row)
    return known


def _accuracy(section):
    answered = len(section["correct"]) + len(section["incorrect"])
    return len(section["correct"]) / answered if answered else 0.0


# ------------------------------------------------------------------------------------------- correlations

def pearson_correlation(x, y):
    """Pearson's r of two equal-length sequences and its two-sided p-value (as scipy.stats.pearsonr).

    Returns NaN for a constant sequence. Example: `r, p = pearson_correlation([1, 2, 3], [2, 4, 7])`.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"pearson_correlation: x and y must be 1-D with the same length of at least 2, "
                         f"received shapes {x.shape} and {y.shape}.")
    x, y = x - x.mean(), y - y.mean()
    scale_x, scale_y = np.abs(x).max(), np.abs(y).max()
    if scale_x == 0 or scale_y == 0:
        return CorrelationResult(math.nan, math.nan)
    x, y = x / scale_x, y / scale_y  # avoids overflow; sqrt(xx * yy) keeps r exactly 1 for identical inputs
    r = float(np.clip(np.dot(x, y) / math.sqrt(np.dot(x, x) * np.dot(y, y)), -1.0, 1.0))
    return CorrelationResult(r, _correlation_pvalue(r, len(x)))


def spearman_correlation(x, y):
    """Spearman's rank correlation (ties get their average rank) and its two-sided p-value (as scipy)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"spearman_correlation: x and y must be 1-D with the same length of at least 2, "
                         f"received shapes {x.shape} and {y.shape}.")
    return pearson_correlation(average_ranks(x), average_ranks(y))


def average_ranks(values):
    """Ranks from 1, tied values sharing the mean of their ranks (scipy.stats.rankdata's 'average')."""
    values = np.asarray(values)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_ranks = (starts + ends + 1) / 2.0  # ranks starts+1 .. ends, averaged
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(mean_ranks, ends - starts)
    return ranks


def _correlation_pvalue(r, n):
    """Two-sided p-value of a correlation r over n samples: Student's t with n - 2 degrees of freedom."""
    freedom = n - 2
    if freedom <= 0:
        return 1.0
    if abs(r) >= 1.0:
        return 0.0
    t_squared = r * r * freedom / (1.0 - r * r)
    return _regularized_incomplete_beta(freedom / 2.0, 0.5, freedom / (freedom + t_squared))


def _regularized_incomplete_beta(a, b, x):
    """I_x(a, b), by its continued fraction (modified Lentz), using the symmetry I_x(a,b) = 1 - I_1-x(b,a)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _regularized_incomplete_beta(b, a, 1.0 - x)
    log_front = a * math.log(x) + b * math.log1p(-x) - math.log(a) - _log_beta(a, b)
    tiny = 1e-300
    numerator_term, fraction = 1.0, 1.0
    denominator_term = 1.0 - (a + b) * x / (a + 1.0)
    denominator_term = 1.0 / (denominator_term if abs(denominator_term) > tiny else tiny)
    fraction = denominator_term
    for m in range(1, 10000):
        for coefficient in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            denominator_term = 1.0 + coefficient * denominator_term
            denominator_term = 1.0 / (denominator_term if abs(denominator_term) > tiny else tiny)
            numerator_term = 1.0 + coefficient / numerator_term
            numerator_term = numerator_term if abs(numerator_term) > tiny else tiny
            step = denominator_term * numerator_term
            fraction *= step
        if abs(step - 1.0) < 1e-15:
            break
    return math.exp(log_front) * fraction


def _log_beta(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
