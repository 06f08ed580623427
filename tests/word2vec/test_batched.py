"""Tests of the batched PyTorch trainer (Word2Vec's CUDA path), run on the CPU through the same code."""

import numpy as np
import pytest
import torch

from lamina.word2vec import Word2Vec, batched
from test_training import COUNTRIES, hierarchical_softmax_output, planted_corpus, planted_scores

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Small CPU kernels run several times faster on one thread than on two competing with other test processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus()


def batched_model(**options):
    """A Word2Vec model whose train() uses the batched trainer on the CPU (the private switch tests use)."""
    model = Word2Vec(**options)
    model._batched_device = CPU
    return model


def train(model, sentences):
    model.build_vocab(sentences)
    return model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)


# ------------------------------------------------------------------------------------------ learned structure

@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("hs", [0, 1])
def test_planted_partners_and_analogies(corpus, sg, hs):
    # Calibrated over seeds 1-6 with the default pairs_per_batch: negative sampling solves every pair and all
    # 112 analogies; hierarchical softmax every pair and 104-108 analogies. The thresholds leave a margin.
    model = batched_model(vector_size=50, window=5, min_count=5, sg=sg, hs=hs, negative=0 if hs else 5, epochs=5,
                          seed=1)
    train(model, corpus)
    found, solved, total = planted_scores(model.wv)
    assert found >= len(COUNTRIES) - 1 and solved >= (0.8 if hs else 0.9) * total


# ------------------------------------------------------------------------------------ weights, loss, epochs

class EpochLog:
    def __init__(self):
        self.losses, self.vectors = [], []

    def on_epoch_end(self, model):
        self.losses.append(model.get_latest_training_loss())
        self.vectors.append(model.wv.vectors.copy())


def test_loss_decreases_and_numpy_weights_follow_each_epoch(corpus):
    log = EpochLog()
    model = batched_model(vector_size=20, min_count=2, sg=1, epochs=4, compute_loss=True, callbacks=[log])
    model.build_vocab(corpus[:5000])
    vectors, syn1neg = model.wv.vectors, model.syn1neg
    initial = vectors.copy()
    effective, raw = model.train(corpus[:5000], total_examples=model.corpus_count, epochs=4)
    assert all(later < earlier for earlier, later in zip(log.losses, log.losses[1:]))
    assert isinstance(model.get_latest_training_loss(), float) and model.get_latest_training_loss() == log.losses[-1]
    assert raw == 4 * model.corpus_total_words and 0 < effective < raw  # subsampling drops frequent words
    assert model.wv.vectors is vectors and model.syn1neg is syn1neg  # updated in place
    assert not np.array_equal(log.vectors[0], initial) and not np.array_equal(log.vectors[1], log.vectors[0])
    np.testing.assert_array_equal(log.vectors[-1], vectors)
    assert np.abs(syn1neg).sum() > 0 and np.isfinite(vectors).all()
    assert model._batched is None  # the device copies are released after train()


@pytest.mark.parametrize("sg", [1, 0])
def test_one_word_sentences_and_unknown_words_train(sg):
    sentences = [["rare"], ["a", "b"], ["unknown", "words", "only"], ["a"], ["b", "a", "b"]] * 3
    model = batched_model(vector_size=4, min_count=4, sg=sg, hs=1, epochs=2, compute_loss=True, sample=0)
    model.build_vocab(sentences)
    effective, raw = model.train(sentences, total_examples=len(sentences), epochs=2)
    assert model.wv.index_to_key == ["b", "a"] and (effective, raw) == (2 * 18, 2 * 30)
    assert np.isfinite(model.wv.vectors).all() and model.get_latest_training_loss() > 0


def test_same_seed_same_vectors_on_cpu(corpus):
    runs = [batched_model(vector_size=16, min_count=2, epochs=2, seed=seed, hs=1, negative=2) for seed in (7, 7, 8)]
    for model in runs:
        train(model, corpus[:2000])
    assert np.array_equal(runs[0].wv.vectors, runs[1].wv.vectors) and np.array_equal(runs[0].syn1, runs[1].syn1)
    assert not np.array_equal(runs[0].wv.vectors, runs[2].wv.vectors)


def numpy_hierarchical_softmax(model, sentences, epochs, pairs_per_batch, alpha, min_alpha):
    """float64 reference of the batched trainer: hierarchical softmax, fixed window, no subsampling.

    Examples are taken in the trainer's order (centre by centre, contexts left to right); every example of a
    minibatch reads the weights before the minibatch and the updates are summed. The learning rate decreases
    linearly with the position of the centre word over all epochs.
    """
    syn0 = model.initial_vectors.astype(np.float64)
    syn1 = np.zeros_like(model.syn1, dtype=np.float64)
    words = [model.wv.key_to_index[word] for sentence in sentences for word in sentence]
    sentence_of = [s for s, sentence in enumerate(sentences) for _ in sentence]
    count, window, losses = len(words), model.window, []
    examples = []
    for i in range(count):
        contexts = [j for j in range(i - window, i + window + 1)
                    if j != i and 0 <= j < count and sentence_of[j] == sentence_of[i]]
        if model.sg:
            examples += [(i, [j]) for j in contexts]
        elif contexts:
            examples.append((i, contexts))
    for epoch in range(epochs):
        loss = 0.0
        for start in range(0, len(examples), pairs_per_batch):
            syn0_update, syn1_update = np.zeros_like(syn0), np.zeros_like(syn1)
            for i, contexts in examples[start:start + pairs_per_batch]:
                rate = alpha - (alpha - min_alpha) * (epoch + i / count) / epochs
                l1 = syn0[[words[j] for j in contexts]].sum(axis=0)
                if model.cbow_mean:
                    l1 /= len(contexts)
                error, example_loss = hierarchical_softmax_output(model, syn1, l1, words[i], rate, syn1_update)
                loss += example_loss
                if not model.cbow_mean:
                    error /= len(contexts)
                for j in contexts:
                    syn0_update[words[j]] += error
            syn0 += syn0_update
            syn1 += syn1_update
        losses.append(loss)
    return syn0, syn1, losses


@pytest.mark.parametrize("sg, cbow_mean", [(1, 1), (0, 1), (0, 0)])
@pytest.mark.parametrize("pairs_per_batch", [4096, 7])
def test_loss_and_updates_equal_direct_numpy_computation(sg, cbow_mean, pairs_per_batch):
    sentences = [["a", "b", "c", "a", "d", "b", "a", "e"], ["c", "e", "a", "b"]]
    model = batched_model(vector_size=6, window=2, min_count=1, sg=sg, cbow_mean=cbow_mean, hs=1, negative=0, sample=0,
                          shrink_windows=False, compute_loss=True, alpha=0.5, min_alpha=0.1, epochs=2, seed=4)
    model.pairs_per_batch = pairs_per_batch
    log = EpochLog()
    model.build_vocab(sentences)
    model.initial_vectors = model.wv.vectors.copy()
    model.train(sentences, total_examples=2, epochs=2, callbacks=[log])
    syn0, syn1, losses = numpy_hierarchical_softmax(model, sentences, 2, pairs_per_batch, alpha=0.5, min_alpha=0.1)
    np.testing.assert_allclose(log.losses, losses, rtol=1e-5)
    if pairs_per_batch > 100:  # one minibatch per epoch: the first reads output weights that are all zero
        units = log.losses[0] / np.log(2)
        assert units == pytest.approx(round(units), abs=1e-6) and units > 10
    np.testing.assert_allclose(model.wv.vectors, syn0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.syn1, syn1, rtol=1e-4, atol=1e-6)
    assert model.min_alpha_yet_reached == pytest.approx(0.5 - 0.4 * 0.5)


def test_negative_sampling_step_equals_numpy_with_known_negatives():
    model = Word2Vec(vector_size=4, min_count=1, negative=3, compute_loss=True, seed=2)
    model.build_vocab([list("abcdefg")])
    rng = np.random.default_rng(0)
    model.syn1neg[...] = rng.normal(scale=0.5, size=model.syn1neg.shape)
    trainer = batched.BatchedTrainer(model, CPU, pairs_per_batch=4096)
    inputs, targets = np.array([0, 1, 2, 0]), np.array([3, 3, 4, 5])
    negatives = np.array([[1, 3, 6], [2, 2, 0], [4, 5, 6], [0, 1, 2]])  # a draw equal to the target is skipped
    alphas = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)
    l1 = model.wv.vectors[inputs].astype(np.float64)
    syn1neg = model.syn1neg.astype(np.float64)
    expected_syn1neg, expected_error, expected_loss = syn1neg.copy(), np.zeros_like(l1), 0.0
    for b in range(len(targets)):
        for k, word in enumerate([targets[b], *negatives[b]]):
            if k > 0 and word == targets[b]:
                continue
            f = l1[b] @ syn1neg[word]
            label = 1.0 if k == 0 else 0.0
            g = (label - 1 / (1 + np.exp(-f))) * alphas[b]
            expected_loss += np.logaddexp(0, -f if k == 0 else f)
            expected_error[b] += g * syn1neg[word]
            expected_syn1neg[word] += g * l1[b]
    error = trainer.output_error(torch.tensor(l1, dtype=torch.float32), torch.tensor(targets),
                                 torch.tensor(alphas), negatives=torch.tensor(negatives))
    np.testing.assert_allclose(error.numpy(), expected_error, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(trainer.syn1neg.numpy(), expected_syn1neg, rtol=1e-5, atol=1e-7)
    assert trainer.loss.dtype == torch.float64 and trainer.loss.item() == pytest.approx(expected_loss, rel=1e-6)


# -------------------------------------------------------------------------------------- building the examples

def test_negatives_follow_the_unigram_table():
    counts = np.array([400, 200, 100, 50, 25, 12, 6, 3])
    model = Word2Vec(min_count=1, ns_exponent=0.75)
    model.build_vocab([[f"w{i}"] * int(count) for i, count in enumerate(counts)])
    trainer = batched.BatchedTrainer(model, CPU, 4096)
    draws = batched.draw_negatives(trainer.cum_table, trainer.cum_total, (400_000,),
                                   torch.Generator().manual_seed(0))
    observed = np.bincount(draws.numpy(), minlength=len(counts)) / len(draws)
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(observed, expected, atol=0.003)


def test_subsampling_keeps_each_word_with_its_probability():
    thresholds = torch.tensor([2**32, 3 * 2**30, 2**31, 2**29])  # keep 1, 0.75, 0.5, 0.125
    words = torch.arange(4).repeat(50_000)
    keep = batched.subsample(words, thresholds, torch.Generator().manual_seed(1))
    rates = [keep[words == w].float().mean().item() for w in range(4)]
    np.testing.assert_allclose(rates, [1.0, 0.75, 0.5, 0.125], atol=0.01)


def reference_windows(sentence_ids, window):
    count = len(sentence_ids)
    return [[0 <= i + offset < count and sentence_ids[i + offset] == sentence_ids[i]
             for offset in [*range(-window, 0), *range(1, window + 1)]] for i in range(count)]


def test_context_windows_stay_in_sentences_and_shrink():
    sentence_ids = torch.tensor([0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3])
    positions, mask = batched.context_windows(sentence_ids, 3, False, torch.Generator().manual_seed(0))
    full = np.array(reference_windows(sentence_ids.tolist(), 3))
    np.testing.assert_array_equal(mask.numpy(), full)
    offsets = np.array([-3, -2, -1, 1, 2, 3])
    np.testing.assert_array_equal(positions.numpy()[full], (np.arange(13)[:, None] + offsets)[full])
    reduced_windows = set()
    for seed in range(20):
        _, shrunk = batched.context_windows(sentence_ids, 3, True, torch.Generator().manual_seed(seed))
        for row, full_row in zip(shrunk.numpy(), full):
            # each row is the full row cut to |offset| <= r for one effective window r in 1..3
            matches = [r for r in (1, 2, 3) if np.array_equal(row, full_row & (np.abs(offsets) <= r))]
            assert matches
            reduced_windows.add(matches[0] if len(matches) == 1 else None)
    assert {1, 2, 3} <= reduced_windows


def test_rows_hit_very_often_get_the_mean_update_times_the_cap():
    matrix = torch.zeros(3, 2)
    cap = batched.MAX_ROW_HITS
    rows = torch.tensor([0] * (2 * cap) + [1] * 3 + [2])
    updates = torch.ones(len(rows), 2)
    weights = torch.ones(len(rows))
    weights[-1] = 0.0  # padding: counts as no hit (its update is zero in the trainer)
    updates[-1] = 0.0
    batched.add_rows(matrix, rows, updates, weights)
    np.testing.assert_allclose(matrix.numpy(), [[cap, cap], [3, 3], [0, 0]])


# ---------------------------------------------------------------------------------------------------- devices

@pytest.mark.parametrize("device", [None, "cpu", torch.device("cpu")])
def test_cpu_devices_use_the_numba_kernels(device):
    assert Word2Vec(device=device)._batched_device is None


def test_unavailable_cuda_device_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device='cuda' was requested but CUDA is not available.*device=None"):
        Word2Vec(device="cuda")
    with pytest.raises(ValueError, match=r"device=device\(type='cuda', index=1\) was requested"):
        Word2Vec(device=torch.device("cuda", 1))


def test_missing_cuda_index_and_other_devices_are_clear_errors():
    with pytest.raises(ValueError, match="device='cuda:99'.*device=None"):
        Word2Vec(device="cuda:99")  # not available here, or not one of this machine's GPUs
    with pytest.raises(ValueError, match="device='mps' is not supported.*'cuda:N'"):
        Word2Vec(device="mps")
    with pytest.raises(ValueError, match="`device` must be None or 'cpu'.*received 'gpu'"):
        Word2Vec(device="gpu")
