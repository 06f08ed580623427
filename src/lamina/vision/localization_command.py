"""The localization commands: `lamina train ANNOTATIONS --task keypoints|regression`, and `lamina evaluate` /
`lamina predict` on the models they write (points or angles as JSON, drawn on the images with -o)."""
import os
import time

import numpy as np

from lamina.tasks import finish, numbered_path
from lamina.vision.annotations import read_keypoints_csv, read_regression_csv
from lamina.vision.localization import KeypointRegressor, SteeringRegressor
from lamina.vision.localization_files import load_model
from lamina.vision.target_pictures import draw_targets


def run_train(args):
    start = time.perf_counter()
    try:
        regressor, annotations = _regressor(args)
        targets = annotations.points if args.task == "keypoints" else annotations.values
        history = regressor.fit(annotations.paths, targets, epochs=args.epochs or 30,
                                batch_size=args.batch_size or 32, learning_rate=args.learning_rate or 1e-3,
                                validation_split=args.validation_split, seed=args.seed, verbose=0 if args.json else 2)
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina train: {error}") from None
    seconds = time.perf_counter() - start
    regressor.save(args.output)
    logs = {name: float(values[-1]) for name, values in history.history.items()}
    summary = {"model": args.output, "task": args.task, "images": len(annotations), "seconds": round(seconds, 2),
               **logs}
    finish(args, summary, [f"Trained a {args.task} model on {len(annotations)} images in {seconds:.1f} s; saved to "
                           f"{args.output}.", ", ".join(f"{name} {value:.4f}" for name, value in logs.items())])
    return 0


def _regressor(args):
    if args.task == "keypoints":
        annotations = read_keypoints_csv(args.data)
        pairs = [tuple(int(index) for index in pair.split("-")) for pair in args.pairs.split(",")] if args.pairs \
            else ()
        weights = None if args.weights in (None, "none", "None") else args.weights
        return KeypointRegressor(annotations.points.shape[1], args.model, weights, args.image_size or 96,
                                 pairs), annotations
    if args.target_column is None:
        raise ValueError("--task regression needs --target-column, the CSV column of the number to predict.")
    annotations = read_regression_csv(args.data, args.target_column)
    size = (args.image_size, args.image_size) if args.image_size else (66, 200)
    return SteeringRegressor(image_size=size), annotations


def _load(path, command):
    regressor = load_model(path)
    if not isinstance(regressor, (KeypointRegressor, SteeringRegressor)):
        raise SystemExit(f"lamina {command}: '{path}' is a {type(regressor).__name__}, which has no command yet; use "
                         f"it from Python (lamina.vision.localization_files.load_model).")
    return regressor


def run_evaluate(args):
    regressor = _load(args.model, "evaluate")
    try:
        if isinstance(regressor, KeypointRegressor):
            annotations = read_keypoints_csv(args.data)
            scores = regressor.evaluate(annotations.paths, annotations.points)
        else:
            if args.target_column is None:
                raise ValueError("a regression model is evaluated on a CSV column: pass --target-column.")
            annotations = read_regression_csv(args.data, args.target_column)
            scores = regressor.evaluate(annotations.paths, annotations.values)
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina evaluate: {error}") from None
    finish(args, {"model": args.model, "data": args.data, "images": len(annotations), **scores},
           [f"{args.model} on {args.data} ({len(annotations)} images): "
            + ", ".join(f"{name} {value:.4f}" for name, value in scores.items())])
    return 0


def run_predict(args):
    regressor = _load(args.model, "predict")
    missing = [path for path in args.inputs if not os.path.isfile(path)]
    if missing:
        raise SystemExit(f"lamina predict: no such file: {', '.join(missing)}.")
    outputs = regressor.predict(args.inputs)
    keypoints = isinstance(regressor, KeypointRegressor)
    results, lines = [], []
    for number, (path, output) in enumerate(zip(args.inputs, outputs)):
        result = {"input": path}
        if keypoints:
            result["points"] = np.asarray(output).round(2).tolist()
            lines.append(f"{path}: " + ", ".join(f"({x:.1f}, {y:.1f})" for x, y in output))
        else:
            result["value"] = float(output)
            lines.append(f"{path}: {float(output):.3f}")
        if args.output:
            drawn = numbered_path(args.output, number, len(args.inputs))
            draw_targets(path, predicted_points=output if keypoints else None, path=drawn)
            result["drawn"] = drawn
            lines.append(f"  drawn: {drawn}")
        results.append(result)
    finish(args, {"model": args.model, "predictions": results}, lines)
    return 0
