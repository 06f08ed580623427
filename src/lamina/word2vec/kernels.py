"""numba kernels that train jobs of word2vec (skip-gram or CBOW; negative sampling and/or hierarchical softmax).

Two drivers share the job kernel `train_job`. `train_in_place` (the default, gensim's design) lets each worker
thread train its jobs directly on the shared weights: threads race on the rows they share (lock-free SGD), so the
result depends on thread timing unless there is one worker. `train_rounds` (`Word2Vec(deterministic=True)`)
gives the same bits for any number of workers:

Deterministic design: a job never writes the shared weights. Every row it touches is copied on first use into a
job-private buffer (`RoundOverlay`) and the job trains sequentially on its private rows. A round of jobs runs
against the same weights (numba `prange` threads in `train_rounds`), then `merge_round` writes each
touched row once: the job's copy when one job touched it, else the original plus every job's change, in job
order. Nothing depends on thread timing or on the number of threads, so results are bitwise identical for any
`workers`.
"""

import math

import numpy as np
from numba import njit, prange

LCG_MULTIPLIER = np.uint64(25214903917)
LCG_INCREMENT = np.uint64(11)
LCG_MASK = np.uint64(2**48 - 1)
SHIFT16 = np.uint64(16)
LOW32 = np.uint64(0xFFFFFFFF)


def job_seed(seed, epoch, job_index):
    """Deterministic 48-bit LCG start state for job `job_index` of `epoch` (a splitmix64 hash of the three)."""
    mask64 = 2**64 - 1
    state = (seed * 0x9E3779B97F4A7C15 + epoch * 0xBF58476D1CE4E5B9 + job_index * 0x94D049BB133111EB) & mask64
    state = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask64
    state = ((state ^ (state >> 27)) * 0x94D049BB133111EB) & mask64
    return (state ^ (state >> 31)) & (2**48 - 1)


class RoundOverlay:
    """Private copies of one weight matrix's rows for each job of a round (`local_of[job, row]`: slot or -1)."""

    def __init__(self, jobs, rows, vector_size, capacity):
        self.local_of = np.full((jobs, rows), -1, dtype=np.int32)
        self.touched = np.zeros((jobs, max(capacity, 1)), dtype=np.int32)
        self.buffer = np.zeros((jobs, max(capacity, 1), vector_size), dtype=np.float32)

    def grow(self):
        """Double the capacity (the round is then rerun: `local_of` is clean after an overflow)."""
        jobs, capacity, size = self.buffer.shape
        self.touched = np.zeros((jobs, 2 * capacity), dtype=np.int32)
        self.buffer = np.zeros((jobs, 2 * capacity, size), dtype=np.float32)


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
    # the state's high 32 bits scaled to [0, total): a multiply instead of word2vec.c's 64-bit modulo
    target = (((state >> SHIFT16) & LOW32) * np.uint64(cum_table[cum_table.shape[0] - 1])) >> np.uint64(32)
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
def _output_layer(l1, neu1e, target, alpha, hs, negative, compute_loss, state, rows,
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
    # All rows first, then the updates: their memory loads overlap instead of each waiting for the last update.
    for n in range(negative + 1 if negative > 0 else 0):
        if n == 0:
            word = target
        else:
            state = _next(state)
            word = _draw_negative(cum_table, starts, state)
            if word == target:
                rows[n] = -1
                continue
        rows[n] = _row(word, local_neg, touched_neg, buffer_neg, used, 1, base_neg)
        if rows[n] < 0:
            return -1.0, state
    for n in range(negative + 1 if negative > 0 else 0):
        row = rows[n]
        if row < 0:
            continue
        label = np.float32(1.0) if n == 0 else np.float32(0.0)
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

    The overlay buffers hold the job's private rows and `used` their counts (after an overflow too:
    `train_rounds` forgets them).
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
    output_rows = np.empty(negative + 1, dtype=np.int64)
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
            if sg:
                for c in range(contexts):
                    row0 = context_rows[c]  # a scalar: LLVM cannot hoist an array load out of the loop (alias)
                    for d in range(size):
                        neu1[d] = buffer0[row0, d]  # a private copy (not a view) lets LLVM vectorise the updates
                        neu1e[d] = 0.0
                    pair_loss, state = _output_layer(
                        neu1, neu1e, kept[i], alpha, hs, negative, compute_loss, state, output_rows,
                        cum_table, starts, codes, points, lengths, local_neg, touched_neg, buffer_neg, syn1neg,
                        local_hs, touched_hs, buffer_hs, syn1, used)
                    if pair_loss < 0.0:
                        status = 1
                        break
                    loss += pair_loss
                    for d in range(size):
                        buffer0[row0, d] += neu1e[d]
            elif contexts > 0:
                for d in range(size):
                    neu1[d] = 0.0
                    neu1e[d] = 0.0
                for c in range(contexts):
                    row0 = context_rows[c]
                    for d in range(size):
                        neu1[d] += buffer0[row0, d]
                inverse = np.float32(1.0) / np.float32(contexts)
                if cbow_mean:
                    for d in range(size):
                        neu1[d] *= inverse
                pair_loss, state = _output_layer(
                    neu1, neu1e, kept[i], alpha, hs, negative, compute_loss, state, output_rows,
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
    return status, loss, count


@njit(nogil=True, cache=True)
def _forget(local_of, touched, used):
    for slot in range(used):
        local_of[touched[slot]] = -1


@njit(nogil=True, cache=True)
def merge_round(base, local_of, touched, buffer, used, jobs, part, parts):
    """Write part `part` of `parts` of the round's private rows to `base` (the rows stay marked in `local_of`).

    The round's (job, slot) pairs, in job order, are cut into `parts` equal runs. A row is written once, by the
    pair of the first job (in job order) that touched it: the job's copy if no other job touched the row, else
    `original + sum over jobs (copy - original)` in job order. Parts write different rows, so merging them in
    parallel gives the same bits as merging them in turn.
    """
    size = base.shape[1]
    total = 0
    for job in range(jobs):
        total += used[job]
    begin, end = total * part // parts, total * (part + 1) // parts
    slots = np.empty(jobs, dtype=np.int64)
    original = np.empty(size, dtype=base.dtype)
    job, offset = 0, 0  # offset: pairs of the jobs before `job`
    for pair in range(begin, end):
        while pair - offset >= used[job]:
            offset += used[job]
            job += 1
        slot = pair - offset
        word = touched[job, slot]
        first = True
        for earlier in range(job):
            if local_of[earlier, word] >= 0:
                first = False
        if not first:
            continue
        sharing = 0
        for other in range(job, jobs):
            slots[other] = local_of[other, word]
            sharing += slots[other] >= 0
        if sharing == 1:
            for d in range(size):
                base[word, d] = buffer[job, slot, d]
            continue
        for d in range(size):
            original[d] = base[word, d]
        for other in range(job, jobs):
            copy = slots[other]
            if copy >= 0:
                for d in range(size):
                    base[word, d] += buffer[other, copy, d] - original[d]


@njit(nogil=True, cache=True)
def _forget_job(local0, touched0, local_neg, touched_neg, local_hs, touched_hs, used):
    """Clear one job's private-row marks (after its round is merged, before its next job)."""
    _forget(local0, touched0, used[0])
    _forget(local_neg, touched_neg, used[1])
    _forget(local_hs, touched_hs, used[2])


def identity_rows(rows):
    """`local_of` for in-place training: every row is its own slot, so `_row` never copies."""
    return np.arange(rows, dtype=np.int32)


@njit(nogil=True, cache=True, parallel=True)
def train_in_place(indices, index_starts, sentence_ends, end_starts, alphas, seeds, keep_thresholds, syn0, syn1neg,
                   syn1, cum_table, starts, codes, points, lengths, sg, hs, negative, window, shrink_windows,
                   cbow_mean, compute_loss, rows0, rows_neg, rows_hs, losses, effective):
    """Train a batch of jobs directly on the weights, the jobs spread over numba's threads (arguments as for
    `train_rounds`; `rows0`, `rows_neg`, `rows_hs` are `identity_rows` of the three matrices).

    Each job is trained sequentially by one thread; with one thread the jobs run in order, so the result is
    reproducible.
    """
    jobs = alphas.shape[0]
    used = np.zeros((jobs, 3), dtype=np.int64)
    unused = np.zeros(1, dtype=np.int32)  # `touched`: `_row` writes it only when it copies a row
    for job in prange(jobs):
        status, losses[job], effective[job] = train_job(
            indices[index_starts[job]:index_starts[job + 1]], sentence_ends[end_starts[job]:end_starts[job + 1]],
            keep_thresholds, syn0, syn1neg, syn1, cum_table, starts, codes, points, lengths, sg, hs, negative,
            window, shrink_windows, cbow_mean, alphas[job], seeds[job], compute_loss,
            rows0, unused, syn0, rows_neg, unused, syn1neg, rows_hs, unused, syn1, used[job])


@njit(nogil=True, cache=True, parallel=True)
def train_rounds(indices, index_starts, sentence_ends, end_starts, alphas, seeds, jobs_per_round, first_round,
                 parts, keep_thresholds, syn0, syn1neg, syn1, cum_table, starts, codes, points, lengths, sg, hs,
                 negative, window, shrink_windows, cbow_mean, compute_loss, local0, touched0, buffer0, local_neg,
                 touched_neg, buffer_neg, local_hs, touched_hs, buffer_hs, used, losses, effective):
    """Train a batch of jobs, round by round from `first_round`: a round's jobs in parallel (numba threads)
    against the same weights, then its merge, in `parts` parallel parts.

    Job j's word indices are `indices[index_starts[j]:index_starts[j + 1]]`, its sentence ends
    `sentence_ends[end_starts[j]:end_starts[j + 1]]`; its loss and effective words go to `losses[j]` and
    `effective[j]`. Returns the number of the first round not trained: fewer than all rounds when a private-row
    buffer overflowed (that round's private rows are forgotten; grow the buffers and call again from there).
    `local_of` is clear (-1) before and after the call.
    """
    jobs = alphas.shape[0]
    rounds = (jobs + jobs_per_round - 1) // jobs_per_round
    status = np.zeros(jobs_per_round, dtype=np.int64)
    used[:] = 0
    stopped = rounds
    for round_index in range(first_round, rounds):
        first = round_index * jobs_per_round
        count = min(jobs_per_round, jobs - first)
        for k in prange(count):
            job = first + k
            _forget_job(local0[k], touched0[k], local_neg[k], touched_neg[k], local_hs[k], touched_hs[k], used[k])
            status[k], losses[job], effective[job] = train_job(
                indices[index_starts[job]:index_starts[job + 1]], sentence_ends[end_starts[job]:end_starts[job + 1]],
                keep_thresholds, syn0, syn1neg, syn1, cum_table, starts, codes, points, lengths, sg, hs, negative,
                window, shrink_windows, cbow_mean, alphas[job], seeds[job], compute_loss,
                local0[k], touched0[k], buffer0[k], local_neg[k], touched_neg[k], buffer_neg[k],
                local_hs[k], touched_hs[k], buffer_hs[k], used[k])
        if status[:count].sum() != 0:
            stopped = round_index
            break
        for part in prange(parts):
            merge_round(syn0, local0, touched0, buffer0, used[:, 0], count, part, parts)
            merge_round(syn1neg, local_neg, touched_neg, buffer_neg, used[:, 1], count, part, parts)
            merge_round(syn1, local_hs, touched_hs, buffer_hs, used[:, 2], count, part, parts)
    for k in prange(jobs_per_round):
        _forget_job(local0[k], touched0[k], local_neg[k], touched_neg[k], local_hs[k], touched_hs[k], used[k])
    return stopped
