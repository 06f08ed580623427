"""The text commands: `lamina train DATA --task text`, and `lamina evaluate` / `lamina predict` on text models.

Each prints a readable summary, or with `--json` one JSON object on stdout.
"""
import os
import time

from lamina.predictions import ranked
from lamina.tasks import finish, finish_evaluation
from lamina.text.classifier import TextClassifier, load_model
from lamina.text.models import ARCHITECTURES

DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE = 5, 50


def run_train(args):
    start = time.perf_counter()
    vectors = args.vectors
    if vectors is not None and not os.path.isfile(vectors):
        raise SystemExit(f"lamina train: no vectors file at '{vectors}'.")
    architecture = args.architecture or "cnn"
    if architecture not in ARCHITECTURES:
        raise SystemExit(f"lamina train: --architecture {architecture} is for recordings; texts take "
                         f"{', '.join(ARCHITECTURES)}.")
    classifier = TextClassifier(architecture, max_tokens=args.max_tokens, sequence_length=args.sequence_length,
                                vectors=vectors, vectors_mode=args.vectors_mode)
    try:
        history = classifier.fit(args.data, epochs=args.epochs or DEFAULT_EPOCHS,
                                 batch_size=args.batch_size or DEFAULT_BATCH_SIZE, learning_rate=args.learning_rate,
                                 validation_split=args.validation_split, seed=args.seed, verbose=0 if args.json else 2,
                                 **_file_options(args))
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina train: {error}") from None
    seconds = time.perf_counter() - start
    classifier.save(args.output)
    logs = {name: values[-1] for name, values in history.history.items()}
    summary = {"model": args.output, "task": "text", "architecture": architecture,
               "classes": classifier.class_names, "vocabulary": classifier.vectorize.vocabulary_size(),
               "sequence_length": classifier.vectorize.output_sequence_length, "seconds": round(seconds, 2),
               **{name: float(value) for name, value in logs.items()}}
    if classifier.coverage is not None:
        summary["vectors_coverage"] = classifier.coverage.fraction
    lines = [f"Trained a {architecture} text classifier on {', '.join(classifier.class_names)} in "
             f"{seconds:.1f} s; saved to {args.output}.",
             f"Vocabulary {summary['vocabulary']:,} tokens, texts cut or padded to {summary['sequence_length']}."]
    if classifier.coverage is not None:
        lines.append(f"Pretrained vectors: {classifier.coverage}.")
    if "val_accuracy" in logs:
        lines.append(f"Validation accuracy {logs['val_accuracy']:.3f}, loss {logs['val_loss']:.4f}.")
    finish(args, summary, lines)
    return 0


def run_evaluate(args):
    classifier = load_model(args.model)
    try:
        evaluation = classifier.evaluate(args.data, **_file_options(args))
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina evaluate: {error}") from None
    finish_evaluation(args, evaluation, "texts")
    return 0


def run_predict(args):
    """Each input is a file of texts, one per line, or else the text itself."""
    classifier = load_model(args.model)
    texts = [text for item in args.inputs for text in _texts_of(item)]
    if not texts:
        raise SystemExit("lamina predict: the inputs hold no text (the files are empty).")
    results = ranked(texts, classifier.predict_proba(texts), classifier.class_names, args.top)
    lines = [f"{result['label']} {result['probability']:.3f}  {result['input']}" for result in results]
    finish(args, {"model": args.model, "predictions": results}, lines)
    return 0


def _texts_of(item):
    if not os.path.isfile(item):
        return [item]
    with open(item, encoding="utf-8") as file:
        return [line.rstrip("\n") for line in file if line.strip()]


def _file_options(args):
    options = {"text_column": args.text_column, "label_column": args.label_column}
    return {name: value for name, value in options.items() if value is not None}

