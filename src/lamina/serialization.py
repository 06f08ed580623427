"""The config protocol shared by initializers, regularizers, constraints and layers."""


class Configurable:
    """An object rebuilt from the JSON-able dict its get_config() returns."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def serialize(obj):
    """{'class_name': ..., 'config': ...} for a Configurable, None for None."""
    if obj is None:
        return None
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


_REGISTERED = {}


def register_serializable(package="Custom", name=None):
    """Class decorator (or function decorator) making a custom layer, loss or metric loadable by name.

    Example:
        >>> @lamina.saving.register_serializable()
        ... class Scale(lamina.layers.Layer): ...
        >>> lamina.models.load_model("model.lamina")   # finds Scale without custom_objects
    """
    def register(obj):
        key = name or obj.__name__
        _REGISTERED[key] = obj
        _REGISTERED[f"{package}>{key}"] = obj
        return obj

    return register


register_keras_serializable = register_serializable


def get_registered_objects():
    """The objects registered with @register_serializable, by name."""
    return dict(_REGISTERED)


def user_object(custom_objects, name, message):
    """The object the user passed for `name` in custom_objects (code is never read from a file), or a
    ValueError with `message`."""
    found = (custom_objects or {}).get(name)
    if found is None:
        raise ValueError(message)
    return found
