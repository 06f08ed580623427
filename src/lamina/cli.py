"""The `lamina` command: `lamina demo`, and the commands of lamina's applications."""
import argparse
import os
import sys
import time

import lamina


def build_parser():
    parser = argparse.ArgumentParser(prog="lamina", description="lamina: Keras-style deep learning on PyTorch.")
    parser.add_argument("--version", action="version", version=f"lamina {lamina.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="train two small models on data that ships with lamina")
    demo.add_argument("--quick", action="store_true", help="fewer epochs (a smoke test)")
    demo.set_defaults(func=_run_demo)
    _add_train_commands(commands)
    _add_image_commands(commands)
    _add_word2vec_commands(commands)
    _add_heatmap_command(commands)
    _add_export_command(commands)
    return parser


def _vision_command(name):
    """The function running `lamina <name>`, imported (with torch) only when that command runs."""
    def run(args):
        from lamina.vision import command

        return getattr(command, f"run_{name}")(args)

    return run


def _task_command(name):
    """`lamina train|evaluate|predict`: run by the application (image or text) of the data or the model."""
    def run(args):
        from lamina import tasks

        return tasks.run(name, args)

    return run


def _add_train_commands(commands):
    train = commands.add_parser("train", help="train a classifier on labelled images, recordings or texts",
                                description="Train an image classifier (a folder of class folders of images, or a "
                                            "CSV of path,label rows), an audio classifier (a folder of class "
                                            "folders of recordings, or --pattern for labels in file names) or a "
                                            "text classifier (a CSV/TSV of texts and labels, a file of 'label text' "
                                            "lines, or class folders of .txt files).")
    train.add_argument("data", help="the labelled images, recordings or texts")
    train.add_argument("-o", "--output", required=True, help="where to write the model (.lamina)")
    train.add_argument("--task", choices=("image", "audio", "text", "keypoints", "boxes", "regression"),
                       default=None, help="the kind of data (default: detected among image, audio and text; keypoints, "
                                          "boxes and regression take an annotation file and must be named)")
    train.add_argument("--epochs", type=int, default=None, help="epochs of training (image 10, audio 20, text 5)")
    train.add_argument("--learning-rate", type=float, default=None,
                       help="(image 1e-3, 2e-3 with --fine-tune; text 1e-3, 1e-2 for fasttext)")
    train.add_argument("--batch-size", type=int, default=None, help="samples per batch (image and audio 32, text 50)")
    train.add_argument("--validation-split", type=float, default=0.2,
                       help="fraction of each class held out (0.2), when images have no val/ folder")
    train.add_argument("--seed", type=int, default=0, help="seed of the split and the training order (0)")
    train.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    images = train.add_argument_group("images")
    images.add_argument("--model", default=None,
                        help="the pretrained backbone (mobilenet_v2; boxes in several per image: a small ConvNet)")
    images.add_argument("--weights", default="imagenet", help="imagenet, none, or a path to backbone weights")
    images.add_argument("--fine-tune", action="store_true",
                        help="also train the backbone (default: train the head on frozen features)")
    images.add_argument("--freeze-epochs", type=int, default=1, help="with --fine-tune: head-only epochs first (1)")
    images.add_argument("--image-size", type=int, default=None, help="the backbone's input side (its default)")
    images.add_argument("--cache", default=None, help="a folder that keeps the frozen backbone's features")
    images.add_argument("--report", default=None, help="the report folder (default: <output>_report)")
    images.add_argument("--pairs", default=None,
                        help="keypoints: left-right point pairs swapped by flips, e.g. 0-1,3-4")
    images.add_argument("--target-column", default=None, help="regression: the CSV column of the number")
    images.add_argument("--grid-size", type=int, default=8,
                        help="boxes in several per image: cells per side of the GridDetector (8)")
    train.add_argument("--architecture", choices=("cnn", "rnn", "fasttext", "cnn2d", "cnn1d"), default=None,
                       help="texts: Kim's CNN, a bidirectional GRU, or fastText's bag of bigrams (cnn); recordings: "
                            "convolutions over the spectrogram as an image, or over time (cnn2d)")
    recordings = train.add_argument_group("recordings")
    recordings.add_argument("--sample-rate", type=int, default=16000, help="resample to this rate in Hz (16000)")
    recordings.add_argument("--duration", type=float, default=1.0, help="seconds per clip, cut or padded (1.0)")
    recordings.add_argument("--n-mels", type=int, default=64, help="mel bands of the spectrogram (64)")
    _add_pattern_argument(recordings)
    recordings.add_argument("--group", default=None,
                            help="a field of --pattern (e.g. speaker) whose values are held out whole")
    texts = train.add_argument_group("texts")
    texts.add_argument("--vectors", default=None, help="pretrained word vectors: word2vec .bin or text, or GloVe")
    texts.add_argument("--vectors-mode", choices=("static", "non-static", "multichannel"), default="static",
                       help="keep the vectors fixed, train them, or both as Kim's two channels (static)")
    texts.add_argument("--max-tokens", type=int, default=20000, help="the vocabulary's size (20000)")
    texts.add_argument("--sequence-length", type=int, default=None,
                       help="tokens per text (default: the longest training text's, at most 200)")
    _add_text_file_arguments(texts)
    train.set_defaults(func=_task_command("train"))
    evaluate = commands.add_parser("evaluate", help="accuracy and per-class precision/recall of a classifier")
    evaluate.add_argument("model", help="a model written by lamina train")
    evaluate.add_argument("data", help="labelled data as lamina train reads it (images: their val/ part if any)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    _add_text_file_arguments(evaluate)
    _add_pattern_argument(evaluate)
    evaluate.add_argument("--target-column", default=None, help="regression: the CSV column of the number")
    evaluate.set_defaults(func=_task_command("evaluate"))
    predict = commands.add_parser("predict", help="classify images or texts with a model written by lamina train")
    predict.add_argument("model", help="a model written by lamina train")
    predict.add_argument("inputs", nargs="+", help="image or audio files; for a text model, texts or files of one "
                                                   "text per line")
    predict.add_argument("--top", type=int, default=3, help="classes shown per input (3)")
    predict.add_argument("-o", "--output", default=None,
                         help="keypoints and boxes: the image with its predicted points or boxes (PNG; name-1.png, "
                              "... for several)")
    predict.add_argument("--threshold", type=float, default=0.5,
                         help="boxes found by a GridDetector: the lowest score shown (0.5)")
    predict.add_argument("--heatmap", default=None,
                         help="audio: an occlusion heatmap over each spectrogram (PNG; name-1.png, ... for several)")
    predict.add_argument("--json", action="store_true", help="print one JSON object")
    predict.set_defaults(func=_task_command("predict"))


def _add_pattern_argument(command):
    command.add_argument("--pattern", default=None,
                         help="recordings: labels from file names, e.g. '{label}_{speaker}_{n}.wav'")


def _add_text_file_arguments(command):
    command.add_argument("--text-column", default=None, help="CSV/TSV: the text column, by name or index")
    command.add_argument("--label-column", default=None, help="CSV/TSV: the label column, by name or index")


def _add_image_commands(commands):
    similar = commands.add_parser("similar", help="the images of a folder most similar to query images")
    similar.add_argument("folder", help="a folder of images (nested folders included)")
    similar.add_argument("queries", nargs="+", help="query image files")
    similar.add_argument("-k", type=int, default=5, help="neighbours per query (5)")
    similar.add_argument("-o", "--output", default=None, help="a contact sheet PNG (one per query: name-1.png, ...)")
    _add_feature_arguments(similar)
    similar.set_defaults(func=_vision_command("similar"))
    cluster = commands.add_parser("cluster", help="group a folder's images by their learned features")
    cluster.add_argument("folder", help="a folder of images (subfolders, if any, are scored as classes)")
    cluster.add_argument("-k", type=int, default=None, help="the number of clusters (default: by silhouette)")
    cluster.add_argument("--method", choices=("kmeans", "agglomerative"), default="kmeans", help="(kmeans)")
    cluster.add_argument("-o", "--output", default=None,
                         help="a 2-D map PNG (t-SNE); a sheet per cluster goes in <output>_clusters/")
    cluster.add_argument("--seed", type=int, default=0, help="seed of k-means and t-SNE (0)")
    _add_feature_arguments(cluster)
    cluster.set_defaults(func=_vision_command("cluster"))


def _add_feature_arguments(command):
    command.add_argument("--model", default="mobilenet_v2",
                         help="a backbone name, or a classifier written by lamina train (.lamina) (mobilenet_v2)")
    command.add_argument("--weights", default="imagenet", help="for a backbone name: imagenet, none, or a path")
    command.add_argument("--image-size", type=int, default=None, help="the backbone's input side (its default)")
    command.add_argument("--batch-size", type=int, default=32, help="images per batch (32)")
    command.add_argument("--json", action="store_true", help="print one JSON object")


class _HeatmapMethods:
    """The heatmap command's `--method` choices, read from lamina.explain (which imports torch) only when
    `lamina heatmap` checks a method or shows its help, so that the other commands never import torch."""

    @staticmethod
    def _names():
        from lamina.explain.command import METHODS

        return METHODS

    def __contains__(self, name):
        return name in self._names()

    def __iter__(self):
        return iter(self._names())


def _add_heatmap_command(commands):
    heatmap = commands.add_parser("heatmap", help="explain an image classifier's prediction with a heatmap")
    heatmap.add_argument("model", help="a saved lamina model (.lamina) that classifies images")
    heatmap.add_argument("image", help="an image file (PNG, JPEG, ...), resized to the model's input")
    heatmap.add_argument("-o", "--output", required=True, help="where to write the heatmap over the image (PNG)")
    heatmap.add_argument("--method", choices=_HeatmapMethods(), metavar="METHOD", default="occlusion",
                         help="explanation method: %(choices)s (occlusion)")
    heatmap.add_argument("--target", type=int, default=None, help="class to explain (default: the predicted one)")
    heatmap.add_argument("--window", type=int, default=8, help="occlusion window size in pixels (8)")
    heatmap.add_argument("--stride", type=int, default=4, help="occlusion stride in pixels (4)")
    heatmap.add_argument("--logit", action="store_true",
                         help="occlusion: score the model's raw outputs, not softmax probabilities (which saturate)")
    heatmap.add_argument("--rescale", type=float, default=1 / 255,
                         help="factor applied to the pixel values 0..255 before the model (1/255)")
    heatmap.set_defaults(func=_run_heatmap)


def _add_export_command(commands):
    export = commands.add_parser("export", help="write a saved model as ONNX or a torch.export program, for serving")
    export.add_argument("model", help="a saved lamina model (.lamina), e.g. one written by lamina train")
    export.add_argument("-o", "--output", required=True, help="the file to write: .onnx (ONNX) or .pt2 (torch.export)")
    export.set_defaults(func=_run_export)


def _run_export(args):
    """`lamina export MODEL -o OUTPUT`: reads a `.lamina` file and exports it; a SystemExit names what failed."""
    from lamina.exporting import FORMATS, export_model
    from lamina.models import load_model

    if not os.path.isfile(args.model):
        raise SystemExit(f"lamina export: no model file at '{args.model}'.")
    try:
        path = export_model(load_model(args.model, compile=False), args.output)
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(f"lamina export: {error}") from None
    print(f"Exported {args.model} to {path} ({FORMATS[os.path.splitext(path)[1].lower()]}, "
          f"{os.path.getsize(path):,} bytes); the batch axis is dynamic.")
    return 0


def _run_heatmap(args):
    from lamina.explain.command import run_heatmap

    run_heatmap(args.model, args.image, args.output, method=args.method, target=args.target, window=args.window,
                stride=args.stride, logit=args.logit, rescale=args.rescale)
    return 0


def _add_word2vec_commands(commands):
    train = commands.add_parser("word2vec", help="train word vectors on a text file (one sentence per line)")
    train.add_argument("corpus", help="text file: whitespace-separated tokens, one sentence per line")
    train.add_argument("-o", "--output", required=True,
                       help="where to write the vectors in word2vec format (binary for .bin, else text)")
    train.add_argument("--size", type=int, default=100, help="vector size (100)")
    train.add_argument("--window", type=int, default=5, help="maximum context distance (5)")
    train.add_argument("--min-count", type=int, default=5, help="ignore words rarer than this (5)")
    train.add_argument("--sg", action="store_true", help="skip-gram (default: CBOW)")
    train.add_argument("--hs", action="store_true", help="hierarchical softmax (default: negative sampling)")
    train.add_argument("--negative", type=int, default=5, help="negative samples per word (5; 0 with --hs)")
    train.add_argument("--epochs", type=int, default=5, help="passes over the corpus (5)")
    train.add_argument("--sample", type=float, default=1e-3, help="downsampling threshold of frequent words")
    train.add_argument("--workers", type=int, default=None, help="threads (default: the cores, up to 4)")
    train.add_argument("--seed", type=int, default=1,
                       help="random seed (runs with one seed are identical with --workers 1 or --deterministic)")
    train.add_argument("--deterministic", action="store_true",
                       help="the same vectors for any --workers (slower: rounds of jobs on private rows)")
    train.add_argument("--text", action="store_true", help="write text format even for a .bin output")
    train.set_defaults(func=_run_word2vec)
    similar = commands.add_parser("similar-words", help="nearest words, or an analogy: king - man + woman")
    similar.add_argument("vectors", help="vectors in word2vec format (.bin binary, else text), or a lamina "
                                         ".kv file")
    similar.add_argument("query", nargs="+", help="a word, or words joined by + and -: king - man + woman")
    similar.add_argument("-n", "--topn", type=int, default=10, help="how many words to show (10)")
    similar.set_defaults(func=_run_similar_words)


def _run_word2vec(args):
    from lamina.word2vec import Word2Vec

    if not os.path.isfile(args.corpus):
        raise SystemExit(f"lamina word2vec: no corpus file at '{args.corpus}'.")
    start = time.perf_counter()
    model = Word2Vec(corpus_file=args.corpus, vector_size=args.size, window=args.window, min_count=args.min_count,
                     sg=int(args.sg), hs=int(args.hs), negative=args.negative, epochs=args.epochs,
                     sample=args.sample, workers=args.workers, seed=args.seed, deterministic=args.deterministic)
    binary = args.output.endswith(".bin") and not args.text
    model.wv.save_word2vec_format(args.output, binary=binary)
    print(f"{len(model.wv):,} words x {args.size} dimensions written to {args.output} "
          f"({'binary' if binary else 'text'} word2vec format) in {time.perf_counter() - start:.1f} s.")
    return 0


def parse_query(terms):
    """['king', '-', 'man', '+', 'woman'] (or the one string 'king - man + woman') -> (positive, negative) words.

    Operators are separate tokens, so hyphenated words ('e-mail') stay whole.
    """
    tokens = [token for term in terms for token in term.split()]
    positive, negative, sign = [], [], "+"
    for token in tokens:
        if token in "+-":
            sign = token
        else:
            (positive if sign == "+" else negative).append(token)
            sign = "+"
    if not positive:
        raise SystemExit("lamina similar-words: the query needs at least one word with +, e.g. king - man + woman.")
    return positive, negative


def _run_similar_words(args):
    from lamina.word2vec import KeyedVectors

    if not os.path.isfile(args.vectors):
        raise SystemExit(f"lamina similar-words: no vectors file at '{args.vectors}'.")
    if args.vectors.endswith(".kv"):
        vectors = KeyedVectors.load(args.vectors)
    else:
        vectors = KeyedVectors.load_word2vec_format(args.vectors, binary=args.vectors.endswith(".bin"))
    positive, negative = parse_query(args.query)
    try:
        results = vectors.most_similar(positive=positive, negative=negative, topn=args.topn)
    except KeyError as error:
        raise SystemExit(f"lamina similar-words: {error.args[0]}") from None
    query = " ".join([positive[0]] + [f"+ {w}" for w in positive[1:]] + [f"- {w}" for w in negative])
    print(f"Nearest to {query}:")
    width = max(len(word) for word, _ in results) if results else 0
    for word, similarity in results:
        print(f"  {word:<{width}}  {similarity:.4f}")
    return 0


def _run_demo(args):
    from lamina.demo import run

    return run(quick=args.quick)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
