"""On a ConvNet trained to find a bright patch's quadrant, the explanations point at the patch."""
import numpy as np
import torch

from lamina import explain

PATCH = 6  # the patch size of conftest.patch_images


def peaks_inside_patches(heatmaps, corners):
    inside = []
    for heatmap, (top, left) in zip(heatmaps, corners):
        row, col = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        inside.append(bool(top <= row < top + PATCH and left <= col < left + PATCH))
    return inside


def test_the_model_learned_the_task(patch_task):
    model, images, classes, _ = patch_task
    with torch.no_grad():
        predicted = model(torch.as_tensor(images)).argmax(dim=1).numpy()
    np.testing.assert_array_equal(predicted, classes)


def test_occlusion_peaks_inside_the_patch(patch_task):
    model, images, classes, corners = patch_task
    heatmaps = explain.occlusion(model, images, target=classes, window=4, stride=2, output="logit",
                                 progress=False)
    assert all(peaks_inside_patches(heatmaps[:, 0], corners))


def test_grad_cam_peaks_inside_the_patch(patch_task):
    model, images, classes, corners = patch_task
    heatmaps = explain.grad_cam(model, images, target=classes)
    assert heatmaps.shape == (len(images), 16, 16)
    assert all(peaks_inside_patches(heatmaps, corners))
