"""Word2Vec: vocabulary building and multi-threaded training (skip-gram / CBOW), lock-free or deterministic."""

import itertools
import logging
import numbers
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from lamina.word2vec import kernels, persistence, vocabulary
from lamina.word2vec.corpus import JobReplay, check_restartable, resolve_corpus, sentence_pieces
from lamina.word2vec.keyed_vectors import KeyedVectors

logger = logging.getLogger(__name__)
# numba's fallback threading layer (workqueue) aborts the process if two threads run parallel kernels at once.
_PARALLEL_KERNELS = threading.Lock()


class Word2Vec:
    """Learn word vectors from a corpus with skip-gram or CBOW (gensim's `Word2Vec` arguments and meaning).

    Training starts right away when `sentences` or `corpus_file` is given. The corpus is cut into jobs of
    `job_words` tokens. By default the worker threads train their jobs directly on the shared weights, as gensim
    does: reproducible for a given `seed` with `workers=1`, not with more. `deterministic=True` gives the same
    bits for any `workers`: a round of `jobs_per_round` jobs trains in parallel against the same weights, each job
    on private copies of its rows, and each job's updates are then added in job order (slower: the copies and
    the merge cost memory bandwidth; see `lamina.word2vec.kernels`).

    Args:
        sentences: restartable iterable of token lists (a list, or `LineSentence`).
        corpus_file: path of a text file with one whitespace-tokenised sentence per line (instead of sentences).
        vector_size: dimensionality of the word vectors.
        window: maximum distance between a word and its context words.
        min_count: ignore words with a total count below this.
        sg: 1 for skip-gram, 0 for CBOW.
        hs: 1 for hierarchical softmax.
        negative: number of negative samples per positive (0 disables negative sampling).
        ns_exponent: exponent of the unigram distribution negatives are drawn from.
        cbow_mean: CBOW input is the mean (1) or the sum (0) of the context vectors.
        alpha, min_alpha: learning rate, decayed linearly from alpha to min_alpha over all epochs.
        sample: subsampling threshold for frequent words (0 disables; >= 1 is an absolute count).
        epochs: passes over the corpus.
        workers: training threads. None (the default) takes this machine's cores, up to 4 (with
            deterministic=True a round has 4 jobs, so more workers help little there, and 3 train no faster
            than 2). Training starts numba's threads (OpenMP): a process that has trained should start
            subprocesses with multiprocessing's 'spawn' or 'forkserver' method, not 'fork'.
        deterministic: the same result for any `workers` (round-based training on private rows, slower);
            False (the default) trains in place, lock-free.
        seed: seed of the initial vectors and of every job's random stream.
        max_vocab_size: prune rare words during counting when more distinct words than this are held.
        max_final_vocab: raise min_count so that at most this many words are kept.
        shrink_windows: draw the effective window uniformly in 1..window for each word (word2vec.c).
        compute_loss: accumulate the training loss (read it with `get_latest_training_loss()`).
        callbacks: objects with on_train_begin/on_epoch_begin/on_epoch_end/on_train_end(model) methods.
        device: None or "cpu" for the CPU kernels; a CUDA device ("cuda", "cuda:1", torch.device) trains with
            the batched PyTorch trainer on that GPU (`lamina.word2vec.batched`: minibatches of
            `Word2Vec.pairs_per_batch` examples, summed updates, not bitwise reproducible on CUDA). A CUDA
            device this machine lacks raises ValueError.
        progress: show a tqdm progress bar with words/s.
        trim_rule: `trim_rule(word, count, min_count)` returning RULE_KEEP, RULE_DISCARD or RULE_DEFAULT
            (lamina.word2vec's or gensim's constants) to override min_count per word; used by the vocabulary scan
            only, not stored.

    Example:
        >>> sentences = [["king", "rules", "the", "land"], ["queen", "rules", "the", "land"]] * 50
        >>> model = Word2Vec(sentences, vector_size=16, min_count=1, epochs=2, workers=1)
        >>> model.wv["king"].shape
        (16,)
    """

    # A round's jobs see each other's updates only when the round ends. With 4 x 500 words the loss curve
    # equals sequential training's; 4 x 2000 overshoots (a 60-word vocabulary and real text alike) and
    # 4 x 10000 (gensim's job size) diverges in skip-gram (docs/word2vec.md). Four jobs per round let up to
    # four workers help. A job is `job_words` consecutive raw tokens: sentences are cut at job boundaries.
    jobs_per_round = 4
    job_words = 500
    rounds_per_batch = 128  # rounds of jobs handed to the kernels at once (the next batch is read meanwhile)
    overlay_rows = 4096  # private rows per job and weight matrix to start with; doubled when a job needs more
    pairs_per_batch = 4096  # examples per minibatch of the batched (CUDA) trainer

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, window=5, min_count=5, sg=0, hs=0,
                 negative=5, ns_exponent=0.75, cbow_mean=1, alpha=0.025, min_alpha=0.0001, sample=1e-3,
                 epochs=5, workers=None, seed=1, max_vocab_size=None, max_final_vocab=None, shrink_windows=True,
                 compute_loss=False, callbacks=(), device=None, progress=False, trim_rule=None,
                 deterministic=False):
        # The batched PyTorch trainer runs on this device (None: the numba kernels). Tests force it on the CPU
        # by setting `model._batched_device = torch.device("cpu")` before train().
        self._batched_device = _batched_device(device)
        check_positive_int("Word2Vec", "vector_size", vector_size)
        check_positive_int("Word2Vec", "window", window)
        check_positive_int("Word2Vec", "epochs", epochs)
        if workers is None:
            workers = min(self.jobs_per_round, available_cores())
        check_positive_int("Word2Vec", "workers", workers)
        if int(negative) < 0 or (not hs and int(negative) == 0):
            raise ValueError(
                f"Word2Vec: `negative` must be >= 0 and at least one of hs=1 or negative>0 is needed, received "
                f"hs={hs}, negative={negative}. Use the defaults (hs=0, negative=5)."
            )
        self.vector_size, self.window, self.min_count = int(vector_size), int(window), int(min_count)
        self.sg, self.hs, self.negative = int(bool(sg)), int(bool(hs)), int(negative)
        self.ns_exponent, self.cbow_mean = float(ns_exponent), int(bool(cbow_mean))
        self.alpha, self.min_alpha, self.sample = float(alpha), float(min_alpha), float(sample)
        self.epochs, self.workers, self.seed = int(epochs), int(workers), int(seed)
        self.max_vocab_size, self.max_final_vocab = max_vocab_size, max_final_vocab
        self.shrink_windows, self.compute_loss = bool(shrink_windows), bool(compute_loss)
        self.deterministic = bool(deterministic)
        self.callbacks, self.device, self.progress = tuple(callbacks), device, bool(progress)
        self.wv = KeyedVectors.from_vectors([], np.zeros((0, self.vector_size), dtype=np.float32))
        self.corpus_count = self.corpus_total_words = 0
        self.running_training_loss = 0.0
        self.epoch_losses = []
        self.train_count = 0
        self.total_train_time = 0.0
        self.min_alpha_yet_reached = self.alpha
        if sentences is not None or corpus_file is not None:
            corpus = resolve_corpus(sentences, corpus_file, "Word2Vec")
            check_restartable(corpus, self.epochs + 1, "Word2Vec")
            self.build_vocab(corpus, trim_rule=trim_rule)
            self.train(corpus, total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs)

    # ------------------------------------------------------------------------------------------ vocabulary

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, trim_rule=None):
        """Scan the corpus once (streaming), keep words with count >= min_count and initialise the weights.

        Args:
            corpus_iterable: restartable iterable of token lists.
            corpus_file: path of a one-sentence-per-line text file (instead of corpus_iterable).
            update: grow the existing vocabulary (gensim's online training): the corpus's kept words that are
                new are appended, every known word's count grows by its count in the corpus, trained weights
                are kept and new words start from the vectors a fresh model would give them. The subsampling,
                negative-sampling and Huffman tables are rebuilt from the summed counts.
            trim_rule: `trim_rule(word, count, min_count)` returning RULE_KEEP, RULE_DISCARD or RULE_DEFAULT.
        """
        if update and len(self.wv) == 0:
            raise ValueError("Word2Vec.build_vocab(update=True): the model has no vocabulary to grow yet. Call "
                             "build_vocab(corpus) first.")
        corpus = resolve_corpus(corpus_iterable, corpus_file, "Word2Vec.build_vocab")
        counts, total, sentence_count, _ = vocabulary.count_words(sentence_pieces(corpus), self.max_vocab_size,
                                                                  trim_rule)
        self.corpus_count, self.corpus_total_words = sentence_count, total
        min_count = vocabulary.effective_min_count(counts, self.min_count, self.max_final_vocab)
        self.effective_min_count = min_count
        if update:
            self._grow(vocabulary.kept_words(counts, min_count, trim_rule), counts)
            return
        words = vocabulary.select_words(counts, min_count, trim_rule)
        if not words:
            raise ValueError(
                f"Word2Vec.build_vocab: no word occurs at least min_count={min_count} times in the corpus "
                f"({len(counts)} distinct words, {total} tokens). Lower `min_count` or pass a larger corpus."
            )
        word_counts = np.array([counts[word] for word in words], dtype=np.int64)
        del counts
        self._prepare(words, word_counts)

    def _grow(self, kept, counts):
        """Append the new words of `kept`, add `counts` to the known words' counts and keep the weights."""
        known = self.wv.index_to_key
        new_words = [word for word in kept if word not in self.wv.key_to_index]
        word_counts = np.concatenate([self.wv.expandos["count"] + [counts.get(word, 0) for word in known],
                                      np.array([counts[word] for word in new_words], dtype=np.int64)])
        trained = self._weights()
        self._prepare(known + new_words, word_counts)
        for grown, old in zip(self._weights(), trained):
            grown[:len(old)] = old

    def _prepare(self, words, word_counts):
        self.keep_probabilities = vocabulary.keep_probabilities(word_counts, self.sample)
        self._keep_thresholds = vocabulary.keep_thresholds(self.keep_probabilities)
        size = len(words)
        self.cum_table = vocabulary.cumulative_table(word_counts, self.ns_exponent) if self.negative else \
            np.ones(1, dtype=np.uint32)
        self._starts = kernels.bucket_starts(self.cum_table)
        if self.hs:
            self.codes, self.points, self.code_lengths = vocabulary.huffman_tree(word_counts)
        else:
            self.codes = np.zeros((1, 1), np.uint8)
            self.points = np.zeros((1, 1), np.int32)
            self.code_lengths = np.zeros(1, np.int32)
        vectors = vocabulary.initial_vectors(size, self.vector_size, self.seed)
        self.wv = KeyedVectors.from_vectors(words, vectors, counts=word_counts)
        self.syn1neg = np.zeros((size if self.negative else 1, self.vector_size), dtype=np.float32)
        self.syn1 = np.zeros((max(size - 1, 1) if self.hs else 1, self.vector_size), dtype=np.float32)

    # ---------------------------------------------------------------------------------------------- training

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None, epochs=None,
              start_alpha=None, end_alpha=None, compute_loss=None, callbacks=(), progress=None):
        """Train for `epochs` passes; returns `(effective_words, raw_words)` summed over the epochs.

        Args:
            corpus_iterable: restartable iterable of token lists (or `corpus_file=`).
            total_examples: sentences per epoch; or total_words: tokens per epoch (drives the learning rate).
            epochs: number of passes (required, as in gensim).
            start_alpha, end_alpha: learning-rate range (default: the model's alpha and min_alpha).
            compute_loss: override the model's compute_loss.
            callbacks: extra callbacks for this call.
            progress: show a tqdm progress bar (default: the model's `progress`, or logging at INFO).
        """
        if len(self.wv) == 0:
            raise ValueError("Word2Vec.train: the vocabulary is empty. Call build_vocab(corpus) first.")
        if epochs is None or (total_examples is None and total_words is None):
            raise ValueError(
                f"Word2Vec.train: pass `epochs` and one of `total_examples`/`total_words`, received "
                f"epochs={epochs}, total_examples={total_examples}, total_words={total_words}. Typically "
                f"train(corpus, total_examples=model.corpus_count, epochs=model.epochs)."
            )
        corpus = resolve_corpus(corpus_iterable, corpus_file, "Word2Vec.train")
        check_restartable(corpus, int(epochs), "Word2Vec.train")
        if compute_loss is not None:
            self.compute_loss = bool(compute_loss)
        callbacks = self.callbacks + tuple(callbacks)
        show = self.progress if progress is None else progress
        show = show or logger.isEnabledFor(logging.INFO)
        schedule = _Schedule(self.alpha if start_alpha is None else start_alpha,
                             self.min_alpha if end_alpha is None else end_alpha,
                             int(epochs), total_words, total_examples)
        started = time.perf_counter()
        totals = [0, 0]
        _call(callbacks, "on_train_begin", self)
        bar = _progress_bar(show, int(epochs) * (total_words or 0))
        self._batched = None
        if self._batched_device is not None:
            from lamina.word2vec.batched import BatchedTrainer

            self._batched = BatchedTrainer(self, self._batched_device, self.pairs_per_batch)
        replay = JobReplay(corpus, self.wv.key_to_index, self.job_words)
        threads = min(self.workers, numba.config.NUMBA_NUM_THREADS)
        # One runner thread launches the kernels (on `threads` numba threads) while this one reads the corpus.
        with replay, ThreadPoolExecutor(1, initializer=numba.set_num_threads, initargs=(threads,)) as runner:
            self._overlays = self._new_overlays() if self.deterministic else None
            self._identity_rows = None if self.deterministic else [
                kernels.identity_rows(len(matrix)) for matrix in self._weights()]
            for epoch in range(int(epochs)):
                _call(callbacks, "on_epoch_begin", self)
                loss, effective, raw = self._train_epoch(replay.jobs(), epoch, schedule, runner, bar)
                totals[0] += effective
                totals[1] += raw
                self.running_training_loss = loss
                self.epoch_losses.append(loss)
                self.wv.norms = None  # similarities in callbacks use this epoch's vectors
                _call(callbacks, "on_epoch_end", self)
        self._batched = self._overlays = self._used = self._identity_rows = None  # frees the copies and row maps
        if bar is not None:
            bar.close()
        self.train_count += 1
        self.total_train_time += time.perf_counter() - started
        self.wv.fill_norms(force=True)
        _call(callbacks, "on_train_end", self)
        return totals[0], totals[1]

    def _weights(self):
        return self.wv.vectors, self.syn1neg, self.syn1

    def _new_overlays(self):
        """Private-row buffers of a round's jobs, one per weight matrix; `_used[job, matrix]` counts the rows."""
        self._used = np.zeros((self.jobs_per_round, 3), dtype=np.int64)
        return [kernels.RoundOverlay(self.jobs_per_round, len(matrix), self.vector_size,
                                     min(len(matrix), self.overlay_rows)) for matrix in self._weights()]

    def _train_epoch(self, jobs, epoch, schedule, runner, bar):
        if self._batched is not None:
            return self._batched.train_epoch(jobs, epoch, schedule, bar)
        totals, job_index, training = [0.0, 0, 0], 0, None
        while True:
            batch = list(itertools.islice(jobs, self.jobs_per_round * self.rounds_per_batch))
            if training is not None:  # this batch was read while the previous one trained
                self._count(training.result(), totals, bar)
            if not batch:
                return tuple(totals)
            alphas = [schedule.alpha(epoch, raw_words, sentences) for _, _, raw_words, sentences in batch]
            self.min_alpha_yet_reached = alphas[-1]
            seeds = [kernels.job_seed(self.seed, epoch + self.train_count * 1000003, job_index + job)
                     for job in range(len(batch))]
            job_index += len(batch)
            training = runner.submit(self._train_batch, batch, np.array(alphas), np.array(seeds, dtype=np.uint64))

    @staticmethod
    def _count(results, totals, bar):
        losses, effective, raw_words = results
        totals[0] += float(losses.sum())
        totals[1] += int(effective.sum())
        totals[2] += raw_words
        if bar is not None:
            bar.update(raw_words)

    def _train_batch(self, batch, alphas, seeds):
        """Trains a batch of jobs (in place, or in rounds); returns (losses, effective words, raw words)."""
        indices = np.concatenate([job[0] for job in batch])
        index_starts = np.cumsum([0] + [len(job[0]) for job in batch])
        sentence_ends = np.concatenate([job[1] for job in batch])
        end_starts = np.cumsum([0] + [len(job[1]) for job in batch])
        losses, effective = np.zeros(len(batch)), np.zeros(len(batch), dtype=np.int64)
        raw_words = sum(job[2] for job in batch)
        if not self.deterministic:
            with _PARALLEL_KERNELS:
                kernels.train_in_place(
                    indices, index_starts, sentence_ends, end_starts, alphas, seeds, self._keep_thresholds,
                    self.wv.vectors, self.syn1neg, self.syn1, self.cum_table, self._starts, self.codes, self.points,
                    self.code_lengths, self.sg, self.hs, self.negative, self.window, self.shrink_windows,
                    self.cbow_mean, self.compute_loss, *self._identity_rows, losses, effective)
            return losses, effective, raw_words
        next_round, rounds = 0, -(-len(batch) // self.jobs_per_round)
        while True:
            vectors, negative, softmax = self._overlays
            with _PARALLEL_KERNELS:
                next_round = kernels.train_rounds(
                    indices, index_starts, sentence_ends, end_starts, alphas, seeds, self.jobs_per_round, next_round,
                    self.workers, self._keep_thresholds, self.wv.vectors, self.syn1neg, self.syn1, self.cum_table,
                    self._starts, self.codes, self.points, self.code_lengths, self.sg, self.hs, self.negative,
                    self.window, self.shrink_windows, self.cbow_mean, self.compute_loss,
                    vectors.local_of, vectors.touched, vectors.buffer, negative.local_of, negative.touched,
                    negative.buffer, softmax.local_of, softmax.touched, softmax.buffer, self._used, losses, effective)
            if next_round == rounds:
                return losses, effective, raw_words
            grown = [overlay.grow() for index, overlay in enumerate(self._overlays)  # grow the full ones, go on
                     if self._used[:, index].max() >= overlay.touched.shape[1]]
            if not grown:
                raise RuntimeError("Word2Vec: a job needed more private rows than its weight matrix has.")

    def save(self, path):
        """Saves the whole model (settings, vocabulary, weights, training state) to one file, without pickle."""
        persistence.save_model(self, path)

    @classmethod
    def load(cls, path):
        """Loads a model saved with save(); it predicts and continues training exactly as the saved one."""
        return persistence.load_model(cls, path)

    def get_latest_training_loss(self):
        """Loss (float64 sum over all predictions) of the latest epoch; 0.0 unless compute_loss=True."""
        return float(self.running_training_loss)

    def __repr__(self):
        return (f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"{'skip-gram' if self.sg else 'cbow'}, alpha={self.alpha}>")


class _Schedule:
    """Linear learning-rate decay over all epochs, driven by words (or sentences) seen so far."""

    def __init__(self, start, end, epochs, total_words, total_examples):
        self.start, self.end, self.epochs = float(start), float(end), epochs
        self.by_words = total_words is not None and total_words > 0
        self.total = max(int(total_words if self.by_words else total_examples or 1), 1)
        self.done = 0
        self.epoch = 0

    def alpha(self, epoch, raw_words, sentences):
        if epoch != self.epoch:
            self.epoch, self.done = epoch, 0
        progress = min((epoch + self.done / self.total) / self.epochs, 1.0)
        self.done += raw_words if self.by_words else sentences
        return max(self.end, self.start - (self.start - self.end) * progress)


def _batched_device(device):
    """None for the numba kernels (None or 'cpu': torch is not imported), else the batched trainer's device."""
    if device is None or (isinstance(device, str) and device == "cpu"):
        return None
    from lamina.word2vec.batched import resolve_device

    return resolve_device(device)


def check_positive_int(owner, argument, value):
    """value as an int if it is a positive integer (NumPy integers included), else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{owner}: `{argument}` must be a positive integer, received {value!r}.")
    return int(value)


def available_cores():
    """Cores this process may run on (its CPU affinity where the system reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _call(callbacks, hook, model):
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(model)


def _progress_bar(show, total):
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total or None, unit="word", unit_scale=True, desc="word2vec")
