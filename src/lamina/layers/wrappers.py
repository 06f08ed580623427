"""Wrappers: layers that apply another layer in a new way (Bidirectional, TimeDistributed)."""
import torch

from lamina.engine.base_layer import Layer
from lamina.engine.serialization import deserialize_layer, serialize_layer
from lamina.layers.recurrent import Recurrent

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence, and merges the outputs.

    Args:
        layer: a SimpleRNN, GRU or LSTM; the forward layer is a fresh copy of it (from its config).
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None for the list [forward, backward].
        backward_layer: the backward layer; by default a copy of `layer` with go_backwards flipped.

    With return_sequences, the backward outputs are put back in time order before merging, so step t of the
    output sees the whole sequence. With return_state, the forward states follow the output, then the backward
    ones. Weights: the forward layer's, then the backward layer's (as Keras).

    Input shape: (batch, timesteps, features). Output shape: (batch, [timesteps,] 2 * units) for 'concat',
    (batch, [timesteps,] units) otherwise.

    Example:
        >>> model = Sequential([Embedding(1000, 16, mask_zero=True), Bidirectional(LSTM(32)), Dense(1)])
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        for argument, value in (("layer", layer), ("backward_layer", backward_layer)):
            if value is not None and not isinstance(value, Recurrent):
                raise TypeError(f"Bidirectional: `{argument}` must be a recurrent layer (SimpleRNN, GRU, LSTM), "
                                f"received {type(value).__name__}.")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: `merge_mode` must be one of {MERGE_MODES}, received {merge_mode!r}.")
        config = layer.get_config()
        self.forward_layer = type(layer).from_config({**config, "name": _prefixed("forward_", layer.name)})
        if backward_layer is None:
            backward_layer = type(layer).from_config(
                {**config, "go_backwards": not layer.go_backwards, "name": _prefixed("backward_", layer.name)})
        self.backward_layer = backward_layer
        for attribute in ("return_sequences", "return_state", "stateful"):
            if getattr(self.forward_layer, attribute) != getattr(backward_layer, attribute):
                raise ValueError(f"Bidirectional: the forward and backward layers must have the same "
                                 f"`{attribute}`, received {getattr(self.forward_layer, attribute)} and "
                                 f"{getattr(backward_layer, attribute)}.")
        if self.forward_layer.go_backwards == backward_layer.go_backwards:
            raise ValueError("Bidirectional: the backward layer must have the opposite `go_backwards` of the "
                             "forward layer; pass one with go_backwards=True, or leave backward_layer=None.")
        for direction in (self.forward_layer, backward_layer):  # Keras: zeros at masked steps of sequences
            direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.input_spec = self.forward_layer.input_spec

    def rank_hint(self, shape):
        return self.forward_layer.rank_hint(shape)

    def build(self, input_shape):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(input_shape)
                direction.built = True

    def call(self, inputs, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        forward = self.forward_layer(inputs, initial_state=forward_state, mask=mask, training=training)
        backward = self.backward_layer(inputs, initial_state=backward_state, mask=mask, training=training)
        states = []
        if self.return_state:
            states = forward[1:] + backward[1:]
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            backward = backward.flip(1)
        merged = _merge(self.merge_mode, forward, backward)
        if not self.return_state:
            return merged
        return (merged if isinstance(merged, list) else [merged]) + states

    def compute_output_shape(self, input_shape):
        # From the recurrent layers' shapes: running them on meta tensors is slow (see Recurrent).
        shapes = self.forward_layer.compute_output_shape(input_shape)
        output, states = (shapes[0], shapes[1:]) if self.return_state else (shapes, [])
        if self.merge_mode is None:
            merged = [output, output]
        elif self.merge_mode == "concat":
            merged = [output[:-1] + (2 * output[-1],)]
        else:
            merged = [output]
        if not self.return_state and len(merged) == 1:
            return merged[0]
        return merged + list(states) * 2

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] * (2 if self.merge_mode is None else 1)
        masks += [None] * (2 * len(self.forward_layer.state_names) if self.return_state else 0)
        return masks if len(masks) > 1 else masks[0]

    def reset_states(self):
        """Forgets the states of both directions (stateful layers)."""
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.forward_layer), "merge_mode": self.merge_mode,
                "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        backward_layer = deserialize_layer(config.pop("backward_layer"), custom_objects)
        return cls(layer, backward_layer=backward_layer, **config)


def _merge(mode, forward, backward):
    if mode is None:
        return [forward, backward]
    if mode == "concat":
        return torch.cat([forward, backward], dim=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mul":
        return forward * backward
    return (forward + backward) / 2


def _prefixed(prefix, name):
    return name if name.startswith(prefix) else prefix + name


class TimeDistributed(Layer):
    """Applies a layer to every time step: TimeDistributed(Dense(8)) on (batch, timesteps, features).

    The time axis is folded into the batch axis, so the inner layer runs once on (batch * timesteps, ...),
    with the same weights for every step. An incoming mask passes through unchanged.

    Args:
        layer: the layer applied at each step.

    Input shape: (batch, timesteps, ...). Output shape: (batch, timesteps, ...the inner layer's output).

    Example:
        >>> model = Sequential([LSTM(32, return_sequences=True, input_shape=(10, 8)), TimeDistributed(Dense(1))])
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed: `layer` must be a lamina layer, received {type(layer).__name__}. "
                            f"Wrap a torch.nn.Module in a TorchModule layer first.")
        self.layer = layer

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}' needs inputs of shape (batch, timesteps, ...), "
                             f"received {input_shape}.")
        if not self.layer.built:
            self.layer.build((None,) + tuple(input_shape[2:]))
            self.layer.built = True

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        folded_mask = None if mask is None else mask.reshape(batch * steps, *mask.shape[2:])
        outputs = self.layer(inputs.reshape(batch * steps, *inputs.shape[2:]), training=training, mask=folded_mask)
        return outputs.reshape(batch, steps, *outputs.shape[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        return cls(deserialize_layer(config.pop("layer"), custom_objects), **config)
