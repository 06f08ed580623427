"""The localization commands: `lamina train ANNOTATIONS --task keypoints|boxes|regression`, and `lamina evaluate`
/ `lamina predict` on the models they write (points, boxes or angles as JSON, drawn on the images with -o).

Boxes train a BoxRegressor when every image has exactly one box, else a GridDetector."""
import os
import time

import numpy as np

from lamina.tasks import finish, numbered_path
from lamina.vision.annotations import read_boxes_csv, read_keypoints_csv, read_regression_csv, read_voc
from lamina.vision.box_regressor import BoxRegressor
from lamina.vision.grid_detector import GridDetector
from lamina.vision.localization import KeypointRegressor, SteeringRegressor
from lamina.vision.localization_files import load_model
from lamina.vision.target_pictures import draw_targets


def run_train(args):
    start = time.perf_counter()
    try:
        regressor, annotations = _regressor(args)
        rate = {"learning_rate": args.learning_rate} if args.learning_rate else {}  # else the model's default
        history = regressor.fit(annotations.paths, *_targets(regressor, annotations), epochs=args.epochs or 30,
                                batch_size=args.batch_size or 32, validation_split=args.validation_split,
                                seed=args.seed, verbose=0 if args.json else 2, **rate)
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina train: {error}") from None
    seconds = time.perf_counter() - start
    regressor.save(args.output)
    logs = {name: float(values[-1]) for name, values in history.history.items()}
    kind = type(regressor).__name__
    summary = {"model": args.output, "task": args.task, "kind": kind, "images": len(annotations),
               "seconds": round(seconds, 2), **logs}
    finish(args, summary, [f"Trained a {kind} ({args.task}) on {len(annotations)} images in {seconds:.1f} s; saved "
                           f"to {args.output}.", ", ".join(f"{name} {value:.4f}" for name, value in logs.items())])
    return 0


def _regressor(args):
    weights = None if args.weights in (None, "none", "None") else args.weights
    if args.task == "keypoints":
        annotations = read_keypoints_csv(args.data)
        pairs = [tuple(int(index) for index in pair.split("-")) for pair in args.pairs.split(",")] if args.pairs \
            else ()
        return KeypointRegressor(annotations.points.shape[1], args.model or "mobilenet_v2", weights,
                                 args.image_size or 96, pairs), annotations
    if args.task == "boxes":
        annotations = _read_boxes(args.data)
        if all(len(image_boxes) == 1 for image_boxes in annotations.boxes):
            return BoxRegressor(annotations.class_names, args.model or "mobilenet_v2", weights,
                                args.image_size or 96), annotations
        return GridDetector(annotations.class_names, args.image_size or 64, args.grid_size, backbone=args.model,
                            weights=weights), annotations
    if args.target_column is None:
        raise ValueError("--task regression needs --target-column, the CSV column of the number to predict.")
    annotations = read_regression_csv(args.data, args.target_column)
    size = (args.image_size, args.image_size) if args.image_size else (66, 200)
    return SteeringRegressor(image_size=size), annotations


def _read_boxes(path):
    return read_voc(path) if os.path.isdir(path) else read_boxes_csv(path)


def _targets(regressor, annotations):
    """The fit/evaluate arguments after the images: points, (boxes, labels) or values."""
    if isinstance(regressor, KeypointRegressor):
        return (annotations.points,)
    if isinstance(regressor, SteeringRegressor):
        return (annotations.values,)
    unknown = sorted({name for names in annotations.labels for name in names} - set(regressor.class_names))
    if unknown:
        raise ValueError(f"classes the model does not know: {unknown[:5]}; it knows {regressor.class_names}.")
    index = {name: position for position, name in enumerate(regressor.class_names)}
    labels = [np.array([index[name] for name in names], dtype=np.int64) for names in annotations.labels]
    if isinstance(regressor, BoxRegressor):
        if any(len(image_boxes) != 1 for image_boxes in annotations.boxes):
            raise ValueError("a BoxRegressor finds one object per image, and some images here have none or "
                             "several; train a GridDetector (lamina train --task boxes) on such data.")
        return np.concatenate(annotations.boxes), np.concatenate(labels)
    return annotations.boxes, labels


def run_evaluate(args):
    regressor = load_model(args.model)
    try:
        if isinstance(regressor, KeypointRegressor):
            annotations = read_keypoints_csv(args.data)
        elif isinstance(regressor, SteeringRegressor):
            if args.target_column is None:
                raise ValueError("a regression model is evaluated on a CSV column: pass --target-column.")
            annotations = read_regression_csv(args.data, args.target_column)
        else:
            annotations = _read_boxes(args.data)
        scores = regressor.evaluate(annotations.paths, *_targets(regressor, annotations))
    except (ValueError, TypeError) as error:
        raise SystemExit(f"lamina evaluate: {error}") from None
    scores = {name: value for name, value in scores.items() if name != "per_class"}
    finish(args, {"model": args.model, "data": args.data, "images": len(annotations), **scores},
           [f"{args.model} on {args.data} ({len(annotations)} images): "
            + ", ".join(f"{name} {value:.4f}" for name, value in scores.items())])
    return 0


def run_predict(args):
    regressor = load_model(args.model)
    missing = [path for path in args.inputs if not os.path.isfile(path)]
    if missing:
        raise SystemExit(f"lamina predict: no such file: {', '.join(missing)}.")
    results, lines = [], []
    for number, (path, found) in enumerate(zip(args.inputs, _found(regressor, args.inputs, args.threshold))):
        result = {"input": path, **found}
        lines.append(f"{path}: {_described(found)}")
        if args.output:
            drawn = numbered_path(args.output, number, len(args.inputs))
            draw_targets(path, predicted_points=found.get("points"), path=drawn,
                         predicted_boxes=[item["box"] for item in found.get("objects", [])],
                         predicted_labels=[f"{item['label']} {item['score']:.2f}" for item in found.get("objects", [])])
            result["drawn"] = drawn
            lines.append(f"  drawn: {drawn}")
        results.append(result)
    finish(args, {"model": args.model, "predictions": results}, lines)
    return 0


def _found(regressor, paths, threshold):
    """Per image: {'points'}, {'value'} or {'objects': [{'label', 'score', 'box'}, ...]}, JSON-ready; a grid
    detector's objects scoring at least `threshold`, one label per place (NMS across classes)."""
    if isinstance(regressor, GridDetector):
        outputs = regressor.predict(paths, threshold=threshold, agnostic=True)
    else:
        outputs = regressor.predict(paths)
    if isinstance(regressor, KeypointRegressor):
        return [{"points": np.asarray(points).round(2).tolist()} for points in outputs]
    if isinstance(regressor, SteeringRegressor):
        return [{"value": float(value)} for value in outputs]
    if isinstance(regressor, BoxRegressor):
        outputs = [{name: values[index:index + 1] for name, values in outputs.items()} for index in range(len(paths))]
    return [{"objects": [{"label": regressor.class_names[int(label)], "score": round(float(score), 4),
                          "box": [round(float(value), 2) for value in box]}
                         for box, score, label in zip(found["boxes"], found["scores"], found["labels"])]}
            for found in outputs]


def _described(found):
    if "points" in found:
        return ", ".join(f"({x:.1f}, {y:.1f})" for x, y in found["points"])
    if "value" in found:
        return f"{found['value']:.3f}"
    return "; ".join(f"{item['label']} {item['score']:.2f} at ({', '.join(f'{value:.0f}' for value in item['box'])})"
                     for item in found["objects"]) or "nothing found"
