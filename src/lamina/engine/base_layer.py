"""The Layer base class: a torch.nn.Module with Keras's life cycle (__init__ -> build -> call -> get_config)."""
import functools
import inspect
import itertools

import numpy as np
import torch
from torch import nn

from lamina import config, constraints as constraints_module, initializers, legacy, naming, regularizers
from lamina.engine import layout as layouts
from lamina.serialization import Configurable, serialize
from lamina.structure import flatten, map_structure, pack_like

# Every layer class defined inside lamina, by class name, for from_config and model loading.
BUILTIN_LAYERS = {}


class TensorSpec:
    """A tensor's shape (None for sizes not known yet, such as the batch size) and dtype, without values.

    compute_output_spec returns these. Its subclass lamina.engine.symbolic.SymbolicTensor stands for a tensor of
    a model being defined: a layer called on one hands the call to its `record_layer_call`, which adds a node to
    the graph, so this module needs nothing of the graph.
    """

    def __init__(self, shape, dtype=None):
        self.shape = tuple(None if size is None else int(size) for size in shape)
        self.dtype = dtype if dtype is not None else config.floatx_dtype()

    @property
    def ndim(self):
        return len(self.shape)

    def record_layer_call(self, layer, *args, **kwargs):
        raise TypeError(f"Layer '{layer.name}' was called on a TensorSpec, which only describes a shape and dtype. "
                        f"Call layers on tensors from Input(...) (to define a model) or on data.")

    def __repr__(self):
        return f"<TensorSpec shape={self.shape}, dtype={str(self.dtype).replace('torch.', '')}>"


# The dtype of an Input of raw strings (Input(shape=(1,), dtype="string")): torch has no string tensors, so such
# inputs stay numpy arrays of str until a layer that reads strings (TextVectorization) turns them into tensors.
STRING = "string"


def is_symbolic(value):
    """Whether `value` stands for a tensor without values (a SymbolicTensor of a model being defined)."""
    return isinstance(value, TensorSpec)


# The sizes that stand for unknown ones (None) when shape inference runs a layer on meta tensors: two values whose
# outputs differ wherever the size matters, large enough that a network downsampling 32 times still tells them
# apart (2 and 3 would both pool to 1). Meta tensors hold no memory, so their size costs nothing.
META_FILLS = (224, 256)


def meta_tensor(spec, fill):
    """A meta-device tensor with spec's shape, unknown sizes replaced by `fill` (no memory, no compute)."""
    shape = tuple(fill if size is None else size for size in spec.shape)
    return torch.empty(shape, dtype=spec.dtype, device="meta")


class InputSpec:
    """What a layer accepts: a rank (ndim, min_ndim, max_ndim) and fixed sizes on some axes."""

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})

    def check(self, layer, shape, input_index=0):
        shape = tuple(shape)
        rank_problem = (
            (self.ndim is not None and len(shape) != self.ndim and f"ndim={self.ndim}")
            or (self.min_ndim is not None and len(shape) < self.min_ndim and f"min_ndim={self.min_ndim}")
            or (self.max_ndim is not None and len(shape) > self.max_ndim and f"max_ndim={self.max_ndim}")
        )
        if rank_problem:
            raise ValueError(
                f"Input {input_index} of layer '{layer.name}' ({type(layer).__name__}) is incompatible with the "
                f"layer: expected {rank_problem}, found ndim={len(shape)}. Full shape received: {format_shape(shape)}."
                f"{layer.rank_hint(shape)}"
            )
        for axis, size in self.axes.items():
            received = shape[axis] if -len(shape) <= axis < len(shape) else None
            if size is not None and received is not None and received != size:
                raise ValueError(
                    f"Input {input_index} of layer '{layer.name}' ({type(layer).__name__}) is incompatible with "
                    f"the layer: expected axis {axis} of the input to have size {size}, but received an input "
                    f"of shape {format_shape(shape)}. The layer's weights were created for inputs of size {size} "
                    f"on that axis; use a new layer for inputs of another size."
                )


def format_shape(shape):
    """A shape as Python writes a tuple, with None for unknown sizes: (None, 3)."""
    return "(" + ", ".join("None" if size is None else str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def accepted_call_arguments(layer_class):
    """Which of `training` and `mask` a layer class's call() accepts, cached on the class itself (a module-level
    table would keep every user-defined layer class, and the namespace of the script or notebook that defined
    it, alive for the whole session)."""
    accepted = layer_class.__dict__.get("_accepted_call_arguments")
    if accepted is None:
        parameters = inspect.signature(layer_class.call).parameters
        accepts_any = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
        accepted = ("training" in parameters or accepts_any), ("mask" in parameters or accepts_any)
        layer_class._accepted_call_arguments = accepted
    return accepted


class _WeightRecord:
    def __init__(self, layout, regularizer, constraint, trainable):
        self.layout, self.regularizer, self.constraint, self.trainable = layout, regularizer, constraint, trainable


class Layer(nn.Module, Configurable):
    """Base class of all layers.

    A subclass stores its configuration in __init__ (no weights), creates weights in build(input_shape) with
    add_weight, computes in call(inputs, training=None, mask=None), and describes itself in get_config().
    Called on SymbolicTensors (from Input) it records a node of a model graph; called on torch tensors it
    computes. `training=None` follows the module's own mode (`layer.train()` / `layer.eval()`).

    Example:
        >>> class Scale(Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")
        ...     def call(self, inputs):
        ...         return inputs * self.scale
    """

    # Keras 1 argument names this layer accepts (see lamina.legacy.arguments).
    legacy_arguments = {}
    # Whether the layer passes an incoming mask on unchanged (compute_mask's default).
    supports_masking = False
    # Whether every output is shaped as the (single) input: shape inference then skips the meta-tensor call.
    keeps_input_spec = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("lamina."):
            BUILTIN_LAYERS[cls.__name__] = cls
        if "__init__" in cls.__dict__ and cls.legacy_arguments:
            original = cls.__init__

            # Warnings and the table are the instance's class's, so subclasses need no __init__ of their own.
            @functools.wraps(original)
            def __init__(self, *args, **kwargs):
                layer_class = type(self)
                original(self, *args, **legacy.convert(layer_class.__name__, layer_class.legacy_arguments, kwargs))

            cls.__init__ = __init__

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, batch_shape=None, activity_regularizer=None, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                f"Check the spelling against the layer's documentation."
            )
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = dtype if isinstance(dtype, str) or dtype is None else str(dtype).replace("torch.", "")
        self.built = False
        self.input_spec = None
        self._weight_records = {}
        self._inbound_nodes = []
        self._activity_losses = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._batch_input_shape = _batch_input_shape(input_shape, input_dim, batch_input_shape, batch_shape,
                                                     batch_size)

    # ---------------------------------------------------------------- life cycle, for subclasses to override
    def build(self, input_shape):
        """Creates the layer's weights for inputs of `input_shape` (batch axis included, as None)."""

    def call(self, inputs, *args, **kwargs):
        """The layer's computation on torch tensors."""
        return inputs

    def get_config(self):
        config_ = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype or config.floatx()}
        if self._batch_input_shape is not None:
            config_["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config_["activity_regularizer"] = serialize(self.activity_regularizer)
        return config_

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input mask if the layer supports masking, else None."""
        return mask if self.supports_masking else None

    def rank_hint(self, shape):
        """Extra advice appended to a wrong-rank error (e.g. 'add Flatten()')."""
        return ""

    # ---------------------------------------------------------------- weights
    def add_weight(self, name_or_shape=None, /, shape=None, initializer=None, trainable=True, regularizer=None,
                   constraint=None, dtype=None, layout=None, name=None):
        """Creates a weight, registered as a parameter (trainable) or a buffer (non-trainable).

        The first arguments may be given by position in lamina's and Keras 2.2's order, `(name, shape)`, or in
        Keras 1's, `(shape, initializer, name, trainable, regularizer, constraint)`: add_weight((3, 2), "uniform",
        "W"). Keras 3's `add_weight(shape=..., initializer=..., name=...)` by keyword works too.

        Args:
            name: attribute name of the weight on the layer.
            shape: shape in Keras's layout (what get_weights returns).
            initializer: name, initializer object or callable (shape, dtype) -> tensor, or Keras 1's
                (shape, name=None) -> tensor, called with name='<layer name>_<weight name>' as Keras 1 layers
                did ('glorot_uniform' when None).
            trainable: False for state such as BatchNormalization's moving mean.
            regularizer, constraint: names or objects (see lamina.regularizers, lamina.constraints).
            layout: lamina.layers.layout object when the weight is stored in another layout than Keras's.
        """
        if isinstance(name_or_shape, str) or name_or_shape is None:
            name = name or name_or_shape
        elif shape is None:  # Keras 1 and 3: the shape first, the rest by keyword
            shape = name_or_shape
        else:  # Keras 1: (shape, initializer, name, ...) by position
            shape, initializer, name = name_or_shape, shape, name or initializer
        initializer = "glorot_uniform" if initializer is None else initializer
        shape = () if shape is None else (shape,) if isinstance(shape, int) else shape
        name = self._free_weight_name(name or "variable")
        layout = layout or layouts.IDENTITY
        dtype = dtype or self.dtype
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype or config.floatx_dtype()
        value = initializers.initial_value(initializer, tuple(shape), dtype, name=f"{self.name}_{name}")
        value = layout.from_keras(torch.as_tensor(value))
        self.__dict__.pop(name, None)  # a placeholder such as `self.bias = None` set in __init__
        if trainable:
            weight = nn.Parameter(value, requires_grad=self.trainable)
            self.register_parameter(name, weight)
        else:
            self.register_buffer(name, value)
            weight = getattr(self, name)
        self._weight_records[name] = _WeightRecord(
            layout, regularizers.get(regularizer), constraints_module.get(constraint), trainable
        )
        return weight

    def _free_weight_name(self, name):
        candidate, count = name, 0
        while candidate in self._weight_records or candidate in self._modules or hasattr(type(self), candidate):
            count += 1
            candidate = f"{name}_{count}"
        return candidate

    def __setattr__(self, name, value):
        # `self.w = self.add_weight("kernel", ...)`: the weight is renamed to the attribute it is stored in,
        # so it stays registered once (one state_dict entry) under the name the code uses.
        records = self.__dict__.get("_weight_records", {})
        if isinstance(value, torch.Tensor) and name not in records:
            registered = {**self.__dict__.get("_parameters", {}), **self.__dict__.get("_buffers", {})}
            old_name = next((key for key, tensor in registered.items() if tensor is value and key in records), None)
            if old_name is not None:
                self._rename_weight(old_name, name)
                return
        super().__setattr__(name, value)

    def _rename_weight(self, old_name, new_name):
        store = self._parameters if old_name in self._parameters else self._buffers
        value = store.pop(old_name)
        self.__dict__.pop(new_name, None)
        self._weight_records = {new_name if key == old_name else key: record
                                for key, record in self._weight_records.items()}
        if store is self._parameters:
            self.register_parameter(new_name, value)
        else:
            self.register_buffer(new_name, value)

    def _own_weights(self, trainable_records):
        return [getattr(self, name) for name, record in self._weight_records.items()
                if record.trainable == trainable_records]

    def _sublayers(self):
        return [module for module in self.children() if isinstance(module, Layer)]

    @property
    def weights(self):
        """All weights: this layer's trainable-created ones, its non-trainable ones, then its sublayers'."""
        return _unique(self._own_weights(True) + self._own_weights(False)
                       + [w for layer in self._sublayers() for w in layer.weights])

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return _unique(self._own_weights(True) + [w for layer in self._sublayers() for w in layer.trainable_weights])

    @trainable_weights.setter
    def trainable_weights(self, weights):
        """Keras 1's `self.trainable_weights = [self.W, self.b]` in build(): registers these tensors (created with
        K.variable, which makes nn.Parameters) as trainable weights of the layer."""
        for weight in weights:
            if not isinstance(weight, nn.Parameter):
                raise TypeError(
                    f"Layer '{self.name}': trainable_weights must be nn.Parameters (what K.variable and add_weight "
                    f"return), received {type(weight).__name__}. Create the weight with K.variable(value)."
                )
            self._record_weight(weight, trainable=True)

    @property
    def non_trainable_weights(self):
        trainable_ids = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable_ids]

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        """Keras 1's `self.non_trainable_weights = [...]`: registers these tensors as state the optimizer leaves
        alone (saved with the layer, no gradient)."""
        for weight in weights:
            self._record_weight(weight, trainable=False)

    def _record_weight(self, weight, trainable):
        registered = {**self._parameters, **self._buffers}
        name = next((key for key, value in registered.items() if value is weight), None)
        if name is None:
            name = self._free_weight_name("variable")
        else:
            (self._parameters if name in self._parameters else self._buffers).pop(name)
        # K.variable creates on lamina's device; a layer's weights live where its other weights are.
        device = next((w.device for w in itertools.chain(self.parameters(), self.buffers()) if w is not weight),
                      torch.get_default_device())
        weight.data = weight.data.to(device)
        if trainable:
            self.register_parameter(name, weight.requires_grad_(self.trainable))
        else:
            self.register_buffer(name, weight.requires_grad_(False))
        # A weight add_weight made keeps its layout, regularizer and constraint (Keras 1 code may list it too).
        previous = self._weight_records.get(name)
        if previous is None:
            self._weight_records[name] = _WeightRecord(layouts.IDENTITY, None, None, trainable)
        else:
            previous.trainable = trainable

    def _weight_layouts(self):
        """(weight, layout) pairs in the order of `weights`."""
        pairs = [(getattr(self, name), record.layout) for trainable in (True, False)
                 for name, record in self._weight_records.items() if record.trainable == trainable]
        pairs += [pair for layer in self._sublayers() for pair in layer._weight_layouts()]
        seen, unique_pairs = set(), []
        for weight, weight_layout in pairs:
            if id(weight) not in seen:
                seen.add(id(weight))
                unique_pairs.append((weight, weight_layout))
        return unique_pairs

    def count_params(self):
        """Number of weight values (trainable and not)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' has no weights yet: it is built on its first call. Call it on an input "
                f"(or give the model an input shape) before counting parameters."
            )
        return sum(w.numel() for w in self.weights)

    def get_weights(self):
        """The weights as numpy arrays in Keras 3's layouts (Dense kernel (in, out), Conv2D (kh, kw, in, out))."""
        return [weight_layout.to_keras(w.detach()).cpu().numpy().copy() for w, weight_layout in self._weight_layouts()]

    def set_weights(self, weights):
        """Sets the weights from numpy arrays in Keras 3's layouts, in the order get_weights returns."""
        pairs = self._weight_layouts()
        if len(weights) != len(pairs):
            raise ValueError(
                f"Layer '{self.name}' expects {len(pairs)} weight arrays "
                f"(shapes {[tuple(layout_.to_keras(w).shape) for w, layout_ in pairs]}), but received "
                f"{len(weights)}. Pass the list that get_weights() returns for this architecture."
            )
        converted = []
        for index, ((weight, weight_layout), value) in enumerate(zip(pairs, weights)):
            expected = tuple(weight_layout.to_keras(weight).shape)
            value = np.asarray(value)
            if tuple(value.shape) != expected:
                raise ValueError(
                    f"Layer '{self.name}' weight {index} has shape {expected} (Keras layout), but the array "
                    f"given has shape {tuple(value.shape)}."
                )
            tensor = torch.as_tensor(value, dtype=weight.dtype)
            converted.append((weight, weight_layout.from_keras(tensor)))
        with torch.no_grad():
            for weight, value in converted:
                weight.copy_(value)

    def apply_constraints(self):
        """Projects each constrained weight (called by the trainer after every optimizer step)."""
        with torch.no_grad():
            for name, record in self._weight_records.items():
                if record.constraint is not None:
                    weight = getattr(self, name)
                    keras_view = record.layout.to_keras(weight)
                    weight.copy_(record.layout.from_keras(record.constraint(keras_view)))
        for layer in self._sublayers():
            layer.apply_constraints()

    @property
    def losses(self):
        """Regularization penalties of this layer and its sublayers, as scalar tensors."""
        penalties = [record.regularizer(getattr(self, name)) for name, record in self._weight_records.items()
                     if record.regularizer is not None]
        penalties += self._activity_losses
        return penalties + [loss for layer in self._sublayers() for loss in layer.losses]

    def add_loss(self, loss):
        """Adds a loss tensor computed in call() (e.g. an activity penalty) for the current step."""
        self._activity_losses.append(loss)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for name, record in self._weight_records.items():
            if record.trainable:
                getattr(self, name).requires_grad_(self._trainable)
        for layer in self._sublayers():
            layer.trainable = value

    # ---------------------------------------------------------------- calling
    def __call__(self, *args, **kwargs):
        symbolic = next((leaf for leaf in flatten([list(args), kwargs]) if is_symbolic(leaf)), None)
        if symbolic is not None:
            return symbolic.record_layer_call(self, *args, **kwargs)
        inputs = _to_tensors(args[0]) if args else kwargs.pop("inputs")
        if not self.built:
            self._build_for(inputs)
        if self.input_spec is not None:
            self._check_input_spec(map_structure(lambda t: tuple(t.shape), inputs))
        mask = kwargs.pop("mask", None)
        if mask is None:
            mask = _attached_mask(inputs)
        outputs = super().__call__(inputs, *args[1:], **self._call_kwargs(kwargs, mask))
        output_mask = self.compute_mask(inputs, mask)
        if output_mask is not None or mask is not None:
            _attach_mask(outputs, output_mask)
        return outputs

    def forward(self, inputs, *args, **kwargs):
        outputs = self.call(inputs, *args, **kwargs)
        if self.activity_regularizer is not None:
            for output in flatten(outputs):
                self.add_loss(self.activity_regularizer(output))
        return outputs

    def _call_kwargs(self, kwargs, mask):
        """kwargs for call(): `training` resolved from the module mode, `mask` when given; only if accepted."""
        accepts_training, accepts_mask = accepted_call_arguments(type(self))
        kwargs = dict(kwargs)
        if accepts_training:
            if kwargs.get("training") is None:
                kwargs["training"] = self.training
        else:
            kwargs.pop("training", None)
        if accepts_mask and mask is not None:
            kwargs["mask"] = mask
        return kwargs

    def _build_for(self, inputs):
        # A declared input_shape matters only to the first layer of a Sequential (as in Keras), not here.
        self.build(map_structure(lambda t: (None,) + tuple(t.shape[1:]), inputs))
        self.built = True
        device = next((t.device for t in flatten(inputs) if isinstance(t, torch.Tensor)), None)
        if device is not None and device.type != "cpu":
            self.to(device)

    def _check_input_spec(self, shapes):
        specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
        shape_list = shapes if isinstance(shapes, list) and specs and len(specs) > 1 else [shapes]
        for index, (spec, shape) in enumerate(zip(specs, shape_list)):
            if spec is not None:
                spec.check(self, shape, index)

    def symbolic_output_specs(self, inputs, *args, **kwargs):
        """The output specs of a call on symbolic inputs, after building the layer and checking its input spec
        (what a model graph records when the layer is called on Input tensors)."""
        for leaf in flatten(inputs):
            if not is_symbolic(leaf):
                raise TypeError(
                    f"Layer '{self.name}' was called on a mix of symbolic tensors (from Input) and other values "
                    f"({type(leaf).__name__}). When defining a model, pass only tensors produced by Input or "
                    f"by other layers."
                )
        shapes = map_structure(lambda t: t.shape, inputs)
        if not self.built:
            self.build(shapes)
            self.built = True
        if self.input_spec is not None:
            self._check_input_spec(shapes)
        return self.compute_output_spec(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        """Output shape(s) for an input shape; by default found by running call() on meta tensors."""
        specs = _specs_from_shapes(tuple(input_shape) if _is_shape(input_shape) else input_shape, None)
        return map_structure(lambda t: t.shape, self.compute_output_spec(specs))

    def compute_output_spec(self, inputs, *args, **kwargs):
        """TensorSpecs of the outputs for TensorSpecs of the inputs, found by running call() on meta-device tensors.

        Sizes that are unknown (None) are filled with two different values; output sizes that change with
        them are unknown too. No memory is allocated and no arithmetic is done.
        """
        if self.keeps_input_spec and isinstance(inputs, TensorSpec):
            return TensorSpec(inputs.shape, inputs.dtype)
        overridden = type(self).compute_output_shape is not Layer.compute_output_shape
        # Keras 1 layers name the method get_output_shape_for.
        shape_function = self.compute_output_shape if overridden else getattr(self, "get_output_shape_for", None)
        if shape_function is not None:
            shapes = shape_function(map_structure(lambda t: t.shape, inputs))
            shapes = tuple(shapes) if _is_shape(shapes) else shapes
            return _specs_from_shapes(shapes, flatten(inputs)[0].dtype)
        if any(is_symbolic(leaf) and leaf.dtype == STRING for leaf in flatten([inputs, list(args)])):
            raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) cannot take strings: a string Input "
                            f"must go through a layer that reads text first, e.g. TextVectorization.")
        first, second = (self._meta_outputs(inputs, args, kwargs, fill) for fill in META_FILLS)
        return pack_like(first, [
            TensorSpec(tuple(a if a == b else None for a, b in zip(x.shape, y.shape)), x.dtype)
            for x, y in zip(flatten(first), flatten(second))
        ])

    def _meta_outputs(self, inputs, args, kwargs, fill):
        meta_inputs = map_structure(lambda spec: meta_tensor(spec, fill), inputs)
        meta_args = map_structure(lambda v: meta_tensor(v, fill) if is_symbolic(v) else v, list(args))
        meta_kwargs = {key: map_structure(lambda v: meta_tensor(v, fill) if is_symbolic(v) else v, value)
                       for key, value in kwargs.items() if key != "mask"}
        meta_kwargs["training"] = False
        meta_state = {key: value.to("meta") for key, value in
                      itertools.chain(self.named_parameters(), self.named_buffers())}
        with torch.no_grad():
            try:
                return torch.func.functional_call(
                    self, meta_state, (meta_inputs, *meta_args), self._call_kwargs(meta_kwargs, None)
                )
            except (RuntimeError, IndexError) as error:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) cannot be applied to an input of shape "
                    f"{map_structure(lambda t: format_shape(t.shape), inputs)}: {error}"
                ) from error

    # ---------------------------------------------------------------- graph properties
    def _node_attribute(self, attribute, node_index=0):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has not been called on a symbolic input yet, so it has no `{attribute}`. "
                f"Call it on the output of Input(...) or of another layer first."
            )
        count = len(self._inbound_nodes)
        if isinstance(node_index, bool) or not isinstance(node_index, int) or not -count <= node_index < count:
            raise ValueError(
                f"Layer '{self.name}' was called {count} time(s) on symbolic inputs, so node_index must be an int "
                f"from 0 to {count - 1}; received {node_index!r}. Node 0 is its first call."
            )
        node = self._inbound_nodes[node_index]
        if attribute == "input":
            return node.args[0]
        return node.outputs

    def get_input_at(self, node_index):
        """Keras 1/2: the symbolic input of the layer's `node_index`-th call in a model graph (0: the first)."""
        return self._node_attribute("input", node_index)

    def get_output_at(self, node_index):
        """Keras 1/2: the symbolic output of the layer's `node_index`-th call (`layer.output` is call 0's)."""
        return self._node_attribute("output", node_index)

    def get_input_shape_at(self, node_index):
        return map_structure(lambda t: t.shape, self.get_input_at(node_index))

    def get_output_shape_at(self, node_index):
        return map_structure(lambda t: t.shape, self.get_output_at(node_index))

    @property
    def input(self):
        """The symbolic input of the layer's first call in a model graph."""
        return self._node_attribute("input")

    @property
    def output(self):
        """The symbolic output of the layer's first call in a model graph."""
        return self._node_attribute("output")

    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self.output)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _unique(weights):
    seen, result = set(), []
    for weight in weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            result.append(weight)
    return result


def _batch_input_shape(input_shape, input_dim, batch_input_shape, batch_shape, batch_size):
    if batch_input_shape is not None or batch_shape is not None:
        return tuple(batch_input_shape if batch_input_shape is not None else batch_shape)
    if input_shape is None and input_dim is not None:
        input_shape = (input_dim,)
    if input_shape is None:
        return None
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    return (batch_size,) + tuple(input_shape)


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(size is None or isinstance(size, int) for size in value)


def _specs_from_shapes(shapes, dtype):
    if isinstance(shapes, tuple) and _is_shape(shapes):
        return TensorSpec(shapes, dtype)
    return [_specs_from_shapes(shape, dtype) for shape in shapes]


def _to_tensors(inputs):
    """numpy arrays (and lists of them) to torch tensors; floats in floatx. Arrays of strings (for
    TextVectorization) stay as they are."""
    def convert(value):
        if isinstance(value, np.ndarray) and value.dtype.kind not in "OUS":
            tensor = torch.from_numpy(value)
            return tensor.to(config.floatx_dtype()) if tensor.is_floating_point() else tensor
        return value
    return map_structure(convert, inputs)


def _attached_mask(inputs):
    if isinstance(inputs, torch.Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def _attach_mask(outputs, mask):
    tensors = flatten(outputs)
    masks = mask if isinstance(mask, list) and len(mask) == len(tensors) else [mask] * len(tensors)
    for tensor, tensor_mask in zip(tensors, masks):
        if isinstance(tensor, torch.Tensor):
            tensor._keras_mask = tensor_mask
