"""Normalization layers: BatchNormalization (Keras semantics) and LayerNormalization."""
import torch
import torch.nn.functional as F

from lamina import config, constraints, initializers, legacy, regularizers
from lamina.engine.base_layer import InputSpec, Layer
from lamina.serialization import serialize


class _Normalization(Layer):
    """Shared configuration of the normalization layers: epsilon, center/scale and gamma/beta options."""

    supports_masking = True
    keeps_input_spec = True

    def __init__(self, axis, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _resolve_axis(self, axis, input_shape):
        rank = len(input_shape)
        if not -rank <= axis < rank or axis % rank == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': axis {axis} is not a feature axis of inputs of "
                             f"shape {input_shape}; use an axis in 1..{rank - 1} (or -1).")
        axis = axis % rank
        if input_shape[axis] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the size of axis {axis} must be known, "
                             f"received input shape {input_shape}.")
        return axis

    def _add_scale_and_center(self, size):
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", (size,), self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", (size,), self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "beta_initializer": serialize(self.beta_initializer),
            "gamma_initializer": serialize(self.gamma_initializer),
            "beta_regularizer": serialize(self.beta_regularizer),
            "gamma_regularizer": serialize(self.gamma_regularizer),
            "beta_constraint": serialize(self.beta_constraint), "gamma_constraint": serialize(self.gamma_constraint),
        }


class BatchNormalization(_Normalization):
    """Normalizes each feature with the batch's statistics in training and moving averages in inference.

    Keras semantics: moving = moving * momentum + batch_statistic * (1 - momentum), with the biased batch
    variance; a frozen layer (trainable=False) always runs in inference mode, as in Keras 3 fine-tuning.

    Args:
        axis: the feature axis. None (the default) means the channel axis of images in the configured
            image data format (axis 1 for 4-D and 5-D inputs when channels_first) and the last axis otherwise.
        momentum: moving-average momentum (0.99). epsilon: added to the variance (1e-3).
        center, scale: whether to learn beta and gamma.

    Input and output shape: any, unchanged.
    """

    legacy_arguments = legacy.arguments("beta_init", "gamma_init", mode=None)

    def __init__(self, axis=None, momentum=0.99, epsilon=1e-3, moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", **kwargs):
        super().__init__(axis=axis, epsilon=epsilon, **kwargs)
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        axis = self.axis
        if axis is None:
            channels_first = len(input_shape) in (4, 5) and config.image_data_format() == "channels_first"
            axis = 1 if channels_first else -1
        self.feature_axis = self._resolve_axis(axis, input_shape)
        size = input_shape[self.feature_axis]
        self._add_scale_and_center(size)
        self.moving_mean = self.add_weight("moving_mean", (size,), self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (size,), self.moving_variance_initializer,
                                               trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.feature_axis: size})

    def call(self, inputs, training=None):
        channels_second = inputs.movedim(self.feature_axis, 1) if self.feature_axis != 1 else inputs
        if training and self.trainable:
            # One fused pass: with momentum 1 the kernel leaves the batch mean and unbiased variance in these
            # buffers; Keras's moving variance follows the biased one.
            batch_mean, batch_variance = torch.zeros_like(self.moving_mean), torch.ones_like(self.moving_variance)
            outputs = F.batch_norm(channels_second, batch_mean, batch_variance, self.gamma, self.beta, True, 1.0,
                                   self.epsilon)
            count = channels_second.numel() // channels_second.shape[1]
            with torch.no_grad():
                self.moving_mean.lerp_(batch_mean, 1 - self.momentum)
                self.moving_variance.lerp_(batch_variance * ((count - 1) / count), 1 - self.momentum)
        else:
            outputs = F.batch_norm(channels_second, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                                   False, 0.0, self.epsilon)
        return outputs.movedim(1, self.feature_axis) if self.feature_axis != 1 else outputs

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum,
                "moving_mean_initializer": serialize(self.moving_mean_initializer),
                "moving_variance_initializer": serialize(self.moving_variance_initializer)}


class LayerNormalization(_Normalization):
    """Normalizes each sample over `axis` (default: the last axis), then scales by gamma and shifts by beta.

    Input and output shape: any, unchanged.
    """

    def __init__(self, axis=-1, epsilon=1e-3, **kwargs):
        super().__init__(axis=axis, epsilon=epsilon, **kwargs)

    def build(self, input_shape):
        self.feature_axis = self._resolve_axis(self.axis, input_shape)
        self._add_scale_and_center(input_shape[self.feature_axis])

    def call(self, inputs):
        moved = inputs.movedim(self.feature_axis, -1)
        outputs = F.layer_norm(moved, moved.shape[-1:], self.gamma, self.beta, self.epsilon)
        return outputs.movedim(-1, self.feature_axis)
