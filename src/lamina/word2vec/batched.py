"""Batched word2vec training with PyTorch: the CUDA path of `Word2Vec` (it runs on any torch device).

word2vec.c updates the weights after every (input, target) prediction. This trainer instead turns a chunk of
jobs into training examples on the device in a few tensor operations (subsampling, reduced windows, sentence
boundaries: no Python loop over words) and trains them in minibatches of `Word2Vec.pairs_per_batch` examples.
All examples of a minibatch read the same weights; their updates are summed into the weight matrices with
`index_add_` (sparse SGD), except that a row updated by more than MAX_ROW_HITS examples of one minibatch gets the
mean of its updates times MAX_ROW_HITS (see `add_rows`). The loss, the learning-rate schedule, subsampling,
negative sampling and hierarchical softmax have the meaning of the CPU kernels in `lamina.word2vec.kernels`.

An example is one prediction: a (context word -> centre word) pair for skip-gram, or a centre word with its whole
context window for CBOW. Results are reproducible on the CPU for a given seed; on CUDA `index_add_` adds with
atomics, so the order of the float additions (and the last bits of the vectors) may vary between runs.
"""

import numpy as np
import torch
import torch.nn.functional as F

from lamina.word2vec.kernels import job_seed

CHUNK_WORDS = 100_000  # raw words turned into examples at once (bounds the device memory of one chunk)
MAX_ROW_HITS = 128  # updates of one row per minibatch summed at full strength (see add_rows)
_VALID_DEVICES = "None or 'cpu' (numba kernels), 'cuda', 'cuda:N' or a torch.device('cuda', N)"


def resolve_device(device, caller="Word2Vec"):
    """The torch device of the batched trainer for a CUDA `device`; None for the numba kernels (None or CPU).

    Raises ValueError for anything that is not a CPU or CUDA device, and for a CUDA device this machine lacks.
    """
    if device is None:
        return None
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"{caller}: `device` must be {_VALID_DEVICES}, received {device!r}.") from error
    if resolved.type == "cpu":
        return None
    if resolved.type != "cuda":
        raise ValueError(
            f"{caller}: device={device!r} is not supported; word2vec trains on the CPU or on CUDA. Pass "
            f"{_VALID_DEVICES}."
        )
    if not torch.cuda.is_available():
        raise ValueError(
            f"{caller}: device={device!r} was requested but CUDA is not available (no NVIDIA GPU or driver, or a "
            f"CPU-only build of torch). Pass device=None to train with the CPU kernels."
        )
    count = torch.cuda.device_count()
    if resolved.index is not None and resolved.index >= count:
        raise ValueError(
            f"{caller}: device={device!r} does not exist; this machine has {count} CUDA device(s), "
            f"'cuda:0' to 'cuda:{count - 1}'. Pass one of those, or device=None for the CPU kernels."
        )
    # An explicit index, so that the random generator and the tensors are on the same GPU.
    return resolved if resolved.index is not None else torch.device("cuda", torch.cuda.current_device())


class BatchedTrainer:
    """Trains a `Word2Vec` model's weights, held as tensors on `device` for one `train()` call.

    Args:
        model: a Word2Vec model with a built vocabulary (its numpy weights are copied to the device).
        device: torch device to train on.
        pairs_per_batch: training examples per minibatch (see the module docstring).

    Example:
        >>> trainer = BatchedTrainer(model, torch.device("cuda"), 4096)  # doctest: +SKIP
        >>> loss, effective_words, raw_words = trainer.train_epoch(jobs, epoch, schedule, bar=None)  # doctest: +SKIP
    """

    def __init__(self, model, device, pairs_per_batch):
        self.model, self.device, self.pairs_per_batch = model, device, int(pairs_per_batch)
        self.syn0 = torch.tensor(model.wv.vectors, device=device)  # copies: the numpy arrays change at epoch ends
        self.syn1neg = torch.tensor(model.syn1neg, device=device)
        self.syn1 = torch.tensor(model.syn1, device=device)
        self.keep_thresholds = torch.tensor(model._keep_thresholds.astype(np.int64), device=device)
        self.cum_table = torch.tensor(model.cum_table.astype(np.int64), device=device)
        self.cum_total = int(model.cum_table[-1])  # kept on the host: reading the device table would synchronise
        self.points = torch.tensor(model.points.astype(np.int64), device=device)
        self.hs_labels = 1.0 - torch.tensor(model.codes, dtype=torch.float32, device=device)
        lengths = torch.tensor(model.code_lengths.astype(np.int64), device=device)
        self.hs_weights = (torch.arange(model.points.shape[1], device=device) < lengths.unsqueeze(1)).float()
        self.ns_labels = torch.zeros(model.negative + 1, device=device)
        self.ns_labels[0] = 1.0
        self.generator = torch.Generator(device=device)
        self.loss = torch.zeros((), dtype=torch.float64, device=device)

    # ------------------------------------------------------------------------------------------------ epochs

    def train_epoch(self, jobs, epoch, schedule, bar):
        """Train on every job of one epoch; returns `(loss, effective_words, raw_words)` like the CPU path.

        The weights are copied back to the model's numpy arrays at the end, so epoch callbacks see them.
        """
        self.loss.zero_()
        effective = raw = 0
        model = self.model
        for chunk_index, chunk in enumerate(_chunks(jobs, CHUNK_WORDS)):
            words, sentence_ends, token_alphas = self._concatenate(chunk, epoch, schedule)
            self.generator.manual_seed(job_seed(model.seed, epoch + model.train_count * 1000003, chunk_index))
            effective += self._train_chunk(words, sentence_ends, token_alphas)
            chunk_raw = sum(job[2] for job in chunk)
            raw += chunk_raw
            if bar is not None:
                bar.update(chunk_raw)
        self.copy_back()
        return float(self.loss.item()) if model.compute_loss else 0.0, effective, raw

    def _concatenate(self, chunk, epoch, schedule):
        """One chunk's word indices, sentence ends and per-token learning rates, on the device.

        The schedule gives the rate at the start of each job (as for the CPU kernels); inside a job it decreases
        linearly to the start of the next, so every example gets the rate of its position in the corpus.
        """
        starts, alphas, offset = [], [], 0
        for indices, _, raw_words, sentences in chunk:
            starts.append(offset)
            alphas.append(schedule.alpha(epoch, raw_words, sentences))
            offset += len(indices)
        end_alpha = schedule.alpha(epoch, 0, 0)  # progress after the chunk (adds nothing)
        self.model.min_alpha_yet_reached = alphas[-1]
        token_alphas = np.interp(np.arange(offset), starts + [offset], alphas + [end_alpha])
        words = np.concatenate([job[0] for job in chunk])
        ends = np.concatenate([job[1] + start for job, start in zip(chunk, starts)])
        return (torch.as_tensor(words, device=self.device).long(), torch.as_tensor(ends, device=self.device),
                torch.as_tensor(token_alphas, dtype=torch.float32, device=self.device))

    def _train_chunk(self, words, sentence_ends, token_alphas):
        """Subsample, build the examples and train them in minibatches; returns the number of kept words."""
        model = self.model
        sentence_ids = torch.searchsorted(sentence_ends, torch.arange(len(words), device=self.device), right=True)
        keep = subsample(words, self.keep_thresholds, self.generator)
        words, sentence_ids, token_alphas = words[keep], sentence_ids[keep], token_alphas[keep]
        contexts, mask = context_windows(sentence_ids, model.window, model.shrink_windows, self.generator)
        if model.sg:
            centres, slots = mask.nonzero(as_tuple=True)
            inputs, targets, alphas = words[contexts[centres, slots]], words[centres], token_alphas[centres]
            for batch in _minibatches(len(targets), self.pairs_per_batch):
                self.skipgram_step(inputs[batch], targets[batch], alphas[batch])
        else:
            centres = mask.any(dim=1).nonzero(as_tuple=True)[0]
            context_words, mask = words[contexts[centres]], mask[centres]
            targets, alphas = words[centres], token_alphas[centres]
            for batch in _minibatches(len(targets), self.pairs_per_batch):
                self.cbow_step(context_words[batch], mask[batch], targets[batch], alphas[batch])
        return len(words)

    def copy_back(self):
        """Copy the device weights into the model's numpy arrays (in place)."""
        model = self.model
        for tensor, array in ((self.syn0, model.wv.vectors), (self.syn1neg, model.syn1neg), (self.syn1, model.syn1)):
            array[...] = tensor.cpu().numpy()

    # ------------------------------------------------------------------------------------------- minibatches

    def skipgram_step(self, inputs, targets, alphas):
        """One minibatch of skip-gram: the vector of context word `inputs[b]` predicts centre word `targets[b]`.

        Args:
            inputs, targets: (B,) word indices; alphas: (B,) learning rates.
        """
        error = self.output_error(self.syn0[inputs], targets, alphas)
        add_rows(self.syn0, inputs, error, torch.ones_like(alphas))

    def cbow_step(self, contexts, mask, targets, alphas):
        """One minibatch of CBOW: the mean (or sum) of the context vectors predicts the centre word.

        As in word2vec.c and gensim, every context word receives the whole input error (divided by the number
        of context words when cbow_mean=0).

        Args:
            contexts: (B, 2 * window) word indices; mask: (B, 2 * window) bool, True for real context words.
            targets: (B,) centre words; alphas: (B,) learning rates.
        """
        weights = mask.to(self.syn0.dtype)
        counts = weights.sum(dim=1, keepdim=True)
        l1 = torch.bmm(weights.unsqueeze(1), self.syn0[contexts]).squeeze(1)
        if self.model.cbow_mean:
            l1 = l1 / counts
        error = self.output_error(l1, targets, alphas)
        if not self.model.cbow_mean:
            error = error / counts
        updates = weights.unsqueeze(2) * error.unsqueeze(1)
        add_rows(self.syn0, contexts.reshape(-1), updates.reshape(-1, error.shape[1]), weights.reshape(-1))

    def output_error(self, l1, targets, alphas, negatives=None):
        """Train the output layer(s) for inputs `l1` (B, D) predicting `targets` (B,); returns the input error.

        `negatives` (B, negative) are drawn from the unigram^ns_exponent table unless given (tests pass them).
        """
        error = torch.zeros_like(l1)
        loss = self.loss if self.model.compute_loss else None
        if self.model.hs:
            error += output_layer(self.syn1, l1, self.points[targets], self.hs_labels[targets],
                                  self.hs_weights[targets], alphas, loss)
        if self.model.negative:
            if negatives is None:
                negatives = draw_negatives(self.cum_table, self.cum_total, (len(targets), self.model.negative),
                                           self.generator)
            rows = torch.cat([targets.unsqueeze(1), negatives], dim=1)
            weights = (rows != targets.unsqueeze(1)).to(l1.dtype)  # a negative equal to the target is skipped
            weights[:, 0] = 1.0
            error += output_layer(self.syn1neg, l1, rows, self.ns_labels.expand_as(weights), weights, alphas, loss)
        return error


def output_layer(matrix, l1, rows, labels, weights, alphas, loss=None):
    """One SGD step of logistic output units; returns the error to add to the inputs `l1`.

    Every unit reads the weights before the step; the updates of one row are summed (`index_add_`).

    Args:
        matrix: (rows, D) output weights (syn1neg or syn1), updated in place.
        l1: (B, D) input vectors.
        rows: (B, K) rows of `matrix` scored against each input.
        labels: (B, K) 1.0 for the true unit (or HS code 0), else 0.0.
        weights: (B, K) 1.0 for a unit to train, 0.0 for padding or a skipped negative.
        alphas: (B,) learning rates.
        loss: float64 scalar tensor; when given, the summed log-loss -log sigma(+-f) is added to it.
    """
    vectors = matrix[rows]
    scores = torch.bmm(vectors, l1.unsqueeze(2)).squeeze(2)
    gradients = (labels - torch.sigmoid(scores)) * weights * alphas.unsqueeze(1)
    error = torch.bmm(gradients.unsqueeze(1), vectors).squeeze(1)
    updates = gradients.unsqueeze(2) * l1.unsqueeze(1)
    add_rows(matrix, rows.reshape(-1), updates.reshape(-1, l1.shape[1]), weights.reshape(-1))
    if loss is not None:
        signed = torch.where(labels > 0.5, scores, -scores).double()
        loss += (F.softplus(-signed) * weights.double()).sum()
    return error


def add_rows(matrix, rows, updates, weights):
    """`matrix[rows] += updates`, summing the updates of a repeated row, with a cap on very frequent rows.

    A row that more than MAX_ROW_HITS examples of the minibatch update (weights: 1 per real update, 0 for
    padding) gets the mean of its updates times MAX_ROW_HITS instead of their sum: summing hundreds of updates
    computed from the same stale row overshoots and can diverge, where sequential SGD would see each step.
    """
    hits = torch.bincount(rows, weights=weights, minlength=len(matrix))[rows]
    scale = MAX_ROW_HITS / hits.clamp(min=MAX_ROW_HITS)
    matrix.index_add_(0, rows, updates * scale.to(updates.dtype).unsqueeze(1))


def subsample(words, keep_thresholds, generator):
    """(n,) bool: keep each occurrence when a 32-bit random draw is below its word's threshold."""
    draws = torch.randint(0, 2**32, words.shape, generator=generator, device=words.device, dtype=torch.int64)
    return draws < keep_thresholds[words]


def context_windows(sentence_ids, window, shrink_windows, generator):
    """Context positions of each token: `(positions, mask)`, both (n, 2 * window).

    `positions[i]` are i-window .. i+window without i (clamped into range); `mask` is True where that position is
    in the same sentence and within the token's reduced window (window - b with b uniform in 0..window-1 when
    `shrink_windows`, as word2vec.c).
    """
    device = sentence_ids.device
    count = len(sentence_ids)
    offsets = torch.cat([torch.arange(-window, 0, device=device), torch.arange(1, window + 1, device=device)])
    positions = torch.arange(count, device=device).unsqueeze(1) + offsets
    inside = (positions >= 0) & (positions < count)
    positions = positions.clamp(0, max(count - 1, 0))
    mask = inside & (sentence_ids[positions] == sentence_ids.unsqueeze(1))
    if shrink_windows:
        reduced = torch.randint(0, window, (count,), generator=generator, device=device)
        mask &= offsets.abs() <= (window - reduced).unsqueeze(1)
    return positions, mask


def draw_negatives(cum_table, total, shape, generator):
    """Negative words drawn from the unigram^ns_exponent distribution, with the CPU kernels' rule.

    Each draw is the index of the first `cum_table` entry >= a uniform integer in [0, total), where `total` is the
    table's last entry (passed from the host so that drawing never synchronises with the device).
    """
    draws = torch.randint(0, total, shape, generator=generator, device=cum_table.device)
    return torch.searchsorted(cum_table, draws)


def _chunks(jobs, words):
    """Group consecutive jobs until a group holds at least `words` raw tokens."""
    group, count = [], 0
    for job in jobs:
        group.append(job)
        count += job[2]
        if count >= words:
            yield group
            group, count = [], 0
    if group:
        yield group


def _minibatches(count, size):
    for start in range(0, count, size):
        yield slice(start, start + size)
