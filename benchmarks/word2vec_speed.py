"""Word2Vec training speed and quality: lamina vs gensim on real-text-shaped corpora, alternating in one run.

Two corpora, both with documents of thousands of tokens on one line (the shape of real text, unlike short
generated sentences):

- `wiki`: gensim's own test corpus, its shortened English Wikipedia dump (106 articles, tokenised by gensim's
  `WikiCorpus`, 453k tokens), repeated `--copies` times (3: 1.36M tokens). Quality: each library's
  `evaluate_word_pairs` on gensim's shipped wordsim353.tsv (Spearman) and `evaluate_word_analogies` on its
  questions-words.txt (accuracy).
- `generated`: documents of 200-10,000 tokens (lognormal, median 3,000) drawn from a Zipf-Mandelbrot vocabulary
  of 30,000 background words plus 200 topics of 150 words; each document mixes a main and a second topic.
  Quality: Spearman of cosine similarity with the planted relatedness of word pairs (10 for two words of one
  topic, 0 for two topics).

Both input paths are measured: `corpus_file=` (a file, one document per line) and `sentences=` (a Python list of
token lists, one per document). Lines longer than 10,000 tokens are cut into pieces of 10,000 first, as both
libraries' file readers do (gensim would otherwise drop a longer sentence's tail). words/s is the same for both
libraries: the corpus's tokens times epochs, divided by the seconds `train()` took (`build_vocab` is timed
apart and shown in the `+vocab` ratio). Each round trains lamina then gensim; ratios are gensim's time over
lamina's within a round; the table shows the median round and the range over rounds.

    .venv/bin/python benchmarks/word2vec_speed.py                          # wiki and generated, both paths
    .venv/bin/python benchmarks/word2vec_speed.py --corpus wiki --input sentences --modes cbow --rounds 5
    .venv/bin/python benchmarks/word2vec_speed.py --device cuda            # lamina's batched GPU trainer
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np

SETTINGS = dict(vector_size=100, window=5, negative=5, min_count=5, seed=1)
MAX_LINE = 10_000
GENSIM_TEST_DATA = None  # set from gensim's package folder in main()


def wiki_documents(copies):
    """gensim's shortened English Wikipedia test dump, tokenised by gensim's WikiCorpus, `copies` times."""
    from gensim.corpora.wikicorpus import WikiCorpus

    dump = os.path.join(GENSIM_TEST_DATA, "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    cache = os.path.join(tempfile.gettempdir(), "lamina-w2v-bench-wiki.txt")
    if not os.path.exists(cache):
        articles = list(WikiCorpus(dump, dictionary={}, processes=1).get_texts())
        with open(cache + ".part", "w", encoding="utf8") as handle:
            handle.writelines(" ".join(article) + "\n" for article in articles)
        os.replace(cache + ".part", cache)
    with open(cache, encoding="utf8") as handle:
        articles = [line.split() for line in handle]
    return articles * copies


def generated_documents(tokens, seed=0, background=30_000, topics=200, words_per_topic=150, topic_share=0.3):
    """Documents from a Zipf-Mandelbrot vocabulary with document-level topics; returns (documents, topic words)."""
    rng = np.random.default_rng(seed)
    background_p = 1.0 / (np.arange(1, background + 1) + 2.7) ** 1.07  # Mandelbrot's fit to English
    background_p /= background_p.sum()
    topic_p = 1.0 / np.arange(1, topics + 1) ** 0.8
    topic_p /= topic_p.sum()
    word_p = 1.0 / (np.arange(1, words_per_topic + 1) + 1.0)
    word_p /= word_p.sum()
    background_words = np.array([f"w{rank}" for rank in range(background)])
    topic_words = np.array([[f"t{t}w{w}" for w in range(words_per_topic)] for t in range(topics)])
    documents, written = [], 0
    while written < tokens:
        length = int(np.clip(rng.lognormal(np.log(3000), 0.8), 200, MAX_LINE))
        main, second = rng.choice(topics, 2, replace=False, p=topic_p)
        from_topic = rng.random(length) < topic_share
        topic_of = np.where(rng.random(length) < 0.8, main, second)
        words = np.where(from_topic, topic_words[topic_of, rng.choice(words_per_topic, length, p=word_p)],
                         background_words[rng.choice(background, length, p=background_p)])
        documents.append(words.tolist())
        written += length
    return documents, topic_words


def write_planted_pairs(path, topic_words, pairs=400, seed=1):
    """Pairs of frequent topic words: 10 within a topic, 0 across (topics of the frequent third)."""
    rng = np.random.default_rng(seed)
    topics = topic_words.shape[0] // 3
    with open(path, "w") as handle:
        handle.write("# word1\tword2\tscore\n")
        for index in range(pairs):
            a, b = rng.choice(10, 2, replace=False)
            first = rng.integers(topics)
            second = first if index % 2 == 0 else (first + 1 + rng.integers(topics - 1)) % topics
            handle.write(f"{topic_words[first, a]}\t{topic_words[second, b]}\t{10.0 if first == second else 0.0}\n")


def cut_lines(documents):
    return [document[start:start + MAX_LINE] for document in documents for start in range(0, len(document), MAX_LINE)]


def quality(wv, evaluations):
    """{name: score} of each library's own evaluate_word_pairs (Spearman) / evaluate_word_analogies (accuracy)."""
    scores = {}
    for name, (kind, path) in evaluations.items():
        if kind == "pairs":
            value = wv.evaluate_word_pairs(path)[1]
            scores[name] = float(value[0] if isinstance(value, tuple) else getattr(value, "statistic", value))
        else:
            scores[name] = float(wv.evaluate_word_analogies(path)[0])
    return scores


def train(library, corpus, epochs, workers, sg, device):
    """(vocabulary seconds, training seconds, wv) for one model trained on `corpus` ({'sentences'|'corpus_file': x})."""
    if library == "lamina":
        from lamina.word2vec import Word2Vec

        model = Word2Vec(epochs=epochs, workers=workers, sg=sg, device=device, **SETTINGS)
    else:
        from gensim.models import Word2Vec

        model = Word2Vec(epochs=epochs, workers=workers, sg=sg, **SETTINGS)
    path_argument = "corpus_iterable" if "sentences" in corpus else "corpus_file"
    source = {path_argument: corpus.get("sentences", corpus.get("corpus_file"))}
    start = time.perf_counter()
    model.build_vocab(**source)
    built = time.perf_counter()
    model.train(**source, total_examples=model.corpus_count, total_words=model.corpus_total_words, epochs=epochs)
    return built - start, time.perf_counter() - built, model.wv


def prepare(name, args, folder):
    """(documents, {evaluation name: (kind, path)}) of corpus `name`."""
    if name == "wiki":
        evaluations = {"ws353": ("pairs", os.path.join(GENSIM_TEST_DATA, "wordsim353.tsv")),
                       "analogy": ("analogies", os.path.join(GENSIM_TEST_DATA, "questions-words.txt"))}
        return cut_lines(wiki_documents(args.copies)), evaluations
    documents, topic_words = generated_documents(args.tokens)
    pairs = os.path.join(folder, "planted-pairs.tsv")
    write_planted_pairs(pairs, topic_words)
    return cut_lines(documents), {"planted": ("pairs", pairs)}


def main():
    global GENSIM_TEST_DATA
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=("wiki", "generated", "both"), default="both")
    parser.add_argument("--input", choices=("corpus_file", "sentences", "both"), default="both")
    parser.add_argument("--modes", default="sg,cbow", help="comma-separated: sg, cbow")
    parser.add_argument("--copies", type=int, default=3, help="repetitions of the wiki articles (3: 1.36M tokens)")
    parser.add_argument("--tokens", type=int, default=1_360_000, help="tokens of the generated corpus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="lamina's device: cpu (numba kernels) or cuda[:N] (batched "
                        "GPU trainer); gensim always runs on the CPU")
    args = parser.parse_args()
    import gensim

    GENSIM_TEST_DATA = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
    folder = tempfile.mkdtemp(prefix="lamina-w2v-bench-")
    corpora = ("wiki", "generated") if args.corpus == "both" else (args.corpus,)
    inputs = ("corpus_file", "sentences") if args.input == "both" else (args.input,)
    modes = [mode.strip() for mode in args.modes.split(",")]
    print(f"{args.epochs} epochs, {args.workers} workers, vector_size 100, window 5, negative 5, min_count 5, "
          f"lamina on {args.device}; median round [range] of {args.rounds}")
    print(f"{'corpus':9} {'input':11} {'mode':4} {'lamina w/s':>11} {'gensim w/s':>11} {'ratio':>17} "
          f"{'+vocab':>6}  quality lamina | gensim (mean over rounds)")
    for corpus_name in corpora:
        documents, evaluations = prepare(corpus_name, args, folder)
        tokens = sum(map(len, documents))
        corpus_file = os.path.join(folder, f"{corpus_name}.txt")
        with open(corpus_file, "w", encoding="utf8") as handle:
            handle.writelines(" ".join(document) + "\n" for document in documents)
        print(f"# {corpus_name}: {tokens:,} tokens in {len(documents)} lines", flush=True)
        for library in ("lamina", "gensim"):  # warm-up: numba's compiled kernels load, gensim's modules import
            train(library, {"sentences": documents[:3]}, 1, args.workers, 1, args.device)
        for input_name in inputs:
            corpus = {"sentences": documents} if input_name == "sentences" else {"corpus_file": corpus_file}
            for mode in modes:
                times = {"lamina": [], "gensim": []}
                scores = {"lamina": [], "gensim": []}
                for _ in range(args.rounds):
                    for library in ("lamina", "gensim"):
                        vocab_seconds, train_seconds, wv = train(library, corpus, args.epochs, args.workers,
                                                                 int(mode == "sg"), args.device)
                        times[library].append((vocab_seconds, train_seconds))
                        scores[library].append(quality(wv, evaluations))
                ratios = [g[1] / m[1] for m, g in zip(times["lamina"], times["gensim"])]
                with_vocab = [sum(g) / sum(m) for m, g in zip(times["lamina"], times["gensim"])]
                rate = {library: tokens * args.epochs / statistics.median(t[1] for t in times[library])
                        for library in times}
                mean = {library: {name: np.mean([s[name] for s in scores[library]]) for name in evaluations}
                        for library in scores}
                shown = {library: " ".join(f"{name} {value:.3f}" for name, value in mean[library].items())
                         for library in mean}
                print(f"{corpus_name:9} {input_name:11} {mode:4} {rate['lamina']:11,.0f} {rate['gensim']:11,.0f} "
                      f"{statistics.median(ratios):5.2f}x [{min(ratios):.2f}-{max(ratios):.2f}] "
                      f"{statistics.median(with_vocab):5.2f}x  {shown['lamina']} | {shown['gensim']}", flush=True)


if __name__ == "__main__":
    main()
