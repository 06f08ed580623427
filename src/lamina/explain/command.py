"""`lamina heatmap MODEL.lamina IMAGE -o out.png`: explain a saved image classifier's prediction on an image file."""
import os

import numpy as np
import torch
from PIL import Image

from lamina.explain.class_activation import cam, grad_cam
from lamina.explain.gradients import integrated_gradients, saliency
from lamina.explain.inputs import default_data_format, evaluation_mode
from lamina.explain.occlusion import occlusion
from lamina.explain.render import save_heatmap
from lamina.preprocessing.image_files import img_to_array

METHODS = ("occlusion", "grad-cam", "cam", "saliency", "ig")


def run_heatmap(model_path, image_path, output, method="occlusion", target=None, window=8, stride=4, logit=False,
                rescale=1 / 255):
    """Loads the model and the image (resized to the model's input, values times `rescale`), explains the target
    class (default: the predicted one) with `method`, and writes the heatmap over the original image to `output`.
    Occlusion scores probabilities, or the raw outputs with `logit`.

    Returns the heatmap (numpy, at the model's input size).
    """
    from lamina.models import load_model

    for kind, path in (("model", model_path), ("image", image_path)):
        if not os.path.isfile(path):
            raise SystemExit(f"lamina heatmap: no {kind} file at '{path}'.")
    model = load_model(model_path, compile=False)
    picture = Image.open(image_path)
    x = model_input(model, picture, rescale)
    with evaluation_mode(model), torch.inference_mode():  # a loaded model is in training mode (dropout on)
        scores = model(torch.as_tensor(x[None])).reshape(-1)
    target = int(scores.argmax()) if target is None else target
    explain = {
        "occlusion": lambda: occlusion(model, x, target, window=window, stride=stride,
                                       output="logit" if logit else "probability", progress=False),
        "grad-cam": lambda: grad_cam(model, x, target),
        "cam": lambda: cam(model, x, target),
        "saliency": lambda: saliency(model, x, target),
        "ig": lambda: integrated_gradients(model, x, target),
    }[method]
    try:
        heatmap = explain()
    except ValueError as error:
        raise SystemExit(f"lamina heatmap: {error}") from None
    save_heatmap(output, picture.convert("RGB"), heatmap)
    print(f"{method} heatmap of class {target} (score {float(scores[target]):.3f}) written to {output}.")
    return heatmap


def model_input(model, picture, rescale):
    """The image as one float32 sample of the model's input shape: resized, grayscale or RGB, times rescale."""
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 3 or None in shape:
        raise SystemExit(f"lamina heatmap: the model takes inputs of shape {shape}, not images of a fixed size "
                         f"(channels, rows, cols) or (rows, cols, channels).")
    data_format = default_data_format(model, 3)
    channels, rows, cols = shape if data_format == "channels_first" else (shape[2], shape[0], shape[1])
    if channels not in (1, 3):
        raise SystemExit(f"lamina heatmap: the model takes images with {channels} channels; only grayscale (1) and "
                         f"RGB (3) image files can be given.")
    resized = picture.convert("L" if channels == 1 else "RGB").resize((cols, rows), Image.Resampling.BILINEAR)
    pixels = img_to_array(resized, data_format, dtype="float32") * np.float32(rescale)
    return np.ascontiguousarray(pixels)
