"""Keras 1 argument names, translated to Keras 3's with a one-time warning each.

A layer class lists the Keras 1 names it accepts in `legacy_arguments`; Layer wraps the class's __init__ so
those names are renamed (and their values converted) before the arguments are bound.
"""
import warnings

from lamina import config

_warned = set()


class LegacyArgumentWarning(FutureWarning):
    """A Keras 1 argument name was used; lamina translated it to the Keras 3 name."""


def _data_format(value):
    return config.normalize_data_format(value, "dim_ordering")


def _recurrent_activation(value):
    # Keras 1's hard_sigmoid is clip(0.2x + 0.5), not Keras 3's relu6(x + 3) / 6.
    return "legacy_hard_sigmoid" if value == "hard_sigmoid" else value


def _forget_bias(value):
    return value in ("one", "ones")


# Keras 1 name -> (Keras 3 name, value converter or None).
RENAMES = {
    "output_dim": ("units", None),
    "init": ("kernel_initializer", None),
    "inner_init": ("recurrent_initializer", None),
    "inner_activation": ("recurrent_activation", _recurrent_activation),
    "W_regularizer": ("kernel_regularizer", None),
    "b_regularizer": ("bias_regularizer", None),
    "U_regularizer": ("recurrent_regularizer", None),
    "W_constraint": ("kernel_constraint", None),
    "b_constraint": ("bias_constraint", None),
    "U_constraint": ("recurrent_constraint", None),
    "bias": ("use_bias", None),
    "dropout_W": ("dropout", None),
    "dropout_U": ("recurrent_dropout", None),
    "forget_bias_init": ("unit_forget_bias", _forget_bias),
    "border_mode": ("padding", None),
    "subsample": ("strides", None),
    "subsample_length": ("strides", None),
    "nb_filter": ("filters", None),
    "filter_length": ("kernel_size", None),
    "pool_length": ("pool_size", None),
    "stride": ("strides", None),
    "length": ("size", None),
    "dim_ordering": ("data_format", _data_format),
    "atrous_rate": ("dilation_rate", None),
    "p": ("rate", None),
    "sigma": ("stddev", None),
    "beta_init": ("beta_initializer", None),
    "gamma_init": ("gamma_initializer", None),
    "input_dtype": ("dtype", None),
    "consume_less": (None, None),
}


def arguments(*names, **overrides):
    """The legacy_arguments table for a layer: the named common renames plus overrides (old='new')."""
    table = {name: RENAMES[name] for name in names}
    table.update({old: (new, RENAMES.get(old, (None, None))[1]) for old, new in overrides.items()})
    return table


def convert(layer_class_name, table, kwargs):
    """Returns kwargs with the Keras 1 names in `table` replaced by their Keras 3 names."""
    if not any(key in table for key in kwargs):
        return kwargs
    converted = {}
    for key, value in kwargs.items():
        if key not in table:
            converted[key] = value
            continue
        new_name, converter = table[key]
        if (layer_class_name, key) not in _warned:
            _warned.add((layer_class_name, key))
            advice = f"use `{new_name}`" if new_name else "it has no effect and is ignored"
            warnings.warn(
                f"{layer_class_name}: `{key}` is the Keras 1 name; {advice}.", LegacyArgumentWarning, stacklevel=3
            )
        if new_name is None:
            continue
        if new_name in kwargs:
            raise TypeError(f"{layer_class_name}: pass either `{key}` (Keras 1) or `{new_name}`, not both.")
        converted[new_name] = converter(value) if converter else value
    return converted
