"""Keras's preprocessing modules: sequence (padding, skipgrams), text (Tokenizer) and image (ImageDataGenerator).

Example:
    >>> from lamina.preprocessing.text import Tokenizer
    >>> from lamina.preprocessing.sequence import pad_sequences
    >>> from lamina.preprocessing.image import ImageDataGenerator
"""
from lamina.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]
