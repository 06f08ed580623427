"""Image features from a trained or pretrained model: the activations of one layer, one L2-normalised row per image.

The seed's recipe for similar-image search and clustering: "return the activation from the layer before the final
classifier layer ... No training needed!"
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from tqdm.auto import tqdm

from lamina import config
from lamina.applications import imagenet
from lamina.explain.inputs import default_data_format, model_device
from lamina.layers import Dense
from lamina.layers.core import check_positive_int
from lamina.models import Model
from lamina.preprocessing.image_files import img_to_array
from lamina.vision.data import ImageFiles
from lamina.vision.pictures import as_image

COLOR_MODES = {1: "L", 3: "RGB"}


def extract_features(model, images, layer=None, batch_size=32, verbose=1, preprocess="imagenet"):
    """The activations of `layer` for each image, L2-normalised: one float32 row per image.

    Args:
        model: a built lamina model (functional or Sequential) with one input, e.g.
            `lamina.applications.MobileNetV2(include_top=False, pooling="avg")` or a trained classifier.
        images: image file paths, PIL images, or model inputs already preprocessed: a batch (numpy array or
            tensor, (N, ...) of the model's input shape) or a list of single inputs. Files and PIL images are
            converted to the model's channels (RGB or grayscale), center-cropped to the aspect of its input,
            resized (bilinear) and given to `preprocess`. The fastest for a folder: an ImageFiles
            (`image_list(folder, image_size, resize_size)`), decoded by threads with its transform (resize the
            shorter side, center-crop) and preprocessed a batch at a time.
        layer: the name of the layer whose output is the feature, or None for the layer before the classifier:
            the input of the model's last Dense layer, or the model's output when it has no Dense layer (a
            backbone with `include_top=False, pooling='avg'`). A 4-D output (feature maps) is averaged over its
            spatial axes; other outputs of more than 2 dimensions are flattened.
        batch_size: images per forward pass.
        verbose: 1 shows a progress bar (tqdm), 0 none.
        preprocess: for files, PIL images and ImageFiles only: 'imagenet' (scale to [0, 1], normalise with
            ImageNet's mean and std, as `lamina.applications`' weights expect), None (pixel values 0-255 as they
            are), or a function of one image array (float32, 0-255, the model's data format; for ImageFiles, of a
            batch tensor) returning the model's input.

    Returns:
        A float32 numpy array (N, features); each row has unit L2 norm (an all-zero activation stays zero).

    Example:
        >>> base = MobileNetV2(weights="imagenet", include_top=False, pooling="avg")
        >>> features = extract_features(base, ["cat.jpg", "dog.jpg"])   # (2, 1280)
        >>> similarity = features @ features.T                             # cosine similarities
    """
    if not isinstance(model, Model):
        raise TypeError(f"extract_features: `model` must be a lamina model (functional or Sequential), received "
                        f"{type(model).__name__}. Wrap a torch module with lamina.layers.TorchModule first.")
    batch_size = check_positive_int("extract_features", "batch_size", batch_size)
    feature_model, data_format = _feature_model(model, layer)
    device = model_device(model, torch.device("cpu"))
    batches, total = _input_batches(model, images, preprocess, batch_size, device)
    rows = []
    with torch.inference_mode():  # training=False: batch norm and dropout in inference mode, modes unchanged
        for batch in tqdm(batches, total=total, desc="features", unit="batch", disable=not verbose, leave=False):
            rows.append(_flat(feature_model(batch.to(device), training=False), data_format).float().cpu())
    if not rows:
        raise ValueError("extract_features: `images` is empty; pass at least one image.")
    return F.normalize(torch.cat(rows), dim=1).numpy()


def _feature_model(model, layer):
    """(the Model from `model`'s input to the feature tensor, the data format of that tensor's layer)."""
    if len(model.inputs) != 1:
        raise ValueError(f"extract_features: model '{model.name}' has {len(model.inputs)} inputs; it needs one "
                         f"(the images).")
    if layer is None:
        dense = [candidate for candidate in model.layers if isinstance(candidate, Dense)]
        tensor = dense[-1].input if dense else model.outputs[0]
        source = tensor.layer
    else:
        source = model.get_layer(layer)
        tensor = source.output
    return Model(model.inputs[0], tensor), getattr(source, "data_format", None) or default_data_format(model, 3)


def _flat(outputs, data_format):
    """(N, features): 4-D maps averaged over their spatial axes, anything else flattened."""
    if outputs.dim() == 4:
        return outputs.mean(dim=(2, 3) if data_format == "channels_first" else (1, 2))
    return outputs.reshape(len(outputs), -1)


def _input_batches(model, images, preprocess, batch_size, device):
    """(an iterable of the model's input batches for `images`, how many batches)."""
    if isinstance(images, ImageFiles):  # decoded by threads, a batch ahead, preprocessed as whole batches
        data_format = default_data_format(model, 3)
        function = _preprocessing(preprocess, data_format)
        files = images.batches(batch_size, dtype=torch.float32, data_format=data_format, device=device)
        return (function(batch) for batch in files), len(files)
    items, load = _as_items(images), _loader(model, preprocess)
    return ((_batch(items[start:start + batch_size], load) for start in range(0, len(items), batch_size)),
            math.ceil(len(items) / batch_size))


def _as_items(images):
    """A batch array or tensor, or a list of single images (one path or PIL image counts as a list of one)."""
    if isinstance(images, (str, os.PathLike, Image.Image)):
        return [images]
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if isinstance(images, torch.Tensor):
        if images.dim() < 2:
            raise ValueError(f"extract_features: an array of images needs a batch axis, received shape "
                             f"{tuple(images.shape)}. Pass a batch (N, ...) or a list of images.")
        return images.to(config.floatx_dtype()) if images.is_floating_point() else images
    return list(images)


def _batch(items, load):
    if isinstance(items, torch.Tensor):
        return items
    return torch.stack([load(item) if isinstance(item, (str, os.PathLike, Image.Image)) else torch.as_tensor(item)
                        for item in items])


def _loader(model, preprocess):
    """A function: a file path or PIL image -> the model's input tensor for it."""
    data_format = default_data_format(model, 3)
    shape = tuple(model.inputs[0].shape[1:])
    channels, height, width = shape if data_format == "channels_first" else (shape[2], shape[0], shape[1])
    function = _preprocessing(preprocess, data_format)

    def load(item):
        if channels not in COLOR_MODES:
            raise ValueError(f"extract_features: image files give 1 or 3 channels, but model '{model.name}' takes "
                             f"input of shape {shape} ({data_format}). Pass arrays of that shape instead.")
        image = fitted_image(item, (height, width), COLOR_MODES[channels])
        return torch.as_tensor(np.asarray(function(img_to_array(image, data_format, "float32"))))

    return load


def fitted_image(image, size, mode="RGB"):
    """An image (path, PIL image or array) in Pillow's `mode`, center-cropped to the aspect of size=(height,
    width) and resized to it (bilinear)."""
    return ImageOps.fit(as_image(image).convert(mode), (size[1], size[0]), Image.Resampling.BILINEAR)


def _preprocessing(preprocess, data_format):
    if preprocess == "imagenet":
        return lambda image: imagenet.preprocess_input(image, data_format, mode="torch")
    if preprocess is None:
        return lambda image: image
    if callable(preprocess):
        return preprocess
    raise ValueError(f"extract_features: `preprocess` must be 'imagenet', None or a function of one image array, "
                     f"received {preprocess!r}.")
