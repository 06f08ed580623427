"""Overlays, PNG files and figures of explanations, for every image layout and value range."""
import re
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from lamina import explain
from lamina.explain import render

RNG = np.random.default_rng(0)
RGB = RNG.random((20, 30, 3))  # rows 20, cols 30, values in [0, 1]
HEATMAP = RNG.random((5, 6))


@pytest.mark.parametrize("image", [
    RGB, RGB.transpose(2, 0, 1), (RGB * 255).astype(np.uint8), RGB * 255, torch.as_tensor(RGB).permute(2, 0, 1),
    RGB[..., 0], RGB[None, ..., 0], RGB[..., :1], np.concatenate([RGB, np.ones((20, 30, 1))], axis=-1),
    Image.fromarray((RGB * 255).astype(np.uint8)),
], ids=["rgb-last", "rgb-first", "uint8", "0-255-floats", "tensor-first", "gray-2d", "gray-first", "gray-last",
        "rgba", "pil"])
def test_overlay_has_the_image_size_for_every_layout(image):
    picture = explain.overlay(image, HEATMAP)
    assert picture.mode == "RGB" and picture.size == (30, 20)


def test_overlay_blends_the_colormap_with_the_image():
    image = np.zeros((2, 2, 3), dtype=np.uint8)
    heatmap = np.array([[0.0, 1.0], [1.0, 0.0]])
    pixels = np.asarray(explain.overlay(image, heatmap, alpha=0.5))
    np.testing.assert_array_equal(pixels[0, 0], [0, 0, 64])      # jet(0) = (0, 0, 0.5), times 0.5, of 255
    np.testing.assert_array_equal(pixels[0, 1], [64, 0, 0])      # jet(1) = (0.5, 0, 0)
    unit_range = np.full((2, 2, 3), 0.5)
    np.testing.assert_array_equal(np.asarray(explain.overlay(unit_range, heatmap, alpha=0))[0, 0], [128] * 3)
    grays = np.asarray(explain.overlay(unit_range, heatmap, alpha=0.25, colormap="gray"))
    np.testing.assert_array_equal(grays[:, :, 0], [[96, 159], [159, 96]])  # round(0.75 * 127.5 + 0.25 * (0 or 255))


def test_a_heatmap_with_a_channel_axis_is_averaged_over_channels():
    channels = RNG.random((3, 5, 6))
    expected = np.asarray(explain.overlay(RGB, channels.mean(axis=0)))
    np.testing.assert_array_equal(np.asarray(explain.overlay(RGB, channels)), expected)
    np.testing.assert_array_equal(np.asarray(explain.overlay(RGB, torch.as_tensor(channels).permute(1, 2, 0))),
                                  expected)


def test_save_heatmap_writes_a_valid_png_of_the_image_size(tmp_path):
    path = tmp_path / "heatmap.png"
    explain.save_heatmap(path, RGB.transpose(2, 0, 1), HEATMAP)
    with Image.open(path) as picture:
        picture.verify()
    with Image.open(path) as picture:
        assert picture.format == "PNG" and picture.size == (30, 20)
        np.testing.assert_array_equal(np.asarray(picture), np.asarray(explain.overlay(RGB, HEATMAP)))
    assert [entry.name for entry in tmp_path.iterdir()] == ["heatmap.png"]  # no temporary file left


def test_the_built_in_jet_equals_matplotlibs():
    import matplotlib

    values = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(render._builtin_jet(values), matplotlib.colormaps["jet"](values)[:, :3], atol=1e-7)


def test_without_matplotlib_jet_still_works_and_the_figure_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with_builtin = np.asarray(explain.overlay(RGB, HEATMAP))
    monkeypatch.undo()
    np.testing.assert_array_equal(with_builtin, np.asarray(explain.overlay(RGB, HEATMAP)))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"^plot_explanations needs matplotlib: pip install lamina\[plot\]$"):
        explain.plot_explanations(RGB, HEATMAP)
    with pytest.raises(ValueError, match=r"colormap 'viridis' needs matplotlib \(pip install lamina\[plot\]\)"):
        explain.overlay(RGB, HEATMAP, colormap="viridis")


def test_plot_explanations_shows_image_heatmap_and_overlay_per_input(tmp_path):
    images = np.stack([RGB.transpose(2, 0, 1)] * 2)  # a batch (2, 3, 20, 30)
    heatmaps = torch.rand(2, 20, 30)
    figure = explain.plot_explanations(images, heatmaps, titles=["cat", "dog"])
    axes = figure.get_axes()
    assert len(axes) == 6
    assert [axis.get_title() for axis in axes] == ["cat", "heatmap", "overlay", "dog", "heatmap", "overlay"]
    figure.savefig(tmp_path / "figure.png")
    with Image.open(tmp_path / "figure.png") as picture:
        assert picture.format == "PNG"


@pytest.mark.parametrize("call, message", [
    (lambda: explain.overlay(RGB, HEATMAP, alpha=1.5), "overlay: alpha must be between 0 and 1; received 1.5."),
    (lambda: explain.overlay(RGB, HEATMAP, colormap="jett"), "Unknown colormap 'jett'. Did you mean 'jet'? See "
                                                             "matplotlib.colormaps for the names."),
    (lambda: explain.overlay(RNG.random((20, 30, 5)), HEATMAP),
     "image: expected 1, 3 or 4 channels on the first or last axis; received shape (20, 30, 5)."),
    (lambda: explain.overlay(RGB, np.full((5, 6), np.nan)), "heatmap: contains NaN or infinite values."),
    (lambda: explain.plot_explanations([RGB, RGB], [HEATMAP]),
     "plot_explanations: received 2 images, 1 heatmaps and no titles; pass one heatmap (and title) per image."),
])
def test_rendering_errors(call, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call()


def test_plot_explanations_overlays_channels_first_images_like_overlay():
    image = RGB.transpose(2, 0, 1)  # (3, 20, 30)
    figure = explain.plot_explanations([image], [HEATMAP], data_format="channels_first")
    pixels, _, blended = (np.asarray(axis.get_images()[0].get_array()) for axis in figure.get_axes())
    assert pixels.shape == blended.shape == (20, 30, 3)
    np.testing.assert_array_equal(blended, np.asarray(explain.overlay(pixels, HEATMAP)))  # of the pixels shown
