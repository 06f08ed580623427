"""Pretrained ConvNets as lamina models: torchvision's architectures and ImageNet weights, Keras's API and names.

Example:
    >>> from lamina.applications import VGG16
    >>> base = VGG16(weights="imagenet", include_top=False, pooling="avg")
    >>> base.summary()
"""
from lamina.applications.imagenet import decode_predictions, preprocess_input
from lamina.applications.vgg import VGG16, VGG19

__all__ = ["VGG16", "VGG19", "decode_predictions", "preprocess_input"]
