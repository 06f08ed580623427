"""Which words a text classifier's prediction rests on: per-token occlusion, rendered as highlighted text.

A token's importance is the drop in the target class's probability when its id is replaced by padding (0), all
the occluded copies scored in one batch: Zeiler and Fergus's occlusion with a one-token window, as
lamina.explain.occlusion does for images.
"""
import html
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from lamina.explain.inputs import evaluation_mode
from lamina.files import atomic_write
from lamina.vision.pictures import save_png

POSITIVE, NEGATIVE = (220, 40, 40), (40, 90, 220)  # supports the target, speaks against it


class TokenImportance(NamedTuple):
    """The tokens of a text, the importance of each, the class explained and its probability."""

    tokens: list
    importances: np.ndarray
    target: int
    probability: float


def token_occlusion(model, vectorize, text, target=None):
    """Each token's importance for `model`'s prediction on `text`: the target's probability drop without it.

    Args:
        model: a model from token ids to class probabilities (e.g. lamina.text.text_cnn).
        vectorize: the TextVectorization (output_mode='int') that makes its input.
        text: one string.
        target: the class to explain; None for the predicted one.

    Returns:
        A TokenImportance. Tokens are those of the model's input (after standardizing; cut at
        output_sequence_length).

    Example:
        >>> explained = token_occlusion(model, vectorize, "a truly wonderful film")
        >>> save_highlighted_html("why.html", explained)
    """
    ids = vectorize([text])
    tokens = vectorize.tokens(text)[:ids.shape[1]]
    occluded = ids.repeat(len(tokens) + 1, 1)
    positions = torch.arange(len(tokens))
    occluded[positions + 1, positions] = 0  # row 0 is the text as it is
    with evaluation_mode(model), torch.inference_mode():
        probabilities = model(occluded.to(next(model.parameters()).device)).float().cpu()
    target = int(probabilities[0].argmax()) if target is None else int(target)
    scores = probabilities[:, target].numpy()
    return TokenImportance(tokens, scores[0] - scores[1:], target, float(scores[0]))


def highlighted_html(explained, class_names=None):
    """An HTML fragment: each token on a background as red as it supports the class, as blue as it opposes it."""
    scale = float(np.abs(explained.importances).max()) or 1.0
    spans = []
    for token, importance in zip(explained.tokens, explained.importances):
        red, green, blue = POSITIVE if importance >= 0 else NEGATIVE
        alpha = abs(float(importance)) / scale
        spans.append(f'<span title="{importance:+.3f}" style="background: rgba({red}, {green}, {blue}, '
                     f'{alpha:.2f}); padding: 0 2px">{html.escape(token)}</span>')
    name = class_names[explained.target] if class_names else str(explained.target)
    return (f"<p><b>{html.escape(name)}</b> {explained.probability:.3f}: " + " ".join(spans) + "</p>")


def save_highlighted_html(path, explained, class_names=None):
    """Writes a self-contained HTML page of highlighted_html, atomically."""
    page = f'<!DOCTYPE html>\n<html lang="en"><meta charset="utf-8"><body style="font-family: sans-serif">' \
           f"{highlighted_html(explained, class_names)}</body></html>\n"
    atomic_write(path, page.encode("utf-8"))


def highlighted_picture(path, explained, class_names=None, width=800):
    """Writes (PNG, atomically) and returns a picture of the tokens on their colours, wrapped at `width` pixels."""
    font = ImageFont.load_default(size=18)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    name = class_names[explained.target] if class_names else str(explained.target)
    scale = float(np.abs(explained.importances).max()) or 1.0
    words = [(f"{name} {explained.probability:.3f}:", None)] + list(zip(explained.tokens, explained.importances))
    placed, left, top, line_height = [], 10, 10, 28
    for token, importance in words:
        size = measure.textlength(token, font=font) + 8
        if left + size > width - 10 and left > 10:
            left, top = 10, top + line_height
        placed.append((token, importance, left, top, size))
        left += size + 6
    canvas = Image.new("RGB", (width, top + line_height + 10), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for token, importance, left, top, size in placed:
        if importance is not None:
            colour = np.array(POSITIVE if importance >= 0 else NEGATIVE)
            alpha = abs(float(importance)) / scale
            fill = tuple(int(value) for value in 255 - alpha * (255 - colour))
            draw.rectangle([left, top, left + size, top + line_height - 4], fill=fill)
        draw.text((left + 4, top + 3), token, fill=(0, 0, 0), font=font)
    save_png(canvas, path)
    return canvas
