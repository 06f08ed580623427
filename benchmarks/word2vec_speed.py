"""Word2Vec training speed and quality: lamina vs gensim on the same corpus and settings, alternating in one run.

The corpus is generated (no download): a Zipfian vocabulary of topic words and function words, where words of
the same topic share contexts. Quality is the Spearman correlation of cosine similarities with the planted
relatedness of word pairs (a WordSim353-style file: 10 for pairs of one topic, 0 otherwise), measured by each
library's own evaluate_word_pairs.

    .venv/bin/python benchmarks/word2vec_speed.py                   # 1.2M tokens, sg and CBOW, 3 rounds
    .venv/bin/python benchmarks/word2vec_speed.py --tokens 3000000 --rounds 2 --workers 2
    .venv/bin/python benchmarks/word2vec_speed.py --device cuda     # lamina's batched GPU trainer vs gensim (CPU)
"""
import argparse
import functools
import os
import tempfile
import time

import numpy as np


def write_corpus(path, tokens, seed=0, topics=300, words_per_topic=40, function_words=200):
    """A corpus of ~`tokens` words: each sentence mixes one topic's words (Zipfian) with function words."""
    rng = np.random.default_rng(seed)
    topic_words = np.array([f"t{t}w{w}" for t in range(topics) for w in range(words_per_topic)]).reshape(
        topics, words_per_topic)
    function = np.array([f"f{w}" for w in range(function_words)])
    topic_p = 1.0 / np.arange(1, topics + 1) ** 0.5
    topic_p /= topic_p.sum()
    word_p = 1.0 / np.arange(1, words_per_topic + 1)
    word_p /= word_p.sum()
    function_p = 1.0 / np.arange(1, function_words + 1)
    function_p /= function_p.sum()
    written = 0
    with open(path, "w") as handle:
        while written < tokens:
            length = int(rng.integers(8, 25))
            topic = rng.choice(topics, p=topic_p)
            from_topic = rng.random(length) < 0.6
            words = np.where(from_topic, topic_words[topic][rng.choice(words_per_topic, length, p=word_p)],
                             function[rng.choice(function_words, length, p=function_p)])
            handle.write(" ".join(words) + "\n")
            written += length
    return topic_words


def write_pairs(path, topic_words, pairs=400, seed=1):
    """Word pairs with a planted relatedness score: 10 within a topic, 0 across topics."""
    rng = np.random.default_rng(seed)
    topics, size = topic_words.shape
    with open(path, "w") as handle:
        handle.write("# word1\tword2\tscore\n")
        for index in range(pairs):
            a, b = rng.choice(min(size, 10), 2, replace=False)  # frequent words of a topic
            first = rng.integers(topics // 3)
            second = first if index % 2 == 0 else (first + 1 + rng.integers(topics // 3 - 1)) % (topics // 3)
            score = 10.0 if first == second else 0.0
            handle.write(f"{topic_words[first, a]}\t{topic_words[second, b]}\t{score}\n")


def count_words(path):
    with open(path) as handle:
        return sum(len(line.split()) for line in handle)


def train_gensim(corpus, settings):
    from gensim.models import Word2Vec

    start = time.perf_counter()
    model = Word2Vec(corpus_file=corpus, **settings)
    return time.perf_counter() - start, model.wv


def train_lamina(corpus, settings, device="cpu"):
    from lamina.word2vec import Word2Vec

    start = time.perf_counter()
    model = Word2Vec(corpus_file=corpus, device=device, **settings)
    return time.perf_counter() - start, model.wv


def spearman(wv, pairs):
    result = wv.evaluate_word_pairs(pairs)
    value = result[1]
    return float(value[0] if isinstance(value, tuple) else getattr(value, "statistic", value))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=1_200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="lamina's device: cpu (numba kernels) or cuda[:N] (batched "
                        "GPU trainer); gensim always runs on the CPU")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="lamina-w2v-bench-")
    corpus, pairs = os.path.join(folder, "corpus.txt"), os.path.join(folder, "pairs.tsv")
    write_pairs(pairs, write_corpus(corpus, args.tokens))
    words = count_words(corpus) * args.epochs
    print(f"corpus: {words // args.epochs:,} tokens, {args.epochs} epochs, {args.workers} workers, "
          f"vector_size 100, window 5, negative 5, min_count 5, lamina on {args.device}")
    print(f"{'mode':5} {'lamina words/s':>15} {'gensim words/s':>15} {'ratio':>7} {'lamina rho':>11} {'gensim rho':>11}")
    for sg, mode in ((1, "sg"), (0, "cbow")):
        settings = dict(vector_size=100, window=5, negative=5, min_count=5, epochs=args.epochs, workers=args.workers,
                        sg=sg, seed=1)
        best = {"lamina": float("inf"), "gensim": float("inf")}
        quality = {}
        for _ in range(args.rounds):
            for name, train in (("lamina", functools.partial(train_lamina, device=args.device)),
                                ("gensim", train_gensim)):
                elapsed, wv = train(corpus, settings)
                best[name] = min(best[name], elapsed)
                quality[name] = spearman(wv, pairs)
        rate = {name: words / seconds for name, seconds in best.items()}
        print(f"{mode:5} {rate['lamina']:15,.0f} {rate['gensim']:15,.0f} {rate['lamina'] / rate['gensim']:6.2f}x "
              f"{quality['lamina']:11.3f} {quality['gensim']:11.3f}", flush=True)


if __name__ == "__main__":
    main()
