"""The audio commands: `lamina train DIR --task audio`, and `lamina evaluate` / `lamina predict` on audio models.

Each prints a readable summary, or with `--json` one JSON object on stdout.
"""
import os
import time

from lamina.audio.classifier import ARCHITECTURES, AudioClassifier, load_model
from lamina.predictions import ranked
from lamina.tasks import finish, finish_evaluation, numbered_path, top_classes_line

DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE = 20, 32


def run_train(args):
    start = time.perf_counter()
    if args.architecture not in (None,) + ARCHITECTURES:
        raise SystemExit(f"lamina train: --architecture {args.architecture} is for texts; recordings take "
                         f"{', '.join(ARCHITECTURES)}.")
    classifier = AudioClassifier(args.architecture or "cnn2d", sample_rate=args.sample_rate, duration=args.duration,
                                 n_mels=args.n_mels)
    try:
        history = classifier.fit(args.data, pattern=args.pattern, group=args.group,
                                 epochs=args.epochs or DEFAULT_EPOCHS, batch_size=args.batch_size or DEFAULT_BATCH_SIZE,
                                 learning_rate=args.learning_rate or 1e-3, validation_split=args.validation_split,
                                 seed=args.seed, verbose=0 if args.json else 2)
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina train: {error}") from None
    seconds = time.perf_counter() - start
    classifier.save(args.output)
    logs = {name: float(values[-1]) for name, values in history.history.items()}
    summary = {"model": args.output, "task": "audio", "architecture": classifier.architecture,
               "classes": classifier.class_names, "sample_rate": classifier.sample_rate,
               "duration": classifier.duration, "seconds": round(seconds, 2), **logs}
    lines = [f"Trained a {classifier.architecture} audio classifier on {len(classifier.class_names)} classes "
             f"({', '.join(classifier.class_names)}) in {seconds:.1f} s; saved to {args.output}.",
             f"Clips of {classifier.duration:g} s at {classifier.sample_rate} Hz, {classifier.n_mels} mel bands."]
    if "val_accuracy" in logs:
        split = f"speakers held out by {args.group}" if args.group else "a stratified split"
        lines.append(f"Validation accuracy {logs['val_accuracy']:.3f}, loss {logs['val_loss']:.4f} ({split}).")
    finish(args, summary, lines)
    return 0


def run_evaluate(args):
    classifier = load_model(args.model)
    try:
        evaluation = classifier.evaluate(args.data, pattern=args.pattern)
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina evaluate: {error}") from None
    finish_evaluation(args, evaluation, "recordings")
    return 0


def run_predict(args):
    classifier = load_model(args.model)
    missing = [path for path in args.inputs if not os.path.isfile(path)]
    if missing:
        raise SystemExit(f"lamina predict: no such file: {', '.join(missing)}.")
    results = ranked(args.inputs, classifier.predict_proba(args.inputs), classifier.class_names, args.top)
    lines = [top_classes_line(result) for result in results]
    if args.heatmap:
        for number, result in enumerate(results):
            result["heatmap"] = numbered_path(args.heatmap, number, len(results))
            classifier.explain(result["input"], result["heatmap"])
            lines.append(f"  heatmap of {result['input']}: {result['heatmap']}")
    finish(args, {"model": args.model, "predictions": results}, lines)
    return 0
