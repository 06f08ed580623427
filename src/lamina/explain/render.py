"""Pictures of explanations: a heatmap blended over its image, saved as PNG, or figures of several inputs.

Images may be channels-first or channels-last, grayscale or RGB(A), with values in [0, 1] or [0, 255]; heatmaps
are 2-D, or have a channel axis (averaged), and are resized to the image. Colormaps come from matplotlib when it
is installed; without it, 'jet' is built in (the same colors as matplotlib's).
"""
import io

import numpy as np
import torch
from PIL import Image

from lamina import config
from lamina.files import atomic_write
from lamina.identifiers import nearest_suggestion

CHANNEL_COUNTS = (1, 3, 4)
# matplotlib's 'jet': per channel, (position, value) points of a piecewise-linear ramp.
JET = {
    "red": ((0.0, 0.0), (0.35, 0.0), (0.66, 1.0), (0.89, 1.0), (1.0, 0.5)),
    "green": ((0.0, 0.0), (0.125, 0.0), (0.375, 1.0), (0.64, 1.0), (0.91, 0.0), (1.0, 0.0)),
    "blue": ((0.0, 0.5), (0.11, 1.0), (0.34, 1.0), (0.65, 0.0), (1.0, 0.0)),
}
LEVELS = 256  # colors in a colormap's lookup table, as matplotlib's default


def overlay(image, heatmap, alpha=0.5, colormap="jet", data_format=None):
    """The image with the heatmap's colors blended over it: (1 - alpha) * image + alpha * colormap(heatmap).

    The heatmap is resized to the image (bilinear) and scaled so its minimum gets the colormap's first color and
    its maximum the last (a constant heatmap gets the first color).

    Args:
        image: a PIL image, or an array/tensor (rows, cols), (channels, rows, cols) or (rows, cols, channels) with
            1, 3 or 4 channels and values in [0, 1] (floats whose maximum is at most 1) or [0, 255].
        heatmap: an array/tensor (rows, cols), or with a channel axis like the image's (averaged over channels).
        alpha: the heatmap's weight, from 0 (only the image) to 1 (only the heatmap).
        colormap: a matplotlib colormap name or object ('jet' works without matplotlib).
        data_format: 'channels_first' or 'channels_last' for 3-D arrays whose layout is ambiguous; None guesses
            from which end has 1, 3 or 4 channels, then uses lamina.config.image_data_format().

    Returns:
        A PIL.Image in RGB mode of the image's size.

    Example:
        >>> overlay(image, grad_cam(model, image)).save('heatmap.png')
    """
    _check_alpha(alpha)
    pixels = image_pixels(image, data_format)
    return _blend(pixels, heatmap_values(heatmap, pixels.shape[:2], data_format), alpha, colormap)


def save_heatmap(path, image, heatmap, alpha=0.5, colormap="jet", data_format=None):
    """Writes overlay(image, heatmap, ...) to `path` as a PNG, atomically (never a half-written file).

    Example:
        >>> save_heatmap('heatmap.png', image, occlusion(model, image))
    """
    buffer = io.BytesIO()
    overlay(image, heatmap, alpha, colormap, data_format).save(buffer, format="PNG")
    atomic_write(path, buffer.getvalue())


def plot_explanations(images, heatmaps, titles=None, alpha=0.5, colormap="jet", data_format=None):
    """A matplotlib figure with one row per input: the image, the heatmap, and the overlay.

    Args:
        images: one image, a list of images, or an array/tensor with a batch axis (4 axes).
        heatmaps: one heatmap per image (a list, or an array/tensor whose first axis is the batch).
        titles: optional text per row, e.g. the class explained.
        alpha, colormap, data_format: as in overlay.

    Returns:
        A matplotlib.figure.Figure (`figure.savefig('explanations.png')`; shown inline in notebooks).

    Example:
        >>> plot_explanations(images, grad_cam(model, images), titles=['cat', 'dog']).savefig('cams.png')
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_explanations needs matplotlib: pip install lamina[plot]") from None
    if isinstance(images, (list, tuple)) or getattr(images, "ndim", 0) == 4:
        images, heatmaps = list(images), list(heatmaps)
    else:
        images, heatmaps = [images], [heatmaps]
    if len(images) != len(heatmaps) or (titles is not None and len(titles) != len(images)):
        raise ValueError(f"plot_explanations: received {len(images)} images, {len(heatmaps)} heatmaps and "
                         f"{'no' if titles is None else len(titles)} titles; pass one heatmap (and title) per image.")
    _check_alpha(alpha)
    figure = Figure(figsize=(9, 3 * len(images)), layout="constrained")
    axes = figure.subplots(len(images), 3, squeeze=False)
    for row, (image, heatmap) in enumerate(zip(images, heatmaps)):
        pixels = np.rint(image_pixels(image, data_format)).astype(np.uint8)
        values = heatmap_values(heatmap, None, data_format)
        blended = _blend(pixels.astype(np.float64), heatmap_values(values, pixels.shape[:2]), alpha, colormap)
        panels = (pixels, values, blended)
        for axis, panel, name in zip(axes[row], panels, ("image", "heatmap", "overlay")):
            axis.imshow(panel, cmap=colormap if panel is values else None)
            axis.set_title(titles[row] if titles is not None and name == "image" else name)
            axis.set_axis_off()
    return figure


def _check_alpha(alpha):
    if not 0 <= alpha <= 1:
        raise ValueError(f"overlay: alpha must be between 0 and 1; received {alpha!r}.")


def _blend(pixels, values, alpha, colormap):
    """pixels (rows, cols, 3) in [0, 255] blended with the colors of values (rows, cols): an RGB PIL.Image."""
    blended = (1 - alpha) * pixels + alpha * colorize(values, colormap) * 255
    return Image.fromarray(np.clip(np.rint(blended), 0, 255).astype(np.uint8), "RGB")


def image_pixels(image, data_format=None):
    """An RGB float array (rows, cols, 3) with values in [0, 255] from any supported image."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.float64)
    array = _as_array(image, "image")
    unit_range = array.dtype.kind == "f" and array.size > 0 and float(array.max()) <= 1.0
    if array.ndim == 3:
        array = _channels_last(array, data_format, "image")
        array = array[..., :3] if array.shape[-1] != 1 else np.repeat(array, 3, axis=-1)
    elif array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    else:
        raise ValueError(f"image: expected (rows, cols), (channels, rows, cols) or (rows, cols, channels); received "
                         f"shape {array.shape}. Pass one image, not a batch.")
    array = array.astype(np.float64)
    return np.clip(array * 255 if unit_range else array, 0, 255)


def heatmap_values(heatmap, size, data_format=None):
    """A 2-D float heatmap, channels averaged, resized (bilinear) to size=(rows, cols) unless size is None."""
    values = _as_array(heatmap, "heatmap").astype(np.float32)
    if values.ndim == 3:
        values = _channels_last(values, data_format, "heatmap").mean(axis=-1)
    if values.ndim != 2:
        raise ValueError(f"heatmap: expected (rows, cols) or one channel axis more; received shape {values.shape}.")
    if not np.isfinite(values).all():
        raise ValueError("heatmap: contains NaN or infinite values.")
    if size is not None and values.shape != tuple(size):
        resized = Image.fromarray(values, "F").resize((size[1], size[0]), Image.Resampling.BILINEAR)
        values = np.asarray(resized)
    return values


def colorize(values, colormap="jet"):
    """RGB colors (rows, cols, 3) in [0, 1] of a heatmap scaled from its minimum (first color) to its maximum."""
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    return _colormap(colormap)(scaled)


def _colormap(colormap):
    """A function mapping values in [0, 1] to RGB colors in [0, 1], from a name or a matplotlib colormap."""
    if not isinstance(colormap, str):
        return lambda values: np.asarray(colormap(values))[..., :3]
    try:
        import matplotlib
    except ImportError:
        if colormap != "jet":
            raise ValueError(f"colormap '{colormap}' needs matplotlib (pip install lamina[plot]); without it only "
                             f"'jet' is available.") from None
        return _builtin_jet
    if colormap not in matplotlib.colormaps:
        raise ValueError(f"Unknown colormap '{colormap}'.{nearest_suggestion(colormap, list(matplotlib.colormaps))} "
                         f"See matplotlib.colormaps for the names.")
    lookup = matplotlib.colormaps[colormap]
    return lambda values: lookup(values)[..., :3]


def _builtin_jet(values):
    """matplotlib's 'jet' on values in [0, 1], through a lookup table of LEVELS colors as matplotlib does."""
    levels = np.clip((values * LEVELS).astype(np.int64), 0, LEVELS - 1) / (LEVELS - 1)
    return np.stack([np.interp(levels, *zip(*JET[channel])) for channel in ("red", "green", "blue")], axis=-1)


def _as_array(value, argument):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected a numeric array or tensor; received {type(value).__name__} of "
                        f"{array.dtype}.")
    return array


def _channels_last(array, data_format, argument):
    """A 3-D array with its channel axis last: the end with 1, 3 or 4 entries, or data_format when ambiguous."""
    first, last = array.shape[0] in CHANNEL_COUNTS, array.shape[-1] in CHANNEL_COUNTS
    if not (first or last):
        raise ValueError(f"{argument}: expected 1, 3 or 4 channels on the first or last axis; received shape "
                         f"{array.shape}.")
    if data_format is None and first != last:
        data_format = "channels_first" if first else "channels_last"
    data_format = config.normalize_data_format(data_format)
    return np.moveaxis(array, 0, -1) if data_format == "channels_first" else array
