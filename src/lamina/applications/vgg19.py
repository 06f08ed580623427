"""Keras's `keras.applications.vgg19` import path."""
from lamina.applications.vgg import VGG19, decode_predictions, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
