"""A model's compile settings as JSON-able config (saved in model files), and back to compile() arguments."""
from lamina import losses, metrics, optimizers


def compile_config(model):
    """The settings model.compile() was given: names, object configs or function names."""
    return {"optimizer": _serialize(model.optimizer), "loss": _serialize(model.loss),
            "metrics": _serialize(model._metric_specs_given),
            "loss_weights": _serialize(model._loss_weights_given)}


def compile_arguments(config, objects):
    """compile() arguments from saved settings; custom names and configs resolved through `objects`.

    A saved object config ({'class_name', 'config'}) becomes the object here: left as a dict, compile() would
    take it for a per-output mapping.
    """

    def resolve(spec, get):
        if isinstance(spec, str) and spec in objects:
            return objects[spec]
        if isinstance(spec, dict) and spec.get("class_name") in objects:
            return objects[spec["class_name"]].from_config(spec.get("config", {}))
        if isinstance(spec, dict) and "class_name" in spec:
            return get(spec)
        if isinstance(spec, list):
            return [resolve(item, get) for item in spec]
        if isinstance(spec, dict):
            return {key: resolve(value, get) for key, value in spec.items()}
        return spec

    getters = {"optimizer": optimizers.get, "loss": losses.get, "metrics": metrics.get}
    return {key: resolve(value, getters.get(key)) for key, value in config.items() if value is not None}


def _serialize(spec):
    if spec is None or isinstance(spec, (str, int, float, bool)):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize(item) for item in spec]
    if isinstance(spec, dict):
        return {key: _serialize(value) for key, value in spec.items()}
    if hasattr(spec, "get_config"):
        return {"class_name": type(spec).__name__, "config": spec.get_config()}
    name = getattr(spec, "__name__", None)
    if name:
        return name
    raise ValueError(f"Cannot save the compile setting {spec!r}; use a name, a lamina object or a named function.")
