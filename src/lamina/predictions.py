"""Prediction: a classifier's answer for one input, shared by lamina.vision and lamina.text."""
from typing import NamedTuple

import numpy as np


class Prediction(NamedTuple):
    """An input's most probable class and its probability."""

    label: str
    probability: float


def top_predictions(probabilities, class_names):
    """One Prediction per row of (N, classes) probabilities: the row's most probable class name."""
    return [Prediction(class_names[index], float(row[index]))
            for row, index in zip(probabilities, probabilities.argmax(axis=1))]


def ranked(inputs, probabilities, class_names, top=3):
    """JSON-able results of a command's predictions: per input, its best class, that class's probability, and
    the `top` classes with theirs (ties in input order)."""
    top = min(top, len(class_names))
    results = []
    for item, row in zip(inputs, probabilities):
        best = np.argsort(-row, kind="stable")[:top]
        results.append({"input": item, "label": class_names[best[0]], "probability": float(row[best[0]]),
                        "top": [{"label": class_names[index], "probability": float(row[index])} for index in best]})
    return results
