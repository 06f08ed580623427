"""The image commands: `lamina train`, `evaluate`, `predict`, `similar` and `cluster`.

Each prints a readable summary, or with `--json` one JSON object on stdout (progress bars go to stderr).
"""
import os
import time

import numpy as np

from lamina import config
from lamina.predictions import ranked
from lamina.tasks import finish, finish_evaluation, numbered_path, top_classes_line

from lamina.vision import pictures
from lamina.vision.backbones import build_backbone, default_transform
from lamina.vision.classifier import ImageClassifier, image_features_model, image_input_shape, load_model
from lamina.vision.clustering import cluster, cluster_scores, map_2d
from lamina.vision.data import image_dataset, image_list
from lamina.vision.features import extract_features
from lamina.vision.similarity import SimilarityIndex
from lamina.vision.training_report import write_training_report


def run_train(args):
    verbose = 0 if args.json else 1
    start = time.perf_counter()
    backbone = args.model or "mobilenet_v2"
    classifier = ImageClassifier(backbone, weights=_weights(args.weights), image_size=args.image_size,
                                 cache=args.cache)
    dataset = image_dataset(args.data, classifier.transform.image_size, classifier.transform.resize_size,
                            args.validation_split, args.seed, interpolation=classifier.transform.interpolation)
    _say(args, f"{dataset}")
    if args.fine_tune:
        classifier.fine_tune(dataset, epochs=args.epochs or 10, freeze_epochs=args.freeze_epochs,
                             learning_rate=args.learning_rate or 2e-3, batch_size=args.batch_size or 32,
                             seed=args.seed, verbose=verbose)
    else:
        classifier.fit(dataset, epochs=args.epochs or 10, learning_rate=args.learning_rate or 1e-3,
                       batch_size=args.batch_size or 32, verbose=2 if verbose else 0)
    seconds = time.perf_counter() - start
    classifier.save(args.output)
    report_folder = args.report or os.path.splitext(args.output)[0] + "_report"
    evaluation = write_training_report(classifier, dataset, report_folder, seconds)
    summary = {"model": args.output, "task": "image", "backbone": backbone, "classes": dataset.class_names,
               "train_images": len(dataset.train), "validation_images": len(dataset.validation),
               "skipped": [path for path, _ in dataset.skipped], "seconds": round(seconds, 2),
               "report": os.path.join(report_folder, "report.html")}
    if evaluation is not None:
        summary.update(validation_accuracy=evaluation["accuracy"], validation_loss=evaluation["loss"],
                       per_class=evaluation["report"].rows())
    finish(args, summary, [
        f"Trained in {seconds:.1f} s; saved to {args.output}.",
        *([f"Validation accuracy {evaluation['accuracy']:.3f} on {len(dataset.validation)} images:",
           str(evaluation["report"])] if evaluation is not None else []),
        f"Report: {summary['report']}"])
    return 0


def run_evaluate(args):
    classifier = _classifier(args.model, "evaluate")
    finish_evaluation(args, classifier.evaluate(args.data, verbose=0 if args.json else 1), "images")
    return 0


def run_predict(args):
    classifier = _classifier(args.model, "predict")
    missing = [path for path in args.inputs if not os.path.isfile(path)]
    if missing:
        raise SystemExit(f"lamina predict: no such file: {', '.join(missing)}.")
    results = ranked(args.inputs, classifier.predict_proba(args.inputs), classifier.class_names, args.top)
    finish(args, {"model": args.model, "predictions": results}, [top_classes_line(result) for result in results])
    return 0


def run_similar(args):
    files, features, extractor = _folder_features(args, "similar")
    index = SimilarityIndex().add(features, ids=files.paths)
    k = min(args.k, len(index))
    queries = _features_of(extractor, image_list(args.queries, *_transform_arguments(extractor)), args)
    ids, scores = index.search(queries, k=k)
    results, lines = [], []
    for number, (query, neighbours, similarity) in enumerate(zip(args.queries, ids, scores)):
        sheet = None
        if args.output:
            sheet = numbered_path(args.output, number, len(args.queries))
            pictures.contact_sheet(query, list(neighbours), similarity, sheet,
                                   names=[os.path.basename(path) for path in neighbours])
        results.append({"query": query, "sheet": sheet, "neighbours": [
            {"path": path, "similarity": float(score)} for path, score in zip(neighbours, similarity)]})
        lines += [f"Most similar to {query}:"] + [f"  {score:.3f}  {path}" for path, score in zip(neighbours, similarity)]
        lines += [f"  sheet: {sheet}"] if sheet else []
    finish(args, {"folder": args.folder, "images": len(files), "results": results}, lines)
    return 0


def run_cluster(args):
    files, features, _ = _folder_features(args, "cluster")
    found = cluster(features, n_clusters=args.k, method=args.method, seed=args.seed)
    summary = {"folder": args.folder, "images": len(files), "clusters": found.n_clusters,
               "silhouettes": {str(k): score for k, score in found.silhouettes.items()},
               "members": {str(label): [files.paths[i] for i in np.flatnonzero(found.labels == label)]
                           for label in range(found.n_clusters)}}
    truth = _folder_labels(args.folder, files.paths)
    if truth is not None:
        summary["scores_against_folders"] = cluster_scores(found.labels, truth)
    if args.output:
        pictures.map_picture(map_2d(features, seed=args.seed), files.paths, args.output, labels=found.labels)
        sheets = pictures.cluster_sheets(files.paths, found.labels, os.path.splitext(args.output)[0] + "_clusters")
        summary.update(map=args.output, sheets=sheets)
    lines = [f"{len(files)} images in {found.n_clusters} clusters" +
             (" (k chosen by silhouette)" if args.k is None else "") + ":"]
    lines += [f"  cluster {label}: {len(members)} images, e.g. {os.path.relpath(members[0], args.folder)}"
              for label, members in summary["members"].items()]
    if truth is not None:
        scores = summary["scores_against_folders"]
        lines.append(f"Against the subfolders as classes: NMI {scores['nmi']:.3f}, ARI {scores['ari']:.3f}")
    if args.output:
        lines.append(f"Map: {args.output}; one sheet per cluster in {os.path.dirname(sheets[0]) or '.'}")
    finish(args, summary, lines)
    return 0


# ---------------------------------------------------------------- shared steps
def _classifier(path, command):
    if not os.path.isfile(path):
        raise SystemExit(f"lamina {command}: no model file at '{path}'.")
    try:
        return load_model(path)
    except ValueError as error:
        raise SystemExit(f"lamina {command}: {error}") from None


def _weights(weights):
    return None if weights in (None, "none", "None") else weights


def _folder_features(args, command):
    """(the folder's ImageFiles, their L2-normalised features, (features model, transform))."""
    if not os.path.isdir(args.folder):
        raise SystemExit(f"lamina {command}: no folder at '{args.folder}'.")
    extractor = _extractor(args, command)
    files = image_list(args.folder, *_transform_arguments(extractor))
    return files, _features_of(extractor, files, args), extractor


def _extractor(args, command):
    """A trained classifier file's features, or a named backbone's."""
    if args.model.endswith(".lamina"):
        classifier = _classifier(args.model, command)
        return classifier.features_model, classifier.transform
    transform, data_format = default_transform(args.model, args.image_size), config.image_data_format()
    shape = image_input_shape(transform.image_size, data_format)
    backbone = build_backbone(args.model, _weights(args.weights), shape)
    return image_features_model(backbone, shape, data_format), transform


def _transform_arguments(extractor):
    transform = extractor[1]
    return transform.image_size, transform.resize_size, transform.interpolation


def _features_of(extractor, files, args):
    return extract_features(extractor[0], files, batch_size=args.batch_size, verbose=0 if args.json else 1,
                            preprocess=None)  # the model normalizes


def _folder_labels(folder, paths):
    """Each path's first subfolder under `folder` as its class, when every image is in one; else None."""
    names = [os.path.relpath(path, folder).split(os.sep) for path in paths]
    if any(len(parts) < 2 for parts in names):
        return None
    classes = sorted({parts[0] for parts in names})
    return np.array([classes.index(parts[0]) for parts in names]) if len(classes) > 1 else None


def _say(args, text):
    if not args.json:
        print(text)

