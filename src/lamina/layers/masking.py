"""Masking: marks time steps whose features all equal a padding value, so recurrent layers skip them."""
from lamina.engine.base_layer import Layer


class Masking(Layer):
    """Masks time steps where every feature equals `mask_value` (and zeroes them).

    Args:
        mask_value: the padding value.

    Input shape: (batch, timesteps, features). Output shape: the same, with a (batch, timesteps) mask that
    recurrent layers use to skip the padded steps.

    Example:
        >>> model = Sequential([Masking(0.0, input_shape=(None, 8)), LSTM(16)])
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def call(self, inputs):
        return inputs * self.compute_mask(inputs).unsqueeze(-1).to(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(dim=-1)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
