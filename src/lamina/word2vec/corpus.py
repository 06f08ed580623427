"""Corpus readers and the job stream that feeds the training kernels."""

import itertools
import os
import tempfile

import numpy as np

MAX_SENTENCE_LENGTH = 10000
LOOKUP_JOBS = 4  # jobs whose tokens are looked up at once


class LineSentence:
    """Stream a text file as sentences: one sentence per line, tokens split on whitespace.

    Iterating twice reads the file twice, so a `LineSentence` can be passed to `Word2Vec` for any number of
    epochs without holding the corpus in memory. Lines longer than `max_sentence_length` tokens are cut into
    consecutive pieces of at most that length (nothing is dropped).

    Args:
        source: path of a UTF-8 text file (str or os.PathLike).
        max_sentence_length: longest sentence yielded; longer lines are split.
        limit: read at most this many lines (None reads the whole file).

    Example:
        >>> sentences = LineSentence("corpus.txt")  # doctest: +SKIP
        >>> model = Word2Vec(sentences, min_count=1)  # doctest: +SKIP
    """

    def __init__(self, source, max_sentence_length=MAX_SENTENCE_LENGTH, limit=None):
        if not isinstance(source, (str, os.PathLike)):
            raise TypeError(
                f"LineSentence: `source` must be a file path (str or os.PathLike), received "
                f"{type(source).__name__}. For token lists in memory, pass the list to Word2Vec directly."
            )
        if not os.path.isfile(source):
            raise ValueError(f"LineSentence: `source` file {str(source)!r} does not exist. Pass an existing path.")
        if int(max_sentence_length) < 1:
            raise ValueError(
                f"LineSentence: `max_sentence_length` must be >= 1, received {max_sentence_length}."
            )
        self.source = source
        self.max_sentence_length = int(max_sentence_length)
        self.limit = limit

    def __iter__(self):
        with open(self.source, encoding="utf8") as handle:
            for line in itertools.islice(handle, self.limit):
                tokens = line.split()
                for start in range(0, len(tokens), self.max_sentence_length):
                    yield tokens[start:start + self.max_sentence_length]


def resolve_corpus(corpus_iterable, corpus_file, caller):
    """Return one restartable iterable of sentences from exactly one of `corpus_iterable` / `corpus_file`."""
    if (corpus_iterable is None) == (corpus_file is None):
        raise TypeError(
            f"{caller}: pass exactly one of `corpus_iterable` (a list of token lists or a LineSentence) and "
            f"`corpus_file` (a path), received "
            f"{'both' if corpus_iterable is not None else 'neither'}."
        )
    if corpus_file is not None:
        return LineSentence(corpus_file)
    if isinstance(corpus_iterable, (str, bytes)):
        raise TypeError(
            f"{caller}: `corpus_iterable` must be an iterable of token lists, received a string. Pass "
            f"`corpus_file=` for a path, or `[text.split()]` for one sentence."
        )
    return corpus_iterable


def check_restartable(corpus, passes, caller):
    """Raise TypeError when a one-shot iterator (a generator) would have to be read `passes` times."""
    if passes > 1 and iter(corpus) is corpus:
        raise TypeError(
            f"{caller}: the corpus is a one-shot iterator ({type(corpus).__name__}) but it must be read "
            f"{passes} times (vocabulary scan and/or several epochs). Pass a list of token lists, a "
            f"LineSentence(path), `corpus_file=path`, or an object whose __iter__ restarts the stream."
        )


def sentence_pieces(corpus):
    """Yield sentences from `corpus`, splitting any longer than MAX_SENTENCE_LENGTH tokens."""
    for sentence in corpus:
        if isinstance(sentence, str):
            raise TypeError(
                "Word2Vec: each sentence must be a list of string tokens, received a str. "
                "Split it first, e.g. `[line.split() for line in lines]`."
            )
        if len(sentence) <= MAX_SENTENCE_LENGTH:
            yield sentence
        else:
            for start in range(0, len(sentence), MAX_SENTENCE_LENGTH):
                yield sentence[start:start + MAX_SENTENCE_LENGTH]


def iter_jobs(corpus, key_to_index, job_words):
    """Cut `corpus` into jobs of `job_words` consecutive raw tokens (the last may be shorter), in corpus order.

    A sentence that crosses a job boundary is cut there: its pieces train as separate sentences (no context
    across the cut), so every job has the same length however long the sentences are (an article-length line
    would otherwise make one job thousands of tokens long, and a round wait for it). Yields `(indices,
    sentence_ends, raw_words, sentences)`: the in-vocabulary word indices (int32), the end offset of each
    sentence or piece in `indices` (int64), the number of raw tokens (out-of-vocabulary included) and the number
    of sentences that end in the job. Tokens are looked up a batch of jobs at a time, so memory stays bounded.
    """
    lookup = key_to_index.get
    missing = itertools.repeat(-1)
    raw, ends = [], []  # the raw ids (-1: not in the vocabulary) of tokens not yet in a job, their sentences' ends
    for sentence in sentence_pieces(corpus):
        raw.extend(map(lookup, sentence, missing))
        ends.append(len(raw))
        if len(raw) >= LOOKUP_JOBS * job_words:
            cut = len(raw) - len(raw) % job_words
            yield from _cut_jobs(np.array(raw[:cut], dtype=np.int32), ends, cut, job_words)
            del raw[:cut]
            ends = [end - cut for end in ends if end > cut]
    if ends:
        yield from _cut_jobs(np.array(raw, dtype=np.int32), ends, len(raw), job_words)


def _cut_jobs(raw, ends, length, job_words):
    """The jobs of `raw[:length]` (ids, -1 out of vocabulary) whose sentences end at `ends` (those past
    `length` continue in the next batch)."""
    known = raw >= 0
    known_before = np.concatenate([[0], np.cumsum(known)])  # in-vocabulary tokens before each raw position
    ends = np.array(ends, dtype=np.int64)
    for start in range(0, length, job_words):
        stop = min(start + job_words, length)
        first, last = np.searchsorted(ends, start, "right" if start else "left"), np.searchsorted(ends, stop, "right")
        inside = ends[first:last]  # an empty first sentence (end 0) counts in the first job
        piece_ends = inside if len(inside) and inside[-1] == stop else np.append(inside, stop)
        indices = raw[start:stop][known[start:stop]]
        yield indices, known_before[piece_ends] - known_before[start], stop - start, last - first


class JobReplay:
    """The jobs of a text-file corpus, encoded in the first epoch and replayed from a temporary file after.

    Reading and tokenising a file costs the main thread more than the kernels' share of a core; replaying the
    first epoch's jobs (int32 word indices in an unnamed temporary file, deleted on close) makes later epochs
    nearly free. Jobs are identical either way, so results do not change. Only file corpora are replayed: an
    iterable may legitimately yield different sentences each epoch (e.g. reshuffled). If the temporary file
    cannot be written (a full disk), later epochs read the corpus again. The file goes beside the corpus (it is
    smaller than the corpus, and the default temporary folder may be a RAM disk), or to the temporary folder
    when the corpus's folder is read-only.
    """

    def __init__(self, corpus, key_to_index, job_words):
        self.corpus, self.key_to_index, self.job_words = corpus, key_to_index, job_words
        self.file = _unnamed_file_beside(corpus.source) if isinstance(corpus, LineSentence) else None
        self.recorded = False

    def jobs(self):
        """One epoch of jobs: `(indices, sentence_ends, raw_words, sentences)`, as `iter_jobs` yields them."""
        if self.recorded:
            return self._replay()
        return self._record()

    def _record(self):
        for job in iter_jobs(self.corpus, self.key_to_index, self.job_words):
            if self.file is not None:
                try:
                    indices, ends, raw_words, sentences = job
                    np.array([len(indices), len(ends), raw_words, sentences], dtype=np.int64).tofile(self.file)
                    indices.tofile(self.file)
                    ends.tofile(self.file)
                except OSError:
                    self.close()
            yield job
        self.recorded = self.file is not None

    def _replay(self):
        self.file.seek(0)
        while True:
            header = np.fromfile(self.file, dtype=np.int64, count=4)
            if len(header) < 4:
                return
            indices = np.fromfile(self.file, dtype=np.int32, count=int(header[0]))
            ends = np.fromfile(self.file, dtype=np.int64, count=int(header[1]))
            yield indices, ends, int(header[2]), int(header[3])

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _unnamed_file_beside(path):
    """An unnamed temporary file (no name on disk: nothing is left behind) in `path`'s folder, else in the
    default temporary folder."""
    try:
        return tempfile.TemporaryFile(prefix=".lamina-w2v-jobs-", dir=os.path.dirname(os.path.abspath(path)))
    except OSError:
        return tempfile.TemporaryFile(prefix="lamina-w2v-jobs-")
