"""numba kernels that train one job of word2vec (skip-gram or CBOW; negative sampling and/or hierarchical softmax).

Determinism design: a job never writes the shared weights. Every row it touches is copied on first use into a
job-private buffer (`Overlay`), the job trains sequentially on its private rows, and at the end the buffer holds
the row *deltas*. The training loop runs a round of jobs against the same weights (in parallel threads; the
kernels release the GIL) and then adds the deltas in job order with `merge_overlay`. Nothing depends on thread
timing or on the number of threads, so results are bitwise identical for any `workers`.
"""

import math

import numpy as np
from numba import njit

LCG_MULTIPLIER = np.uint64(25214903917)
LCG_INCREMENT = np.uint64(11)
LCG_MASK = np.uint64(2**48 - 1)
SHIFT16 = np.uint64(16)
LOW32 = np.uint64(0xFFFFFFFF)

OVERFLOW = 1


def job_seed(seed, epoch, job_index):
    """Deterministic 48-bit LCG start state for job `job_index` of `epoch` (a splitmix64 hash of the three)."""
    mask64 = 2**64 - 1
    state = (seed * 0x9E3779B97F4A7C15 + epoch * 0xBF58476D1CE4E5B9 + job_index * 0x94D049BB133111EB) & mask64
    state = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask64
    state = ((state ^ (state >> 27)) * 0x94D049BB133111EB) & mask64
    return (state ^ (state >> 31)) & (2**48 - 1)


class Overlay:
    """Job-private copies of touched rows of one weight matrix (`local_of` maps a row to its slot or -1)."""

    def __init__(self, rows, vector_size, capacity):
        self.local_of = np.full(rows, -1, dtype=np.int32)
        self.touched = np.zeros(max(capacity, 1), dtype=np.int32)
        self.buffer = np.zeros((max(capacity, 1), vector_size), dtype=np.float32)

    def grow(self):
        """Double the capacity (the job is then rerun from scratch; `local_of` is clean after an overflow)."""
        capacity = 2 * len(self.touched)
        self.touched = np.zeros(capacity, dtype=np.int32)
        self.buffer = np.zeros((capacity, self.buffer.shape[1]), dtype=np.float32)


@njit(nogil=True, cache=True)
def _next(state):
    return (state * LCG_MULTIPLIER + LCG_INCREMENT) & LCG_MASK


@njit(nogil=True, cache=True, inline='always')  # inlined: called for every row a pair touches
def _row(word, local_of, touched, buffer, used, which, base):
    slot = local_of[word]
    if slot >= 0:
        return slot
    slot = used[which]
    if slot >= buffer.shape[0]:
        return -1
    for d in range(buffer.shape[1]):
        buffer[slot, d] = base[word, d]
    local_of[word] = slot
    touched[slot] = word
    used[which] = slot + 1
    return slot


def bucket_starts(cum_table):
    """Index of the first `cum_table` entry >= k * width for each of B buckets (B ~ vocabulary size, a power of 2).

    A draw then bisects only inside its bucket: the same result as a bisection over the whole table, in O(1)
    typical time instead of O(log V).
    """
    buckets = int(min(max(1 << max(len(cum_table) - 1, 1).bit_length(), 1024), 1 << 20))
    shift = 31 - (buckets.bit_length() - 1)
    edges = np.arange(buckets + 1, dtype=np.int64) << shift
    return np.searchsorted(cum_table, edges, side="left").astype(np.int32)


@njit(nogil=True, cache=True)
def _draw_negative(cum_table, starts, state):
    target = (state >> SHIFT16) % np.uint64(cum_table[cum_table.shape[0] - 1])
    bucket = np.int64((target * np.uint64(starts.shape[0] - 1)) >> np.uint64(31))
    low = np.int64(starts[bucket])
    high = min(np.int64(starts[bucket + 1]), cum_table.shape[0] - 1)
    while low < high:
        middle = (low + high) // 2
        if np.uint64(cum_table[middle]) < target:
            low = middle + 1
        else:
            high = middle
    return low


@njit(nogil=True, cache=True, fastmath=True)
def _output_layer(l1, neu1e, target, alpha, hs, negative, compute_loss, state,
                  cum_table, starts, codes, points, lengths,
                  local_neg, touched_neg, buffer_neg, base_neg,
                  local_hs, touched_hs, buffer_hs, base_hs, used):
    """Train the output layer for input vector `l1` predicting word `target`; accumulate the input error."""
    size = l1.shape[0]
    loss = 0.0
    if hs:
        for k in range(lengths[target]):
            row = _row(points[target, k], local_hs, touched_hs, buffer_hs, used, 2, base_hs)
            if row < 0:
                return -1.0, state
            f = np.float32(0.0)
            for d in range(size):
                f += l1[d] * buffer_hs[row, d]
            label = np.float32(1.0) - np.float32(codes[target, k])
            sigma = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-f)))
            g = np.float32((label - sigma) * alpha)
            if compute_loss:
                z = np.float64(f) if label > 0.5 else -np.float64(f)
                loss += max(-z, 0.0) + math.log1p(math.exp(-abs(z)))
            for d in range(size):
                neu1e[d] += g * buffer_hs[row, d]
                buffer_hs[row, d] += g * l1[d]
    for n in range(negative + 1 if negative > 0 else 0):
        if n == 0:
            word = target
            label = np.float32(1.0)
        else:
            state = _next(state)
            word = _draw_negative(cum_table, starts, state)
            if word == target:
                continue
            label = np.float32(0.0)
        row = _row(word, local_neg, touched_neg, buffer_neg, used, 1, base_neg)
        if row < 0:
            return -1.0, state
        f = np.float32(0.0)
        for d in range(size):
            f += l1[d] * buffer_neg[row, d]
        sigma = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-f)))
        g = np.float32((label - sigma) * alpha)
        if compute_loss:
            z = np.float64(f) if n == 0 else -np.float64(f)
            loss += max(-z, 0.0) + math.log1p(math.exp(-abs(z)))
        for d in range(size):
            neu1e[d] += g * buffer_neg[row, d]
            buffer_neg[row, d] += g * l1[d]
    return loss, state


@njit(nogil=True, cache=True, fastmath=True)
def train_job(indices, sentence_ends, keep_thresholds, syn0, syn1neg, syn1, cum_table, starts, codes, points, lengths,
              sg, hs, negative, window, shrink_windows, cbow_mean, alpha, state, compute_loss,
              local0, touched0, buffer0, local_neg, touched_neg, buffer_neg, local_hs, touched_hs, buffer_hs,
              used):
    """Train one job; returns `(status, loss, effective_words)`; status 1 means an overlay overflowed.

    On success the overlay buffers hold row deltas (private copy minus shared row) and `used` their counts.
    """
    size = syn0.shape[1]
    alpha = np.float32(alpha)
    used[0] = 0
    used[1] = 0
    used[2] = 0
    kept = np.empty(indices.shape[0], dtype=np.int32)
    kept_ends = np.empty(sentence_ends.shape[0], dtype=np.int64)
    count = 0
    start = 0
    for s in range(sentence_ends.shape[0]):
        for position in range(start, sentence_ends[s]):
            word = indices[position]
            state = _next(state)
            if ((state >> SHIFT16) & LOW32) < keep_thresholds[word]:
                kept[count] = word
                count += 1
        kept_ends[s] = count
        start = sentence_ends[s]
    neu1 = np.zeros(size, dtype=np.float32)
    neu1e = np.zeros(size, dtype=np.float32)
    context_rows = np.empty(2 * window + 1, dtype=np.int64)
    loss = 0.0
    status = 0
    start = 0
    for s in range(kept_ends.shape[0]):
        end = kept_ends[s]
        for i in range(start, end):
            reduced = 0
            if shrink_windows:
                state = _next(state)
                reduced = np.int64(state % np.uint64(window))
            low = max(start, i - window + reduced)
            high = min(end, i + window + 1 - reduced)
            if sg:
                for j in range(low, high):
                    if j == i:
                        continue
                    row0 = _row(kept[j], local0, touched0, buffer0, used, 0, syn0)
                    if row0 < 0:
                        status = 1
                        break
                    for d in range(size):
                        neu1[d] = buffer0[row0, d]  # a private copy (not a view) lets LLVM vectorise the updates
                        neu1e[d] = 0.0
                    pair_loss, state = _output_layer(
                        neu1, neu1e, kept[i], alpha, hs, negative, compute_loss, state,
                        cum_table, starts, codes, points, lengths, local_neg, touched_neg, buffer_neg, syn1neg,
                        local_hs, touched_hs, buffer_hs, syn1, used)
                    if pair_loss < 0.0:
                        status = 1
                        break
                    loss += pair_loss
                    for d in range(size):
                        buffer0[row0, d] += neu1e[d]
            else:
                contexts = 0
                for j in range(low, high):
                    if j == i:
                        continue
                    row0 = _row(kept[j], local0, touched0, buffer0, used, 0, syn0)
                    if row0 < 0:
                        status = 1
                        break
                    context_rows[contexts] = row0
                    contexts += 1
                if status != 0:
                    break
                if contexts == 0:
                    continue
                for d in range(size):
                    neu1[d] = 0.0
                    neu1e[d] = 0.0
                for c in range(contexts):
                    row0 = context_rows[c]  # a scalar: LLVM cannot hoist an array load out of the loop (alias)
                    for d in range(size):
                        neu1[d] += buffer0[row0, d]
                inverse = np.float32(1.0) / np.float32(contexts)
                if cbow_mean:
                    for d in range(size):
                        neu1[d] *= inverse
                pair_loss, state = _output_layer(
                    neu1, neu1e, kept[i], alpha, hs, negative, compute_loss, state,
                    cum_table, starts, codes, points, lengths, local_neg, touched_neg, buffer_neg, syn1neg,
                    local_hs, touched_hs, buffer_hs, syn1, used)
                if pair_loss < 0.0:
                    status = 1
                    break
                loss += pair_loss
                if not cbow_mean:
                    for d in range(size):
                        neu1e[d] *= inverse
                for c in range(contexts):
                    row0 = context_rows[c]
                    for d in range(size):
                        buffer0[row0, d] += neu1e[d]
            if status != 0:
                break
        if status != 0:
            break
        start = end
    _finish(local0, touched0, buffer0, used[0], syn0, status)
    _finish(local_neg, touched_neg, buffer_neg, used[1], syn1neg, status)
    _finish(local_hs, touched_hs, buffer_hs, used[2], syn1, status)
    return status, loss, count


@njit(nogil=True, cache=True)
def _finish(local_of, touched, buffer, used, base, status):
    """Turn private rows into deltas (on success) and clear the row map for the next job."""
    for slot in range(used):
        word = touched[slot]
        local_of[word] = -1
        if status == 0:
            for d in range(buffer.shape[1]):
                buffer[slot, d] -= base[word, d]


@njit(nogil=True, cache=True)
def merge_overlay(base, touched, buffer, used, part, parts):
    """Add a finished job's row deltas to the shared weights, for the rows with `row % parts == part`.

    Threads merging different parts never write the same row, and each row receives its jobs' deltas in job
    order, so a parallel merge gives the same bits as a sequential one.
    """
    for slot in range(used):
        word = touched[slot]
        if word % parts == part:
            for d in range(buffer.shape[1]):
                base[word, d] += buffer[slot, d]
