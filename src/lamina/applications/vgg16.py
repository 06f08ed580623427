"""Keras's `keras.applications.vgg16` import path."""
from lamina.applications.vgg import VGG16, decode_predictions, preprocess_input

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
