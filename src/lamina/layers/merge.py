"""Merging layers (Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot), their function
forms, and Keras 1's `merge(tensors, mode=...)` function and `Merge` layer."""
import functools

import torch
import torch.nn.functional as F

from lamina.engine.base_layer import Layer, format_shape
from lamina.engine.lambda_layer import Lambda
from lamina.engine.serialization import deserialize_layer, serialize_layer
from lamina.identifiers import check_choice
from lamina.serialization import user_object


class MergingLayer(Layer):
    """Base class of the merging layers: takes a list of at least two tensors, returns one."""

    supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], tuple):
            raise ValueError(f"{type(self).__name__} '{self.name}' must be called on a list of tensors, "
                             f"e.g. {type(self).__name__}()([a, b]).")
        if len(input_shape) < 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs at least 2 inputs, received "
                             f"{len(input_shape)}.")
        self.check_shapes([tuple(shape) for shape in input_shape])

    def check_shapes(self, shapes):
        """Elementwise merges: shapes must be equal, or broadcastable on size-1 axes."""
        ranks = {len(shape) for shape in shapes}
        compatible = len(ranks) == 1 and all(
            len({size for size in sizes if size not in (None, 1)}) <= 1 for sizes in zip(*shapes))
        if not compatible:
            self._shape_error(shapes, "inputs of the same shape")

    def _shape_error(self, shapes, expected):
        raise ValueError(
            f"{type(self).__name__} '{self.name}' needs {expected}, but received shapes "
            f"{', '.join(format_shape(shape) for shape in shapes)}. Reshape or project the inputs (e.g. with Dense "
            f"or Reshape) so their shapes agree."
        )

    def call(self, inputs):
        return functools.reduce(self.merge_pair, inputs)

    # The in-place form of merge_pair (Tensor.add_, Tensor.mul_), or None.
    in_place_merge = None

    def in_place_call(self, symbolic_inputs):
        """Merges into the first input (for a model's inference pass) when the layer has an in-place form and
        the others broadcast to the first's shape (a squeeze-and-excitation's scale)."""
        merge, first = type(self).in_place_merge, symbolic_inputs[0].shape  # (a method descriptor: from the class)
        if merge is None or not all(_broadcasts_to(other.shape, first) for other in symbolic_inputs):
            return None
        return lambda first, *others: functools.reduce(merge, others, first)

    def compute_mask(self, inputs, mask=None):
        if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        masks = [m for m in mask if m is not None]
        return functools.reduce(torch.logical_and, masks)


def _broadcasts_to(shape, target):
    return len(shape) == len(target) and all(size in (1, size_of_target) for size, size_of_target in
                                             zip(shape, target))


class Add(MergingLayer):
    """Adds a list of tensors of the same shape: Add()([a, b])."""

    in_place_merge = torch.Tensor.add_

    def merge_pair(self, a, b):
        return a + b


class Subtract(MergingLayer):
    """Subtracts the second of two tensors from the first: Subtract()([a, b]) = a - b."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Subtract '{self.name}' takes exactly 2 inputs, received {len(input_shape)}.")

    def merge_pair(self, a, b):
        return a - b


class Multiply(MergingLayer):
    """Multiplies a list of tensors elementwise."""

    in_place_merge = torch.Tensor.mul_

    def merge_pair(self, a, b):
        return a * b


class Maximum(MergingLayer):
    """The elementwise maximum of a list of tensors."""

    def merge_pair(self, a, b):
        return torch.maximum(a, b)


class Minimum(MergingLayer):
    """The elementwise minimum of a list of tensors."""

    def merge_pair(self, a, b):
        return torch.minimum(a, b)


class Average(MergingLayer):
    """The elementwise mean of a list of tensors."""

    def call(self, inputs):
        return functools.reduce(torch.add, inputs) / len(inputs)


class Concatenate(MergingLayer):
    """Concatenates a list of tensors along `axis` (default: the last axis).

    All other axes must have equal sizes. Example: Concatenate()([branch_a, branch_b]).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def check_shapes(self, shapes):
        rank = len(shapes[0])
        if any(len(shape) != rank for shape in shapes) or not -rank <= self.axis < rank:
            self._shape_error(shapes, f"inputs of the same rank with an axis {self.axis}")
        axis = self.axis % rank
        for position, sizes in enumerate(zip(*shapes)):
            if position != axis and len({size for size in sizes if size is not None}) > 1:
                self._shape_error(shapes, f"inputs whose sizes agree on every axis except the concatenation axis "
                                          f"({self.axis})")

    def call(self, inputs):
        return torch.cat(inputs, dim=self.axis)

    def compute_mask(self, inputs, mask=None):
        if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        if self.axis % inputs[0].ndim == inputs[0].ndim - 1:  # features axis: the step mask is shared
            return functools.reduce(torch.logical_and, [m for m in mask if m is not None])
        masks = [torch.ones(t.shape[:m.ndim if m is not None else t.ndim - 1], dtype=torch.bool, device=t.device)
                 if m is None else m for t, m in zip(inputs, mask)]
        return torch.cat(masks, dim=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(MergingLayer):
    """The dot product of two tensors along `axes` (per sample), optionally of their L2-normalized values.

    With normalize=True this is the cosine similarity. Inputs (batch, n) and (batch, n) with axes=1 give
    (batch, 1); (batch, m, n) and (batch, n, k) with axes=(2, 1) give (batch, m, k).
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = tuple(axes) if isinstance(axes, (list, tuple)) else int(axes)
        self.normalize = bool(normalize)

    def _axes(self, shapes):
        axes = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        return [axis % len(shape) for axis, shape in zip(axes, shapes)]

    def check_shapes(self, shapes):
        if len(shapes) != 2:
            self._shape_error(shapes, "exactly 2 inputs")
        (axis_a, axis_b), (a, b) = self._axes(shapes), shapes
        if axis_a == 0 or axis_b == 0 or (a[axis_a] is not None and b[axis_b] is not None and a[axis_a] != b[axis_b]):
            self._shape_error(shapes, f"inputs of equal size on the dot axes {self.axes} (not the batch axis)")

    def call(self, inputs):
        a, b = inputs
        axis_a, axis_b = self._axes([a.shape, b.shape])
        if self.normalize:
            a, b = F.normalize(a, dim=axis_a), F.normalize(b, dim=axis_b)
        a = a.movedim(axis_a, -1)
        b = b.movedim(axis_b, 1)
        rows, columns = a.shape[1:-1], b.shape[2:]
        product = torch.bmm(a.reshape(a.shape[0], -1, a.shape[-1]), b.reshape(b.shape[0], b.shape[1], -1))
        product = product.reshape(a.shape[0], *rows, *columns)
        return product.unsqueeze(1) if product.ndim == 1 else product

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        axes = list(self.axes) if isinstance(self.axes, tuple) else self.axes
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """Functional form of Add: add([a, b])."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of Subtract: subtract([a, b]) = a - b."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of Multiply."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of Average."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of Maximum."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of Minimum."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of Concatenate: concatenate([a, b], axis=-1)."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional form of Dot: dot([a, b], axes=1)."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


MERGE_MODES = ("sum", "mul", "concat", "ave", "max", "dot", "cos")


def merging_layer(mode, concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None, arguments=None,
                  name=None):
    """The layer a Keras 1 merge `mode` stands for; a function `mode` becomes a Lambda layer on the list."""
    if callable(mode):
        mask = None
        if output_mask is not None:
            if not callable(output_mask):
                raise TypeError(f"merge: `output_mask` must be a function of the list of input masks, received "
                                f"{type(output_mask).__name__}.")
            mask = lambda inputs, masks: output_mask(masks)  # noqa: E731 (Lambda's mask takes the inputs too)
        return Lambda(mode, output_shape=output_shape, mask=mask, arguments=arguments, name=name)
    mode = check_choice("merge mode", mode, MERGE_MODES)
    layers = {
        "sum": lambda: Add(name=name), "mul": lambda: Multiply(name=name), "ave": lambda: Average(name=name),
        "max": lambda: Maximum(name=name), "concat": lambda: Concatenate(axis=concat_axis, name=name),
        "dot": lambda: Dot(axes=dot_axes, name=name), "cos": lambda: Dot(axes=dot_axes, normalize=True, name=name),
    }
    return layers[mode]()


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None, arguments=None,
          name=None):
    """Keras 1's merge function: merge([a, b], mode='concat', concat_axis=-1).

    Modes: 'sum', 'mul', 'concat', 'ave', 'max', 'dot' (over `dot_axes`) and 'cos' (cosine similarity over
    `dot_axes`), or a function of the list of tensors (with `output_shape`, `output_mask` and `arguments` as
    Lambda's). Keras 3 code uses the layers (Concatenate, Add, ...) or their functions instead.
    """
    return merging_layer(mode, concat_axis, dot_axes, output_shape, output_mask, arguments, name)(inputs)


class Merge(Layer):
    """Keras 1's Merge layer: merges a list of tensors by `mode`; given `layers`, the outputs of those models.

    Its Keras 1 use is as the first layer of a Sequential that merges other Sequential models; the model then
    takes one input per branch input, and holds and trains the branches' weights (as Keras 1, the Merge layer
    itself has none):

        >>> left, right = Sequential([Dense(32, input_dim=784)]), Sequential([Dense(32, input_dim=784)])
        >>> model = Sequential()
        >>> model.add(Merge([left, right], mode='concat'))
        >>> model.add(Dense(10, activation='softmax'))
        >>> model.fit([x_left, x_right], y)

    Keras 2.2 removed it; Keras 3 code merges tensors of the functional API with Concatenate, Add, ...

    Args:
        layers: None, or a list of at least two models or layers (already called) whose outputs are merged.
        mode: 'sum', 'mul', 'concat', 'ave', 'max', 'dot', 'cos' (see merge()) or a function of the list of tensors.
        concat_axis, dot_axes: as in merge().
        output_shape, output_mask, arguments: for a function `mode`, as in merge().
        node_indices, tensor_indices: which call of each layer, and which of its outputs, to merge (default: the
            first; a model's own output).
    """

    supports_masking = True

    def __init__(self, layers=None, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
                 arguments=None, node_indices=None, tensor_indices=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.mode, self.concat_axis, self.dot_axes = mode, concat_axis, dot_axes
        self.output_shape_argument, self.arguments = output_shape, arguments
        self.merging = merging_layer(mode, concat_axis, dot_axes, output_shape, output_mask, arguments,
                                     name=f"{self.name}_{mode if isinstance(mode, str) else 'function'}")
        self.layers = []
        self.node_indices, self.tensor_indices = node_indices, tensor_indices
        if layers is not None:
            self._merge_layers(layers, node_indices, tensor_indices)

    def _merge_layers(self, layers, node_indices, tensor_indices):
        if not isinstance(layers, (list, tuple)) or len(layers) < 2:
            raise TypeError(f"Merge: `layers` must be a list of at least 2 models or layers, received {layers!r}.")
        outputs = []
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Merge: `layers` must hold models or layers; item {index} is a "
                                f"{type(layer).__name__}. To merge tensors, call Merge(mode=...)([a, b]) or merge().")
            node_index = node_indices[index] if node_indices else 0
            output = layer.output if node_index == 0 else layer.get_output_at(node_index)
            if isinstance(output, (list, tuple)):
                tensor_index = tensor_indices[index] if tensor_indices else None
                if tensor_index is None:
                    raise ValueError(f"Merge: layer '{layer.name}' has {len(output)} outputs; pass tensor_indices "
                                     f"to choose the one to merge.")
                output = output[tensor_index]
            outputs.append(output)
        self.layers = list(layers)  # not sublayers: the model whose graph runs them holds them
        self(outputs)

    def build(self, input_shape):
        self.merging.build(input_shape)
        self.merging.built = True

    def call(self, inputs, mask=None):
        return self.merging(inputs, mask=mask)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return self.merging.compute_output_spec(inputs)

    def compute_mask(self, inputs, mask=None):
        return self.merging.compute_mask(inputs, mask)

    def get_config(self):
        config = {**super().get_config(), "mode": self.mode if isinstance(self.mode, str) else self.mode.__name__,
                  "concat_axis": self.concat_axis, "dot_axes": self.dot_axes, "arguments": self.arguments}
        if isinstance(self.output_shape_argument, (tuple, list)):
            config["output_shape"] = list(self.output_shape_argument)
        return config  # a model's config records what the layer merges (Sequential: merged_layers_config)

    def merged_layers_config(self):
        """The `layers`, `node_indices` and `tensor_indices` arguments, for a Sequential whose first layer this is."""
        return {"layers": [serialize_layer(layer) for layer in self.layers], "node_indices": self.node_indices,
                "tensor_indices": self.tensor_indices}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The layer, merging the models or layers in config['layers'] if there are any (see merged_layers_config)."""
        config = dict(config)
        layers = [deserialize_layer(spec, custom_objects) for spec in config.pop("layers", None) or []]
        if config["mode"] not in MERGE_MODES:
            name = config["mode"]
            config["mode"] = user_object(custom_objects, name, (
                f"Merge layer '{config.get('name')}' merges with the function '{name}', which is not stored in saved "
                f"models. Pass custom_objects={{'{name}': {name}}} (and safe_mode=False to load_model)."))
        return cls(layers=layers or None, **config)
