"""Interpreting an image classifier: per-class scores, the confusion matrix, the worst-classified images with
Grad-CAM, and the training curves, as numbers and as PNG pictures drawn with Pillow (matplotlib is optional).

Example:
    >>> report = class_report(truth, probabilities.argmax(1), class_names)
    >>> print(report)
    >>> confusion_matrix_picture(report, "confusion.png")
"""
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from sklearn import metrics

from lamina import losses
from lamina.explain import grad_cam, overlay
from lamina.layers.core import check_positive_int
from lamina.vision.pictures import BACKGROUND, CAPTION, PALETTE, fitted_text, as_image, save_png, sheet

CELL = 44     # confusion_matrix_picture: side of a cell in pixels
LABEL = 96    # room for the class names left of the rows and above the columns
TITLE = 18    # room for the axis titles "true" and "predicted"
BLUE = np.array(PALETTE[0], dtype=np.float64)  # the colour of a row-normalised value of 1
PANEL = (520, 260)   # training_curves_picture: one panel's (width, height)
MARGIN = 48          # room around a panel's plot area for the axis labels


@dataclass(frozen=True)
class ClassReport:
    """Per-class precision, recall, f1 and support (numpy arrays in class order), accuracy, and the confusion
    matrix (rows: true class, columns: predicted class)."""
    class_names: list
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    accuracy: float
    confusion: np.ndarray

    def rows(self):
        """One JSON-able dict per class: {"class", "precision", "recall", "f1", "support"}."""
        return [{"class": name, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                for name, p, r, f, s in zip(self.class_names, self.precision, self.recall, self.f1, self.support)]

    def __str__(self):
        width = max([len("accuracy")] + [len(name) for name in self.class_names])
        lines = [f"{'':>{width}}  precision     recall         f1    support", ""]
        lines += [f"{row['class']:>{width}}  {row['precision']:9.3f}  {row['recall']:9.3f}  {row['f1']:9.3f}  "
                  f"{row['support']:9d}" for row in self.rows()]
        lines += ["", f"{'accuracy':>{width}}  {self.accuracy:31.3f}  {int(self.support.sum()):9d}"]
        return "\n".join(lines)


def class_report(truth, predicted, class_names):
    """Per-class precision, recall, f1 and support, and the accuracy, of predicted class indices.

    Args:
        truth: the true class index of each sample.
        predicted: the predicted class index of each sample (e.g. probabilities.argmax(1)).
        class_names: the name of each class, in index order.

    Returns:
        A ClassReport; `print(report)` shows a table like sklearn's classification_report.

    Example:
        >>> class_report([0, 1, 1], [0, 1, 0], ["cat", "dog"]).recall   # array([1. , 0.5])
    """
    truth, predicted, class_names = np.asarray(truth).ravel(), np.asarray(predicted).ravel(), list(class_names)
    if len(truth) != len(predicted):
        raise ValueError(f"class_report: `truth` has {len(truth)} labels but `predicted` has {len(predicted)}; pass "
                         f"one predicted class per sample.")
    labels = range(len(class_names))
    for argument, values in (("truth", truth), ("predicted", predicted)):
        outside = values[(values < 0) | (values >= len(class_names))]
        if len(outside):
            raise ValueError(f"class_report: `{argument}` holds label {outside[0]}, outside 0..{len(class_names) - 1}"
                             f" for {len(class_names)} classes; pass one name per class in `class_names`.")
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0)
    accuracy = float(np.mean(truth == predicted)) if len(truth) else 0.0
    confusion = metrics.confusion_matrix(truth, predicted, labels=labels)
    return ClassReport(class_names, precision, recall, f1, support, accuracy, confusion)


def class_indices(labels, class_names, owner):
    """Each label's index in class_names (labels compared as strings); a ValueError naming the unknown ones."""
    unknown = sorted({str(label) for label in labels} - set(class_names))
    if unknown:
        raise ValueError(f"{owner}: labels {unknown} are not among the classes the model was trained on: "
                         f"{list(class_names)}.")
    position = {name: index for index, name in enumerate(class_names)}
    return np.array([position[str(label)] for label in labels], dtype=np.int64)


def class_evaluation(truth, probabilities, class_names):
    """{'loss' (mean crossentropy), 'accuracy', 'report' (a ClassReport), 'probabilities'} of (N, classes)
    probabilities against true class indices: what the classifiers' evaluate methods return."""
    loss = losses.sparse_categorical_crossentropy(torch.as_tensor(truth), torch.as_tensor(probabilities))
    report = class_report(truth, probabilities.argmax(axis=1), class_names)
    return {"loss": float(loss.double().mean()), "accuracy": report.accuracy, "report": report,
            "probabilities": probabilities}


def confusion_matrix_picture(report, path):
    """A PNG of the report's confusion matrix: cells shaded white to blue by row-normalised value, with counts.

    Rows are true classes, columns predicted ones; cell (row, column) has its top-left pixel at
    (TITLE + LABEL + column * CELL, TITLE + LABEL + row * CELL). Returns the PIL image.

    Example:
        >>> confusion_matrix_picture(class_report(truth, predicted, names), "confusion.png")
    """
    counts = np.asarray(report.confusion, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    origin, side = TITLE + LABEL, TITLE + LABEL + len(counts) * CELL + 6
    canvas = Image.new("RGB", (side, side), BACKGROUND)
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=12)
    draw.text((origin, 2), "predicted", fill=(0, 0, 0), font=font)
    _vertical_text(canvas, "true", (2, origin), font, len(counts) * CELL, centred=True)
    for index, name in enumerate(report.class_names):
        name = fitted_text(str(name), draw, font, LABEL - 6)
        draw.text((TITLE, origin + index * CELL + CELL // 2), name, fill=(0, 0, 0), font=font, anchor="lm")
        _vertical_text(canvas, name, (origin + index * CELL + CELL // 2 - 7, TITLE), font, LABEL - 4)
    for (row, column), share in np.ndenumerate(shares):
        left, top = origin + column * CELL, origin + row * CELL
        colour = tuple(np.rint(255 + share * (BLUE - 255)).astype(int))
        draw.rectangle((left, top, left + CELL - 1, top + CELL - 1), fill=colour, outline=(200, 200, 200))
        draw.text((left + CELL // 2, top + CELL // 2), str(int(counts[row, column])), font=font, anchor="mm",
                  fill=(255, 255, 255) if share > 0.5 else (0, 0, 0))
    save_png(canvas, path)
    return canvas


def worst_classified(probabilities, truth, count=12):
    """Indices of the `count` samples with the lowest probability of their true class (highest loss), worst first.

    Example:
        >>> worst_classified([[0.9, 0.1], [0.2, 0.8]], [1, 1], count=1)   # array([0])
    """
    probabilities, truth = np.asarray(probabilities), np.asarray(truth).ravel()
    if probabilities.ndim != 2 or len(probabilities) != len(truth):
        raise ValueError(f"worst_classified: `probabilities` must be (samples, classes) with one row per label of "
                         f"`truth` ({len(truth)}); received shape {probabilities.shape}.")
    count = check_positive_int("worst_classified", "count", count)
    return np.argsort(probabilities[np.arange(len(truth)), truth], kind="stable")[:count]


def worst_classified_grid(model, inputs, images, truth, probabilities, class_names, path, count=12, tile=128,
                          columns=6, layer=None):
    """A sheet of the worst-classified images, each with a Grad-CAM overlay of its predicted class.

    Args:
        model: the classifier (a lamina model or a torch.nn.Module with a convolutional layer).
        inputs: the model's input for every sample (preprocessed array or tensor, batch first).
        images: what to draw for every sample: file paths, PIL images or uint8 arrays.
        truth: the true class index of every sample; probabilities: the model's (samples, classes) output.
        class_names: the name of each class; path: the PNG file to write.
        count: how many images; tile: thumbnail side in pixels; columns: tiles per row.
        layer: the layer Grad-CAM explains (see lamina.explain.grad_cam); None: the last convolutional one.

    Returns:
        The sheet as a PIL image; each tile is captioned "true -> predicted (probability of predicted)".

    Example:
        >>> worst_classified_grid(model, x, paths, y, model.predict(x), names, "worst.png")
    """
    probabilities, truth = np.asarray(probabilities), np.asarray(truth).ravel()
    chosen = worst_classified(probabilities, truth, count)
    predicted = probabilities[chosen].argmax(axis=1)
    batch = inputs[torch.as_tensor(chosen)] if isinstance(inputs, torch.Tensor) else np.asarray(inputs)[chosen]
    heatmaps = grad_cam(model, batch, target=predicted.tolist(), layer=layer)
    pictures = [overlay(as_image(images[i]).convert("RGB"), heatmap) for i, heatmap in zip(chosen, heatmaps)]
    captions = [_caption(class_names[truth[i]], class_names[p], probabilities[i, p], tile)
                for i, p in zip(chosen, predicted)]
    return sheet(pictures, captions, path, tile, columns)


def _caption(true, predicted, probability, width):
    """'true -> predicted (0.61)' in `width` pixels of the sheets' caption font, each name shortened to half."""
    draw, font = ImageDraw.Draw(Image.new("RGB", (1, 1))), ImageFont.load_default(size=CAPTION - 6)
    share = (width - draw.textlength(f" ->  ({probability:.2f})", font=font)) / 2
    return f"{fitted_text(true, draw, font, share)} -> {fitted_text(predicted, draw, font, share)} ({probability:.2f})"


def training_curves_picture(history, path):
    """A PNG of per-epoch curves: one panel for the losses, one for the other metrics (accuracy...).

    Args:
        history: a Keras History.history-like dict, e.g. {"loss": [...], "val_loss": [...], "accuracy": [...]}.
        path: the PNG file to write.

    Returns:
        The PIL image (panels stacked; each names its lines in a legend; y axis labelled with min and max).

    Example:
        >>> training_curves_picture(model.fit(x, y, epochs=5).history, "curves.png")
    """
    curves = {str(key): np.asarray(values, dtype=np.float64).ravel() for key, values in dict(history).items()}
    curves = {key: values for key, values in curves.items() if len(values)}
    if not curves:
        raise ValueError("training_curves_picture: `history` holds no values; pass model.fit(...).history.")
    groups = [[key for key in curves if "loss" in key], [key for key in curves if "loss" not in key]]
    groups = [group for group in groups if group]
    canvas = Image.new("RGB", (PANEL[0], PANEL[1] * len(groups)), BACKGROUND)
    for panel, group in enumerate(groups):
        _draw_panel(ImageDraw.Draw(canvas), {key: curves[key] for key in group}, panel * PANEL[1])
    save_png(canvas, path)
    return canvas


def _draw_panel(draw, curves, top):
    """Draws curves {name: per-epoch values} in the panel whose top edge is at pixel row `top`."""
    font = ImageFont.load_default(size=11)
    left, right, upper, lower = MARGIN, PANEL[0] - 130, top + 12, top + PANEL[1] - 32
    finite = np.concatenate([values[np.isfinite(values)] for values in curves.values()] + [np.zeros(0)])
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    epochs = max(len(values) for values in curves.values())
    draw.rectangle((left, upper, right, lower), outline=(0, 0, 0))
    draw.text((left - 4, upper), f"{high:.3g}", fill=(0, 0, 0), font=font, anchor="rt")
    draw.text((left - 4, lower), f"{low:.3g}", fill=(0, 0, 0), font=font, anchor="rb")
    draw.text((left, lower + 4), "1", fill=(0, 0, 0), font=font, anchor="lt")
    draw.text((right, lower + 4), str(epochs), fill=(0, 0, 0), font=font, anchor="rt")
    draw.text(((left + right) // 2, lower + 4), "epoch", fill=(0, 0, 0), font=font, anchor="mt")
    for index, (name, values) in enumerate(curves.items()):
        colour = PALETTE[index % len(PALETTE)]
        xs = [left + (right - left) * (0.5 if epochs == 1 else epoch / (epochs - 1)) for epoch in range(len(values))]
        ys = [lower - (lower - upper) * ((value - low) / (high - low) if high > low else 0.5) for value in values]
        points = [(x, y) for x, y, value in zip(xs, ys, values) if np.isfinite(value)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=colour)
        draw.line((right + 10, upper + 8 + 16 * index, right + 30, upper + 8 + 16 * index), fill=colour, width=3)
        draw.text((right + 36, upper + 8 + 16 * index), fitted_text(name, draw, font, 90), fill=(0, 0, 0), font=font,
                  anchor="lm")


def _vertical_text(canvas, text, position, font, length, centred=False):
    """Pastes `text` rotated 90 degrees (reading upwards from the strip's bottom, or centred), its top-left at
    `position`."""
    strip = Image.new("RGB", (length, 14), BACKGROUND)
    draw = ImageDraw.Draw(strip)
    draw.text(((length - draw.textlength(text, font=font)) // 2 if centred else 0, 0), text, fill=(0, 0, 0), font=font)
    canvas.paste(strip.rotate(90, expand=True), position)
