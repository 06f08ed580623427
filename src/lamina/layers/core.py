"""Core layers: Dense, Activation, Dropout, Flatten, and Keras 1's TimeDistributedDense."""
import math
import numbers

import torch
import torch.nn.functional as F

from lamina import activations, config, constraints, initializers, legacy, regularizers
from lamina.engine import layout
from lamina.engine.base_layer import InputSpec, Layer
from lamina.serialization import serialize


def check_positive_int(owner, argument, value):
    """value as an int if it is a positive integer (NumPy integers included), else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{owner}: `{argument}` must be a positive integer, received {value!r}.")
    return int(value)


def check_rate(layer_name, value, argument="rate"):
    """value as a float if it is a fraction in [0, 1) (a dropout rate), else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{layer_name}: `{argument}` must be a number in [0, 1), received {value!r}.")
    return float(value)


class Dense(Layer):
    """A fully connected layer: activation(inputs @ kernel + bias), applied on the last axis.

    Args:
        units: output size.
        activation: name or callable (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, kernel_constraint,
        bias_constraint: see lamina.initializers, lamina.regularizers, lamina.constraints.

    Input shape: (batch, ..., input_dim). Output shape: (batch, ..., units).

    Example:
        >>> model = Sequential([Dense(3, activation="relu", input_shape=(2,)), Dense(1, activation="sigmoid")])
    """

    legacy_arguments = legacy.arguments(
        "output_dim", "init", "W_regularizer", "b_regularizer", "W_constraint", "b_constraint", "bias"
    )
    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int("Dense", "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense '{self.name}': the last axis of the input must be known, received {input_shape}.")
        self.kernel = self.add_weight("kernel", (input_dim, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      layout=layout.TRANSPOSED)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        return activations.apply_to_fresh(self.activation, F.linear(inputs, self.kernel, self.bias))

    def rank_hint(self, shape):
        return " Dense needs at least (batch, features)."

    def get_config(self):
        return {
            **super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias, "kernel_initializer": serialize(self.kernel_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
            "kernel_constraint": serialize(self.kernel_constraint),
            "bias_constraint": serialize(self.bias_constraint),
        }


class TimeDistributedDense(Dense):
    """Keras 1's Dense applied to every time step of a sequence, with the same weights at each step.

    Keras 2 removed it: a Dense layer applies to the last axis of a 3-D input (as does TimeDistributed(Dense(...))),
    which is what this layer computes, with Dense's weights and arguments (Keras 1 names included).

    Args:
        units (Keras 1: output_dim), activation and Dense's other arguments.
        input_dim, input_length: Keras 1: the same as input_shape=(input_length, input_dim).

    Input shape: (batch, timesteps, input_dim). Output shape: (batch, timesteps, units).

    Example:
        >>> model.add(LSTM(32, return_sequences=True, input_shape=(10, 8)))
        >>> model.add(TimeDistributedDense(5, activation="softmax"))   # (None, 10, 5)
    """

    def __init__(self, units, activation=None, input_dim=None, input_length=None, **kwargs):
        if input_dim is not None and kwargs.get("input_shape") is None:
            kwargs["input_shape"] = (input_length, input_dim)
        super().__init__(units, activation, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})

    def rank_hint(self, shape):
        return (" TimeDistributedDense takes sequences (batch, timesteps, features); use Dense for "
                "(batch, features).")


class Activation(Layer):
    """Applies an activation function: Activation('relu')."""

    supports_masking = True
    keeps_input_spec = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def in_place_call(self, symbolic_input):
        """The activation's in-place form, which a model's inference pass uses when no one else reads the input."""
        return activations.IN_PLACE.get(self.activation)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 during training, scaling the rest by 1 / (1 - rate).

    `noise_shape` (None entries follow the input) drops whole slices, e.g. (None, 1, features).
    """

    legacy_arguments = legacy.arguments("p")
    supports_masking = True
    keeps_input_spec = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("Dropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        return self.drop(inputs, self.noise_shape)

    def drop(self, inputs, noise_shape):
        """Inputs with entries (or whole slices, per noise_shape) zeroed at `rate`, the rest scaled up."""
        if noise_shape is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = [size if size is not None else inputs.shape[axis] for axis, size in enumerate(noise_shape)]
        keep = torch.empty(shape, device=inputs.device, dtype=inputs.dtype).bernoulli_(1 - self.rate)
        return inputs * keep / (1 - self.rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class Flatten(Layer):
    """Flattens all axes but the batch axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).

    With the default data_format=None values are taken in storage order (no copy for contiguous inputs).
    data_format='channels_first' reorders to channels-last first, as Keras does, so a following Dense gets
    weights in the same order as a channels_last Keras model.
    """

    legacy_arguments = legacy.arguments("dim_ordering")

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format is not None:
            data_format = config.normalize_data_format(data_format)
        self.data_format = data_format

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.permute(0, *range(2, inputs.ndim), 1)
        if inputs.ndim == 1:
            return inputs.unsqueeze(1)
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
