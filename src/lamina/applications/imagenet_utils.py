"""Keras's `keras.applications.imagenet_utils` import path."""
from lamina.applications.imagenet import decode_predictions, preprocess_input

__all__ = ["decode_predictions", "preprocess_input"]
