"""Lambda: a function of tensors as a layer. Arithmetic on symbolic tensors adds these to a model graph."""
import inspect

from lamina.engine.base_layer import Layer, TensorSpec
from lamina.serialization import user_object
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
        return TensorSpec(shape, first.dtype)

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
        function = user_object(custom_objects, name, (
            f"Lambda layer '{config.get('name')}' needs its function '{name}', which is not stored in saved models. "
            f"Pass custom_objects={{'{name}': {name}}} (and safe_mode=False to load_model)."))
        return cls(function, **config)


def _has_signature(function):
    try:
        inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return True
