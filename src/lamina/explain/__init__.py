"""Explaining predictions: occlusion, Grad-CAM, CAM, saliency and integrated gradients, and pictures of them.

Every method takes a lamina model or any torch.nn.Module, one sample or a batch, and a target class (default:
the predicted one), and leaves the model as it found it (train/eval mode, requires_grad, no hooks).

Example:
    >>> from lamina import explain
    >>> heatmap = explain.occlusion(model, image, window=8, stride=4)    # image (3, 64, 64)
    >>> explain.save_heatmap('heatmap.png', image, heatmap)
"""
from lamina.explain.class_activation import cam, grad_cam
from lamina.explain.gradients import integrated_gradients, saliency
from lamina.explain.occlusion import occlusion
from lamina.explain.render import overlay, plot_explanations, save_heatmap

__all__ = ["cam", "grad_cam", "integrated_gradients", "occlusion", "overlay", "plot_explanations", "saliency",
           "save_heatmap"]
