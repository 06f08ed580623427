"""Keras 1's `keras.layers.embeddings` import path."""
from lamina.layers.embedding import Embedding

__all__ = ["Embedding"]
