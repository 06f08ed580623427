"""Embedding: integer indices (word ids) -> dense vectors, with an optional padding mask."""
import numpy as np
import torch.nn.functional as F

from lamina import constraints, initializers, legacy, regularizers
from lamina.engine.base_layer import Layer
from lamina.layers.core import check_positive_int
from lamina.serialization import serialize


class Embedding(Layer):
    """Turns indices into vectors: row `i` of an (input_dim, output_dim) table for each index `i`.

    Args:
        input_dim: vocabulary size; indices must be in [0, input_dim).
        output_dim: size of each vector.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint: for the table (Keras's default
            initializer, 'uniform', draws from [-0.05, 0.05]).
        mask_zero: whether index 0 is padding; the output then carries a mask (inputs != 0) that following
            layers such as LSTM use to skip padded steps. Index 0 must then not be a word (input_dim =
            vocabulary size + 1).
        weights: initial table, (input_dim, output_dim) (Keras 1 passes it in a list: `weights=[matrix]`),
            e.g. pre-trained word vectors.
        input_length: Keras 1: the sequence length, same as `input_shape=(input_length,)`.

    Input shape: (batch, ...) integers (floats are cast). Output shape: (batch, ..., output_dim).

    Example:
        >>> model = Sequential([Embedding(10000, 64, mask_zero=True), LSTM(32), Dense(1, activation="sigmoid")])
    """

    legacy_arguments = legacy.arguments(init="embeddings_initializer", W_regularizer="embeddings_regularizer",
                                        W_constraint="embeddings_constraint", dropout=None)

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, input_length=None, **kwargs):
        if input_length is not None and not any(key in kwargs for key in ("input_shape", "batch_input_shape",
                                                                          "batch_shape")):
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = check_positive_int("Embedding", "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        if isinstance(weights, (list, tuple)) and len(weights) == 1:
            weights = weights[0]
        self._initial_weights = None if weights is None else np.asarray(weights)

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        if self._initial_weights is not None:
            self.set_weights([self._initial_weights])
            self._initial_weights = None

    def call(self, inputs):
        if inputs.is_floating_point():
            inputs = inputs.long()
        try:
            return F.embedding(inputs, self.embeddings)
        except IndexError as error:  # raised by the CPU kernel only: CUDA kernels assert on the device instead
            raise self._index_error(inputs) from error

    def _index_error(self, inputs):
        low, high = int(inputs.min()), int(inputs.max())
        bad = high if high >= self.input_dim else low
        return ValueError(
            f"Embedding '{self.name}' received index {bad}, outside [0, input_dim) = [0, {self.input_dim}) "
            f"(indices found: {low}..{high}). Set input_dim to at least {max(high + 1, self.input_dim)} (the "
            f"vocabulary size, plus one if index 0 is padding), or map unknown words to an index below "
            f"{self.input_dim}."
        )

    def compute_mask(self, inputs, mask=None):
        return inputs != 0 if self.mask_zero else None

    def get_config(self):
        return {
            **super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize(self.embeddings_regularizer),
            "embeddings_constraint": serialize(self.embeddings_constraint), "mask_zero": self.mask_zero,
        }
