"""Sentence classification: lamina.text's models against the same models in a hand-written PyTorch loop (and the
fastText library), side by side in one run.

- TextCNN: Kim's `text_cnn(vocabulary, 2, sequence_length=--length)` (Embedding 300-d, Conv1D widths 3, 4, 5 with
  100 maps, ReLU, max over time, dropout 0.5, softmax with MaxNorm(3) on its kernel) against nn.Embedding +
  nn.Conv1d + nn.Dropout + nn.Linear, its weight renormed to 3 per class after every step.
- fastText: `fasttext(vocabulary, 2)` (Embedding 10-d, mask_zero, masked mean, softmax) on the ids of
  TextVectorization(ngrams=2) (cut to --length: every unigram, then the first bigrams) against nn.Embedding + a
  masked mean + nn.Linear, and (with --peers) the fastText library's `train_supervised(dim=10, wordNgrams=2,
  thread=2)` at its default learning rate (0.1) on `__label__X text` lines; its time includes reading and
  tokenizing the file and building its vocabulary and n-gram table.

Data: lamina.datasets.reviews, --train sentences (seed 0) and --test held out (seed 1), vectorized once by
TextVectorization(output_sequence_length=--length); lamina and PyTorch train on the same int64 id tensors with
Adam (learning rate 0.001, epsilon 1e-7), the same batch size, epochs, seed and initializers, shuffled every
epoch. PyTorch runs twice: with torch.optim.Adam's default (its for-loop on CPU) and with fused=True, the kernel
lamina's Adam uses. Rates are training sentences per second (sentences x epochs / seconds of training), each
one's best of --rounds after a warm-up round; the runs alternate, round after round. Held-out accuracy is
measured after training, outside the time.

    .venv/bin/python benchmarks/text_speed.py                       # both models, lamina and PyTorch
    .venv/bin/python benchmarks/text_speed.py --quick               # smoke run: small sizes, 1 round
    .venv/bin/pip install --target /tmp/peers fasttext               # optional peer, outside the venv
    .venv/bin/python benchmarks/text_speed.py --peers /tmp/peers
"""
import argparse
import functools
import os
import sys
import tempfile
import time

import torch
from torch import nn

from lamina.datasets import reviews
from lamina.layers import TextVectorization
from lamina.text import fasttext, text_cnn
from lamina.utils import set_random_seed


def keras_initialized(module):
    """The module with lamina's (Keras's) initializers: embeddings uniform(-0.05, 0.05), glorot-uniform kernels,
    zero biases. With PyTorch's defaults the fastText model learns slower (2,000 sentences, 2 epochs: 0.50)."""
    for layer in module.modules():
        if isinstance(layer, nn.Embedding):
            nn.init.uniform_(layer.weight, -0.05, 0.05)
        elif isinstance(layer, (nn.Conv1d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module


class TorchTextCNN(nn.Module):
    def __init__(self, vocabulary_size, classes, widths=(3, 4, 5), filters=100, embedding_dim=300):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_dim)
        self.convolutions = nn.ModuleList(nn.Conv1d(embedding_dim, filters, width) for width in widths)
        self.dropout = nn.Dropout(0.5)
        self.classifier = nn.Linear(filters * len(widths), classes)

    def forward(self, ids):
        embedded = self.embedding(ids).transpose(1, 2)  # (batch, channels, steps) for Conv1d
        features = torch.cat([conv(embedded).relu().amax(dim=2) for conv in self.convolutions], dim=1)
        return self.classifier(self.dropout(features))

    def constrain(self):
        """Keras's MaxNorm(3) on the (in, out) kernel, axis 0: each class's row of nn.Linear's (out, in) weight."""
        with torch.no_grad():
            weight = self.classifier.weight
            norms = weight.norm(dim=1, keepdim=True)
            weight.mul_(norms.clamp(max=3.0) / (1e-7 + norms))


class TorchFastText(nn.Module):
    def __init__(self, vocabulary_size, classes, embedding_dim=10):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_dim)
        self.classifier = nn.Linear(embedding_dim, classes)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(2).to(torch.float32)  # id 0 is padding, as lamina's mask_zero
        return self.classifier((self.embedding(ids) * mask).sum(1) / mask.sum(1).clamp(min=1))

    def constrain(self):
        pass


def lamina_run(build, data, args, epochs):
    ids, labels, test_ids, test_labels = data
    set_random_seed(args.seed)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(ids, labels, epochs=epochs, batch_size=args.batch_size, verbose=0)
    seconds = time.perf_counter() - start
    return seconds, model.evaluate(test_ids, test_labels, batch_size=256, verbose=0)[1]


def torch_run(build, data, args, epochs, fused=None):
    ids, labels, test_ids, test_labels = data
    torch.manual_seed(args.seed)
    model = keras_initialized(build())
    start = time.perf_counter()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7, fused=fused)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(ids))
        for begin in range(0, len(ids), args.batch_size):
            index = order[begin:begin + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(ids[index]), labels[index])
            loss.backward()
            optimizer.step()
            model.constrain()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.inference_mode():
        predicted = torch.cat([model(batch).argmax(1) for batch in test_ids.split(256)])
    return seconds, float((predicted == test_labels).float().mean())


def fasttext_library_run(texts, labels, test_texts, test_labels, args, epochs):
    import fasttext as fasttext_library

    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "train.txt")
        with open(path, "w") as file:
            file.writelines(f"__label__{label} {text}\n" for text, label in zip(texts, labels.tolist()))
        start = time.perf_counter()
        model = fasttext_library.train_supervised(path, dim=10, wordNgrams=2, epoch=epochs, thread=2, seed=args.seed,
                                                  verbose=0)  # its default learning rate, 0.1
        seconds = time.perf_counter() - start
    predicted = [int(label[0].removeprefix("__label__")) for label in model.predict(test_texts)[0]]
    return seconds, sum(p == t for p, t in zip(predicted, test_labels.tolist())) / len(predicted)


def vectorized(texts, test_texts, length, ngrams):
    """(train ids, test ids, vocabulary size, seconds of adapt + both calls)."""
    start = time.perf_counter()
    vectorize = TextVectorization(output_sequence_length=length, ngrams=ngrams)
    vectorize.adapt(texts)
    ids, test_ids = vectorize(texts), vectorize(test_texts)
    return ids, test_ids, vectorize.vocabulary_size(), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train", type=int, default=20_000, help="training sentences")
    parser.add_argument("--test", type=int, default=2_000, help="held-out sentences")
    parser.add_argument("--length", type=int, default=30, help="output_sequence_length of both vectorizers")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cnn-epochs", type=int, default=1)
    parser.add_argument("--fasttext-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--peers", default="", help="folders holding the fasttext package (pip install --target), "
                                                    "separated by ':'")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, 2,000 training sentences, "
                                                             "500 held out")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.train, args.test = 1, 2_000, 500
    sys.path.extend(filter(None, args.peers.split(":")))  # after the venv's packages: its numpy and torch stay
    texts, labels = reviews.load_data(args.train, 0)
    test_texts, test_labels = reviews.load_data(args.test, 1)
    labels, test_labels = torch.from_numpy(labels), torch.from_numpy(test_labels)

    cnn_ids, cnn_test_ids, cnn_vocabulary, cnn_seconds = vectorized(texts, test_texts, args.length, None)
    ids, test_ids, vocabulary, seconds = vectorized(texts, test_texts, args.length, 2)
    print(f"TextVectorization, adapt + call on {args.train:,} + {args.test:,} sentences: {cnn_seconds:.2f} s "
          f"(vocabulary {cnn_vocabulary}); with ngrams=2: {seconds:.2f} s (vocabulary {vocabulary:,})")
    models = [  # (name, epochs, ids for both frameworks, lamina's model, the PyTorch module)
        ("TextCNN", args.cnn_epochs, (cnn_ids, labels, cnn_test_ids, test_labels),
         lambda: text_cnn(cnn_vocabulary, 2, sequence_length=args.length), lambda: TorchTextCNN(cnn_vocabulary, 2)),
        ("fastText", args.fasttext_epochs, (ids, labels, test_ids, test_labels),
         lambda: fasttext(vocabulary, 2), lambda: TorchFastText(vocabulary, 2)),
    ]
    runs = []  # (model, framework, epochs, run() -> (seconds, held-out accuracy))
    for name, epochs, data, lamina_model, torch_model in models:
        runs += [(name, "lamina fit", epochs, functools.partial(lamina_run, lamina_model, data, args, epochs)),
                 (name, "hand-written PyTorch", epochs, functools.partial(torch_run, torch_model, data, args, epochs)),
                 (name, "PyTorch, Adam(fused=True)", epochs,
                  functools.partial(torch_run, torch_model, data, args, epochs, fused=True))]
    try:
        import fasttext as fasttext_library  # noqa: F401

        runs.append(("fastText", "fastText library", args.fasttext_epochs, functools.partial(
            fasttext_library_run, texts, labels, test_texts, test_labels, args, args.fasttext_epochs)))
    except ImportError:
        print("fasttext: not importable, skipped (pip install --target /tmp/peers fasttext, then --peers /tmp/peers)")

    times = {index: [] for index in range(len(runs))}
    accuracies = {}
    for round_ in range(1 + args.rounds):  # round 0 warms up (thread pools, oneDNN's kernels) and is dropped
        for index, (_, _, _, run) in enumerate(runs):
            seconds, accuracies[index] = run()
            times[index] += [seconds] if round_ else []

    print(f"\n{args.train:,} training sentences, {args.test:,} held out, length {args.length}, batch "
          f"{args.batch_size}, {torch.get_num_threads()} torch threads, best of {args.rounds} rounds after a warm-up "
          f"(lamina / peer: lamina's rate / the peer's, best rounds [range of the rounds' pairs]):")
    print(f"  {'model':<9} {'framework':<26} {'epochs':>6} {'sentences/s':>11} {'accuracy':>8} {'lamina / peer':>22}")
    for index, (model, framework, epochs, _) in enumerate(runs):
        lamina = next(position for position, run in enumerate(runs) if run[0] == model)  # its lamina row
        ratio = ""
        if index != lamina:
            paired = [theirs / ours for ours, theirs in zip(times[lamina], times[index])]
            ratio = f"{min(times[index]) / min(times[lamina]):.2f}x [{min(paired):.2f}-{max(paired):.2f}]"
        print(f"  {model:<9} {framework:<26} {epochs:>6} {args.train * epochs / min(times[index]):>11,.0f} "
              f"{accuracies[index]:>8.3f} {ratio:>22}")


if __name__ == "__main__":
    main()
