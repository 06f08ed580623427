"""Automatic, unique layer and model names: dense, dense_1, dense_2, ..."""
import re

_counts = {}


def to_snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """'base' the first time, then 'base_1', 'base_2', ... for this session."""
    count = _counts.get(base, 0)
    _counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def reset():
    """Restarts the numbering (lamina.backend.clear_session)."""
    _counts.clear()


def module_key(name):
    """The key of a layer named `name` among its model's torch submodules (and its weights' names): torch refuses
    dots in module names, which Keras's model names have ('mobilenetv2_1.00_224'), so they become underscores."""
    return name.replace(".", "_")
