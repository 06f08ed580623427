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
