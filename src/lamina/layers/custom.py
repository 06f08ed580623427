"""Layers that run the user's own code: Lambda (a function) and TorchModule (any torch.nn.Module)."""
import inspect

from torch import nn

from lamina.layers.base import Layer
from lamina.layers.layout import IDENTITY
from lamina.layers.symbolic import SymbolicTensor
from lamina.structure import flatten, map_structure


class Lambda(Layer):
    """Wraps a function of tensors as a layer: Lambda(lambda x: x ** 2).

    Args:
        function: called as function(inputs, **arguments) on torch tensors.
        output_shape: the output shape without the batch axis (a tuple), or a function of the input shape(s)
            (batch axis included) returning the full output shape, as in Keras. When None, the shape is
            inferred by running the function on meta tensors (no memory, no arithmetic); give it for functions
            that cannot run on meta tensors, such as ones drawing K.random_normal noise.
        mask: None, or a function (inputs, mask) -> output mask.
        arguments: extra keyword arguments for `function`.

    A model with a Lambda layer saves its weights and config, but not the function's code: load it with
    load_model(path, safe_mode=False, custom_objects={'function_name': function}).
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, received {type(function).__name__}.")
        self.function = function
        self.output_shape_argument = output_shape
        self.mask_function = mask
        self.arguments = dict(arguments or {})
        self._passes_mask = "mask" in inspect.signature(function).parameters if _has_signature(function) else False

    def call(self, inputs, mask=None):
        if self._passes_mask:
            return self.function(inputs, mask=mask, **self.arguments)
        return self.function(inputs, **self.arguments)

    def compute_output_spec(self, inputs, *args, **kwargs):
        if self.output_shape_argument is None:
            return super().compute_output_spec(inputs, *args, **kwargs)
        first = flatten(inputs)[0]
        if callable(self.output_shape_argument):
            shape = self.output_shape_argument(map_structure(lambda t: t.shape, inputs))
        else:
            shape = (first.shape[0],) + tuple(self.output_shape_argument)
        return SymbolicTensor(shape, first.dtype)

    def compute_mask(self, inputs, mask=None):
        return self.mask_function(inputs, mask) if callable(self.mask_function) else None

    def get_config(self):
        config = {**super().get_config(), "function": self.function.__name__, "arguments": self.arguments}
        if isinstance(self.output_shape_argument, (tuple, list)):
            config["output_shape"] = list(self.output_shape_argument)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.pop("function")
        function = _user_object(custom_objects, name, (
            f"Lambda layer '{config.get('name')}' needs its function '{name}', which is not stored in saved models. "
            f"Pass custom_objects={{'{name}': {name}}} (and safe_mode=False to load_model)."))
        return cls(function, **config)


def _user_object(custom_objects, name, message):
    """The object the user passed for `name` (code is never read from a file), or a ValueError with `message`."""
    found = (custom_objects or {}).get(name)
    if found is None:
        raise ValueError(message)
    return found


def _has_signature(function):
    try:
        inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return True


class TorchModule(Layer):
    """Wraps any torch.nn.Module as a lamina layer, so it can be used in Sequential and functional models.

    Its parameters are trainable weights and its floating-point buffers non-trainable weights, in the module's
    own layouts. Example: Sequential([Input((3, 32, 32)), TorchModule(torchvision.models.resnet18())]).
    A model holding one saves its weights; to load it pass custom_objects={'<module class name>': factory}, where
    factory() returns a new module of the same architecture.
    """

    def __init__(self, module, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(module, nn.Module):
            raise TypeError(f"TorchModule wraps a torch.nn.Module, received {type(module).__name__}.")
        self.module = module
        self.trainable = self._trainable
        self.built = True

    def call(self, inputs):
        return self.module(inputs)

    def _own_weights(self, trainable_records):
        if trainable_records:
            return list(self.module.parameters())
        return [buffer for buffer in self.module.buffers() if buffer.is_floating_point()]

    def _weight_layouts(self):
        return [(weight, IDENTITY) for weight in self._own_weights(True) + self._own_weights(False)]

    def _sublayers(self):
        return []

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self.module.requires_grad_(self._trainable)

    def get_config(self):
        return {**super().get_config(), "module": type(self.module).__name__}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.pop("module")
        factory = _user_object(custom_objects, name, (
            f"TorchModule layer '{config.get('name')}' wraps a '{name}', whose code is not stored in saved models. "
            f"Pass custom_objects={{'{name}': factory}}, where factory() builds a new '{name}'."))
        return cls(factory(), **config)


TorchModuleWrapper = TorchModule
