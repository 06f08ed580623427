"""Recurrent layers: SimpleRNN, GRU and LSTM, on PyTorch's fused kernels (cuDNN on GPU) where they apply.

All three share one base class, Recurrent: it handles the options Keras's RNN layers have (return_sequences,
return_state, go_backwards, stateful, masks, dropout) and runs either

- torch's fused kernel (torch._VF.lstm / gru / rnn_tanh / rnn_relu, cuDNN on GPU), when the layer uses the
  kernel's activations and no recurrent dropout; a mask is fine when each sequence's unmasked steps form one
  block (right- or left-padded sequences): the block is packed, run, and put back in place; or
- a loop over time steps calling the subclass's `step` (one cell update), for everything else.

Weights are stored as torch's kernels take them (kernel (gates * units, features), gates in torch's order);
get_weights()/set_weights() use Keras's layouts and gate orders, so weights move to and from Keras unchanged.
"""
import torch
import torch.nn.functional as F
from torch import _VF
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from lamina import activations, constraints, initializers, legacy, regularizers
from lamina.engine.base_layer import InputSpec, Layer
from lamina.engine.layout import GateReordered, Layout
from lamina.layers.core import check_positive_int, check_rate
from lamina.serialization import serialize

_LEGACY_NAMES = ("output_dim", "init", "inner_init", "inner_activation", "W_regularizer", "U_regularizer",
                 "b_regularizer", "W_constraint", "U_constraint", "b_constraint", "dropout_W", "dropout_U",
                 "consume_less")


class Recurrent(Layer):
    """Base class of SimpleRNN, GRU and LSTM; a subclass defines its gates, `step` and fused kernel.

    Args:
        units: size of the output and of each state.
        activation: of the candidate state and output ('tanh').
        use_bias: whether the layer has biases.
        kernel_initializer, recurrent_initializer, bias_initializer; kernel_regularizer, recurrent_regularizer,
        bias_regularizer; kernel_constraint, recurrent_constraint, bias_constraint: for the input kernel
            (features, gates * units), the recurrent kernel (units, gates * units) and the bias (Keras layouts).
        dropout: fraction of the input features dropped in training (one mask per sequence, as Keras).
        recurrent_dropout: fraction of the recurrent state dropped in training (one mask per sequence).
        seed: accepted for Keras compatibility; dropout draws from torch's generator (lamina.utils.set_random_seed).
        return_sequences: output every step (batch, timesteps, units) instead of the last (batch, units).
        return_state: also return the final states: [output, h] (LSTM: [output, h, c]).
        go_backwards: read the sequence backwards; a returned sequence stays in the reversed order (as Keras).
        stateful: start each call from the previous call's final states (same batch size; reset_states()).
        unroll: accepted for Keras compatibility; no effect.
        zero_output_for_mask: output zeros at masked steps instead of repeating the previous output.
        use_cudnn: 'auto' uses the fused kernel when it applies, False never, True raises when it cannot.
        input_dim, input_length: Keras 1: the same as input_shape=(input_length, input_dim).

    Input shape: (batch, timesteps, features); an incoming (batch, timesteps) mask marks the steps to skip:
    there the states are carried over unchanged and the previous output is repeated (zeros before the first
    unmasked step), as in Keras.
    Output shape: (batch, units), or (batch, timesteps, units) with return_sequences.
    """

    gates = 1  # gate blocks stacked in the kernels
    keras_gate_order = (0,)  # torch's index of each of Keras's gates
    state_names = ("h",)
    legacy_arguments = legacy.arguments(*_LEGACY_NAMES)
    supports_masking = True

    def __init__(self, units, activation="tanh", *, use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 zero_output_for_mask=False, use_cudnn="auto", input_length=None, **kwargs):
        if kwargs.get("input_dim") is not None and kwargs.get("input_shape") is None:
            kwargs["input_shape"] = (input_length, kwargs.pop("input_dim"))
        super().__init__(**kwargs)
        name = type(self).__name__
        self.units = check_positive_int(name, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(name, dropout, "dropout")
        self.recurrent_dropout = check_rate(name, recurrent_dropout, "recurrent_dropout")
        self.seed = seed
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{name}: `use_cudnn` must be 'auto', True or False, received {use_cudnn!r}.")
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)
        self._states = None

    # ---------------------------------------------------------------- for subclasses
    def step(self, projected, states, recurrent_input):
        """One time step: new states (the first is the output) from the projected input x @ kernel + input bias
        (batch, gates * units), the previous states and the recurrent input (states[0], after recurrent dropout).
        """
        raise NotImplementedError

    def fused_kernel(self):
        """The torch._VF function computing this layer's configuration, or None if none does."""
        return None

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_layout(self):
        return GateReordered(self.keras_gate_order, transpose=False)

    def biases(self):
        """(input bias, recurrent bias) as torch's kernels take them; Keras's single bias has a zero partner."""
        return self.bias, torch.zeros_like(self.bias)

    def make_bias_initializer(self):
        return self.bias_initializer

    # ---------------------------------------------------------------- layer life cycle
    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the last axis (features) of the input must be "
                             f"known, received an input of shape {input_shape}.")
        width = self.gates * self.units
        gate_layout = GateReordered(self.keras_gate_order)
        self.kernel = self.add_weight("kernel", (features, width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      layout=gate_layout)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, layout=gate_layout)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", self.bias_shape(), self.make_bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        layout=self.bias_layout())
        self.input_spec = InputSpec(ndim=3, axes={-1: features})

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if mask is not None:
            mask = mask.bool()
        if self.go_backwards:
            inputs = inputs.flip(1)
            mask = None if mask is None else mask.flip(1)
        if training and self.dropout:
            inputs = inputs * _dropout_mask(inputs[:, 0], self.dropout).unsqueeze(1)
        states = self._initial_states(inputs, initial_state)
        outputs, states = self._scan(inputs, states, mask, training)
        if self.stateful and not inputs.is_meta:
            self._states = tuple(state.detach() for state in states)
        if self.return_sequences:
            output = outputs
        else:
            # The last output is the final h, except where zeros replace outputs at masked steps. Taking h lets
            # the fused kernel's backward start from the final state alone, as nn.LSTM's users do.
            output = outputs[:, -1] if self.zero_output_for_mask and mask is not None else states[0]
        return [output, *states] if self.return_state else output

    def compute_output_shape(self, input_shape):
        # Written out because PyTorch runs its fused RNN kernels on meta tensors step by step (~0.4 s per call).
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        return [output] + [(batch, self.units)] * len(self.state_names) if self.return_state else output

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * len(self.state_names) if self.return_state else output_mask

    def reset_states(self):
        """Forgets the states a stateful layer carries between calls (the next call starts from zeros)."""
        self._states = None

    reset_state = reset_states

    def rank_hint(self, shape):
        return (f" {type(self).__name__} takes (batch, timesteps, features); for word indices put an Embedding "
                f"layer first, for one feature per step reshape to (batch, timesteps, 1).")

    def get_config(self):
        return {
            **super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias, "kernel_initializer": serialize(self.kernel_initializer),
            "recurrent_initializer": serialize(self.recurrent_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "recurrent_regularizer": serialize(self.recurrent_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
            "kernel_constraint": serialize(self.kernel_constraint),
            "recurrent_constraint": serialize(self.recurrent_constraint),
            "bias_constraint": serialize(self.bias_constraint), "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask, "use_cudnn": self.use_cudnn,
        }

    # ---------------------------------------------------------------- computation
    def _initial_states(self, inputs, initial_state):
        batch = inputs.shape[0]
        if initial_state is not None:
            states = [initial_state] if isinstance(initial_state, torch.Tensor) else list(initial_state)
            if len(states) != len(self.state_names):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' takes {len(self.state_names)} initial state(s) "
                    f"{list(self.state_names)}, each (batch, {self.units}), but received {len(states)}."
                )
            return tuple(torch.as_tensor(state, dtype=inputs.dtype, device=inputs.device) for state in states)
        if self.stateful and self._states is not None and not inputs.is_meta:
            if self._states[0].shape[0] != batch:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' is stateful and holds states for batches of "
                    f"{self._states[0].shape[0]}, but received a batch of {batch}. Feed batches of one size "
                    f"(e.g. fit(..., batch_size={self._states[0].shape[0]}, shuffle=False)), or call reset_states() "
                    f"before changing it."
                )
            return self._states
        zeros = inputs.new_zeros(batch, self.units)
        return (zeros,) * len(self.state_names)

    def _scan(self, inputs, states, mask, training):
        """(outputs (batch, timesteps, units), final states), by the fused kernel when it applies."""
        allowed = self.use_cudnn is not False and not (training and self.recurrent_dropout)
        kernel = self.fused_kernel() if allowed else None
        block = _unmasked_block(mask) if kernel is not None and mask is not None else None
        if kernel is not None and (mask is None or block is not None):
            return _fused_scan(kernel, inputs, states, self._fused_weights(), block, self.zero_output_for_mask)
        if self.use_cudnn is True:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was created with use_cudnn=True, but the fused kernel cannot "
                f"run it: it needs activation='tanh', recurrent_activation='sigmoid' (GRU: reset_after=True), no "
                f"recurrent dropout in training and a mask whose unmasked steps are one block per sequence. "
                f"Use use_cudnn='auto' to fall back to the step-by-step loop."
            )
        return _loop_scan(self, inputs, states, mask, training)

    def _fused_weights(self):
        if self.bias is None:
            return [self.kernel, self.recurrent_kernel]
        return [self.kernel, self.recurrent_kernel, *self.biases()]


class SimpleRNN(Recurrent):
    """A fully connected recurrent layer: h_t = activation(x_t @ kernel + h_(t-1) @ recurrent_kernel + bias).

    Args: see Recurrent (units, activation='tanh', ..., return_sequences, return_state, go_backwards, stateful).

    Input shape: (batch, timesteps, features). Output shape: (batch, units), or (batch, timesteps, units) with
    return_sequences.

    Example:
        >>> model = Sequential([Embedding(1000, 16), SimpleRNN(32), Dense(1, activation="sigmoid")])
    """

    def step(self, projected, states, recurrent_input):
        return (self.activation(projected + F.linear(recurrent_input, self.recurrent_kernel)),)

    def fused_kernel(self):
        return {activations.tanh: _VF.rnn_tanh, activations.relu: _VF.rnn_relu}.get(self.activation)


class GRU(Recurrent):
    """Gated recurrent unit (Cho et al., 2014), with Keras 3's defaults (reset_after=True, as cuDNN).

    Args:
        recurrent_activation: of the update and reset gates ('sigmoid'; Keras 1's 'hard_sigmoid' is
            clip(0.2x + 0.5, 0, 1)).
        reset_after: apply the reset gate after the recurrent matrix product (Keras 3, torch, cuDNN; the bias
            is then (2, 3 * units): input and recurrent biases) or before it (Keras 1 and 2; bias (3 * units,)).
        Others: see Recurrent.

    Keras's gate order in the kernels is (update z, reset r, candidate h); torch's is (r, z, n).

    Input shape: (batch, timesteps, features). Output shape: (batch, units), or (batch, timesteps, units) with
    return_sequences.

    Example:
        >>> model = Sequential([Embedding(1000, 16, mask_zero=True), GRU(32), Dense(1, activation="sigmoid")])
    """

    gates = 3
    keras_gate_order = (1, 0, 2)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", *, reset_after=True, **kwargs):
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def step(self, projected, states, recurrent_input):
        (h,) = states
        input_r, input_z, input_n = projected.chunk(3, dim=1)
        if self.reset_after:
            recurrent_bias = self.bias[1] if self.use_bias else None
            recurrent_r, recurrent_z, recurrent_n = F.linear(recurrent_input, self.recurrent_kernel,
                                                             recurrent_bias).chunk(3, dim=1)
            r = self.recurrent_activation(input_r + recurrent_r)
            n = self.activation(input_n + r * recurrent_n)
        else:
            recurrent_r, recurrent_z = F.linear(recurrent_input, self.recurrent_kernel[:2 * self.units]).chunk(2, 1)
            r = self.recurrent_activation(input_r + recurrent_r)
            n = self.activation(input_n + F.linear(r * recurrent_input, self.recurrent_kernel[2 * self.units:]))
        z = self.recurrent_activation(input_z + recurrent_z)
        return (z * h + (1 - z) * n,)

    def fused_kernel(self):
        fused = (self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid
                 and self.reset_after)
        return _VF.gru if fused else None

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def bias_layout(self):
        return _RowsGateReordered(self.keras_gate_order) if self.reset_after else super().bias_layout()

    def biases(self):
        return (self.bias[0], self.bias[1]) if self.reset_after else super().biases()

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class LSTM(Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), as Keras 3's LSTM.

    Args:
        recurrent_activation: of the input, forget and output gates ('sigmoid'; Keras 1's 'hard_sigmoid' is
            clip(0.2x + 0.5, 0, 1)).
        unit_forget_bias: start the forget gate's bias at 1 (Jozefowicz et al., 2015).
        Others: see Recurrent.

    Gates are stacked as (input, forget, candidate, output) in both Keras and torch; the states are [h, c].

    Input shape: (batch, timesteps, features). Output shape: (batch, units), or (batch, timesteps, units) with
    return_sequences.

    Example:
        >>> model = Sequential([Embedding(1000, 16, mask_zero=True), LSTM(32), Dense(1, activation="sigmoid")])
    """

    gates = 4
    keras_gate_order = (0, 1, 2, 3)
    state_names = ("h", "c")
    legacy_arguments = legacy.arguments(*_LEGACY_NAMES, "forget_bias_init")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", *, unit_forget_bias=True,
                 **kwargs):
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def step(self, projected, states, recurrent_input):
        h, c = states
        gates = projected + F.linear(recurrent_input, self.recurrent_kernel)
        input_gate, forget_gate, candidate, output_gate = gates.chunk(4, dim=1)
        c = (self.recurrent_activation(forget_gate) * c
             + self.recurrent_activation(input_gate) * self.activation(candidate))
        return self.recurrent_activation(output_gate) * self.activation(c), c

    def fused_kernel(self):
        fused = self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid
        return _VF.lstm if fused else None

    def make_bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer

        def bias_initializer(shape, dtype=None):
            units = self.units
            return torch.cat([self.bias_initializer((units,), dtype=dtype), torch.ones(units, dtype=dtype),
                              self.bias_initializer((2 * units,), dtype=dtype)])

        return bias_initializer

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class _RowsGateReordered(Layout):
    """GRU's (2, 3 * units) bias: torch's [b_ih; b_hh] rows, each in torch's gate order."""

    def __init__(self, order):
        self.row = GateReordered(order, transpose=False)

    def to_keras(self, tensor):
        return torch.stack([self.row.to_keras(row) for row in tensor])

    def from_keras(self, tensor):
        return torch.stack([self.row.from_keras(row) for row in tensor])


def _loop_scan(layer, inputs, states, mask, training):
    """The step-by-step loop, with Keras's mask semantics: states carried over and outputs repeated at masked
    steps (zeros before the first unmasked step, or at every masked step with zero_output_for_mask)."""
    input_bias = layer.biases()[0] if layer.use_bias else None
    projected = F.linear(inputs, layer.kernel, input_bias)
    recurrent_mask = None
    if training and layer.recurrent_dropout:
        recurrent_mask = _dropout_mask(states[0], layer.recurrent_dropout)
    output = torch.zeros_like(states[0])
    outputs = []
    for time, projected_step in enumerate(projected.unbind(1)):  # unbind: one gradient copy, not one per step
        recurrent_input = states[0] if recurrent_mask is None else states[0] * recurrent_mask
        new_states = layer.step(projected_step, states, recurrent_input)
        if mask is None:
            states, output = new_states, new_states[0]
        else:
            keep = mask[:, time, None]
            states = tuple(torch.where(keep, new, old) for new, old in zip(new_states, states))
            output = torch.where(keep, new_states[0], 0.0 if layer.zero_output_for_mask else output)
        outputs.append(output)
    return torch.stack(outputs, dim=1), states


def _fused_scan(kernel, inputs, states, weights, block, zero_output_for_mask):
    """Runs torch's fused kernel; `block` (start, length, length on the CPU) per sequence packs the unmasked
    steps (see _scan)."""
    if inputs.is_cuda:
        weights = _single_chunk(weights)
    # train=True makes cuDNN keep what backward needs: gradients are wanted in eval mode too (saliency maps).
    has_biases, train, is_lstm = len(weights) == 4, torch.is_grad_enabled(), kernel is _VF.lstm

    def hidden(batch_states):
        stacked = tuple(state.unsqueeze(0) for state in batch_states)
        return stacked if is_lstm else stacked[0]

    if block is None:
        outputs, *final = kernel(inputs, hidden(states), weights, has_biases, 1, 0.0, train, False, True)
        return outputs, tuple(state[0] for state in final)
    start, lengths, host_lengths = block
    steps = torch.arange(inputs.shape[1], device=inputs.device)
    gather_steps = (start[:, None] + steps).clamp(max=inputs.shape[1] - 1)
    compact = inputs.gather(1, gather_steps[..., None].expand(-1, -1, inputs.shape[2]))
    packed = pack_padded_sequence(compact, host_lengths, batch_first=True, enforce_sorted=False)
    order, unorder = packed.sorted_indices, packed.unsorted_indices
    sorted_states = tuple(state.index_select(0, order) for state in states)
    packed_outputs, *final = kernel(packed.data, packed.batch_sizes, hidden(sorted_states), weights, has_biases, 1,
                                    0.0, train, False)
    block_outputs, _ = pad_packed_sequence(PackedSequence(packed_outputs, packed.batch_sizes, order, unorder),
                                           batch_first=True, total_length=inputs.shape[1])
    # Step t reads block output t - start, clamped to the block's last output (repeated after the block).
    read = torch.minimum((steps - start[:, None]).clamp(min=0), lengths[:, None] - 1)
    outputs = block_outputs.gather(1, read[..., None].expand(-1, -1, block_outputs.shape[2]))
    shown = _block_mask(start, lengths, steps) if zero_output_for_mask else steps >= start[:, None]
    outputs = outputs * shown[..., None].to(outputs.dtype)
    return outputs, tuple(state[0].index_select(0, unorder) for state in final)


def _block_mask(start, lengths, steps):
    return (steps >= start[:, None]) & (steps < (start + lengths)[:, None])


def _unmasked_block(mask):
    """(start, length, length on the CPU) per sequence if each sequence's unmasked steps are one non-empty block,
    else None.

    One host synchronization brings the verdict and the lengths together: packing needs the lengths on the CPU.
    """
    lengths = mask.sum(dim=1)
    start = mask.int().argmax(dim=1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    one_block = (_block_mask(start, lengths, steps) == mask).all() & (lengths > 0).all()
    on_host = torch.cat([one_block.view(1).to(lengths.dtype), lengths]).cpu()
    return (start, lengths, on_host[1:]) if on_host[0] else None


def _single_chunk(weights):
    """The weights as views of one buffer, laid out as cuDNN wants: cuDNN then uses them without copying them
    (and without warning that they are 'not part of single contiguous chunk of memory')."""
    buffer = torch.cat([weight.reshape(-1) for weight in weights])
    return [chunk.view(weight.shape) for chunk, weight in zip(buffer.split([w.numel() for w in weights]), weights)]


def _dropout_mask(like, rate):
    return torch.empty_like(like).bernoulli_(1 - rate) / (1 - rate)
