"""Which application `lamina train`, `evaluate` and `predict` serve: the task of a data path or of a saved model,
then that application's command module (lamina.vision.command, lamina.text.command), imported only then."""
import csv
import importlib
import json
import os

from lamina import model_file
from lamina.audio.reading import EXTENSIONS as AUDIO_FORMATS
from lamina.vision.data import EXTENSIONS

COMMAND_MODULES = {"image": "lamina.vision.command", "text": "lamina.text.command", "audio": "lamina.audio.command",
                   "keypoints": "lamina.vision.localization_command",
                   "boxes": "lamina.vision.localization_command",
                   "regression": "lamina.vision.localization_command"}
MODEL_TASKS = {"image_classifier": "image", "text_classifier": "text", "audio_classifier": "audio",
               "image_regressor": "keypoints"}  # metadata key -> task (the localization models share one command module)
IMAGE_EXTENSIONS = tuple(f".{extension}" for extension in EXTENSIONS)
AUDIO_EXTENSIONS = tuple(f".{extension}" for extension in AUDIO_FORMATS)


def data_task(path):
    """'image' for a folder of images or a CSV of image paths; 'audio' for a folder of recordings; 'text' for a
    folder of class folders of .txt files, a CSV/TSV of texts, or a file of "label text" lines. A SystemExit names
    what was found otherwise."""
    if os.path.isdir(path):
        names = [name.lower() for _, _, files in os.walk(path) for name in files if not name.startswith(".")]
        if any(name.endswith(IMAGE_EXTENSIONS) for name in names):
            return "image"
        if any(name.endswith(AUDIO_EXTENSIONS) for name in names):
            return "audio"
        if any(name.endswith(".txt") for name in names):
            return "text"
        raise SystemExit(f"lamina train: '{path}' holds no images, recordings or .txt files; pass a folder with one "
                         f"subfolder of images (or recordings, or .txt files) per class.")
    if os.path.isfile(path):
        return "image" if path.lower().endswith((".csv", ".tsv")) and _lists_images(path) else "text"
    raise SystemExit(f"lamina train: no such file or folder: '{path}'.")


def _lists_images(path):
    """Whether the first data row of a CSV/TSV starts with an image file name (an image CSV's path column)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as file:
        rows = [row for _, row in zip(range(2), csv.reader(file, delimiter="\t" if path.lower().endswith(".tsv")
                                                                     else ","))]
    return any(row and row[0].strip().lower().endswith(IMAGE_EXTENSIONS) for row in rows)


def model_task(path, command):
    """The task of a model written by `lamina train` (from the metadata in its file, without building it)."""
    if not os.path.isfile(path):
        raise SystemExit(f"lamina {command}: no model file at '{path}'.")
    try:
        metadata = model_file.read_metadata(path)
    except ValueError as error:
        raise SystemExit(f"lamina {command}: {error}") from None
    task = next((MODEL_TASKS[key] for key in metadata if key in MODEL_TASKS), None)
    if task is None:
        raise SystemExit(f"lamina {command}: '{path}' is a lamina model but was not written by lamina train (no "
                         f"class names in it); use it from Python with lamina.models.load_model.")
    return task


def run(command, args):
    """`lamina <command>` (train, evaluate or predict) by the application of its data or model."""
    if command == "train":
        args.task = args.task or data_task(args.data)
        task = args.task
    else:
        task = model_task(args.model, command)
    return getattr(importlib.import_module(COMMAND_MODULES[task]), f"run_{command}")(args)


def finish(args, summary, lines):
    """Prints a command's result: one JSON object with --json, else the readable lines."""
    print(json.dumps(summary, indent=1) if args.json else "\n".join(lines))


def finish_evaluation(args, evaluation, counted):
    """Prints a classifier's evaluate() result: accuracy, loss and the per-class report; `counted` names the
    samples in the JSON ('images', 'texts', 'recordings')."""
    report = evaluation["report"]
    finish(args, {"model": args.model, "data": args.data, counted: int(report.support.sum()),
                  "accuracy": evaluation["accuracy"], "loss": evaluation["loss"], "per_class": report.rows()},
           [f"{args.model} on {args.data}: accuracy {evaluation['accuracy']:.3f}, loss {evaluation['loss']:.4f}",
            str(report)])


def top_classes_line(result):
    """'input: label 0.931, other 0.052, ...' of one of lamina.predictions.ranked's results."""
    return f"{result['input']}: " + ", ".join(f"{item['label']} {item['probability']:.3f}" for item in result["top"])


def numbered_path(path, number, count):
    """`path` itself for one output, else path-1.png, path-2.png, ... (number counts from 0)."""
    if count == 1:
        return path
    stem, extension = os.path.splitext(path)
    return f"{stem}-{number + 1}{extension or '.png'}"
