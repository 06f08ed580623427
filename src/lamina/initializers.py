"""Weight initializers with Keras names, defaults and fan conventions.

An initializer is called with a shape in Keras's layout (a Dense kernel is (in, out), a Conv2D kernel
(kh, kw, in, out)), so fan-in and fan-out are Keras's; layers convert the result to their PyTorch layout.

Example:
    >>> from lamina import initializers
    >>> initializers.get("glorot_uniform")((2, 3)).shape
    torch.Size([2, 3])
"""
import inspect
import math

import numpy as np
import torch

from lamina import config
from lamina.identifiers import resolve
from lamina.serialization import Configurable


def compute_fans(shape):
    """Keras's fan-in and fan-out for a Keras-layout shape."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _dtype(dtype):
    return dtype if dtype is not None else config.floatx_dtype()


class Initializer(Configurable):
    """Base class: `initializer(shape, dtype=None)` returns a new tensor."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return torch.full(tuple(shape), float(self.value), dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        tensor = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return tensor.normal_(self.mean, self.stddev, generator=_generator(self.seed))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal values redrawn when more than two standard deviations from the mean."""

    def __call__(self, shape, dtype=None):
        tensor = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return _truncated_normal(tensor, self.mean, self.stddev, self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        tensor = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return tensor.uniform_(self.minval, self.maxval, generator=_generator(self.seed))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(Initializer):
    """Values with variance scale / n, n being fan_in, fan_out or their average."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, received {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', received {mode!r}.")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            raise ValueError(
                "VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', "
                f"received {distribution!r}."
            )
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        tensor = torch.empty(tuple(shape), dtype=_dtype(dtype))
        generator = _generator(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return tensor.uniform_(-limit, limit, generator=generator)
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated to [-2, 2].
            return _truncated_normal(tensor, 0.0, math.sqrt(variance) / 0.87962566103423978, self.seed)
        return tensor.normal_(0.0, math.sqrt(variance), generator=generator)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _fixed_variance_scaling(name, scale, mode, distribution):
    class Fixed(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

        def get_config(self):
            return {"seed": self.seed}

    Fixed.__name__ = Fixed.__qualname__ = name
    Fixed.__doc__ = f"VarianceScaling(scale={scale}, mode='{mode}', distribution='{distribution}')."
    return Fixed


GlorotUniform = _fixed_variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _fixed_variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _fixed_variance_scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _fixed_variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _fixed_variance_scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _fixed_variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix over the last axis, times gain."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2, received {shape}.")
        rows, columns = math.prod(shape[:-1]), shape[-1]
        flat = torch.empty(max(rows, columns), min(rows, columns), dtype=torch.float64)
        flat.normal_(0.0, 1.0, generator=_generator(self.seed))
        q, r = torch.linalg.qr(flat)
        q = q * torch.sign(torch.diagonal(r))
        if rows < columns:
            q = q.T
        return (self.gain * q).reshape(shape).to(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, received {tuple(shape)}.")
        return self.gain * torch.eye(*shape, dtype=_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


def _generator(seed, device="cpu"):
    """A generator on `device` seeded with `seed`, or None (torch's global generator) when seed is None."""
    if seed is None:
        return None
    return torch.Generator(device).manual_seed(int(seed))


def _truncated_normal(tensor, mean, stddev, seed):
    generator = _generator(seed)
    tensor.normal_(0.0, 1.0, generator=generator)
    outside = tensor.abs() > 2.0
    while outside.any():
        tensor[outside] = torch.empty(int(outside.sum()), dtype=tensor.dtype).normal_(0.0, 1.0, generator=generator)
        outside = tensor.abs() > 2.0
    return tensor.mul_(stddev).add_(mean)


INITIALIZERS = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
    "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal, "identity": Identity,
}


def get(identifier):
    """Returns an initializer for a name ('glorot_uniform'), a config dict, a class, an instance or a callable.

    A callable may be Keras 3's (shape, dtype=None) -> tensor or Keras 1's (shape, name=None) -> variable (for
    example `def my_init(shape, name=None): return initializations.normal(shape, scale=0.01, name=name)`).
    """
    initializer = resolve("initializer", identifier, INITIALIZERS, base_class=Initializer)
    if isinstance(initializer, Initializer) or _accepts(initializer, "dtype"):
        return initializer
    return Keras1Function(initializer)


def initial_value(identifier, shape, dtype=None, name=None):
    """A new weight's value: Keras 3 initializers are called as (shape, dtype), Keras 1 functions as
    (shape, name=name), as Keras 1 layers called their `init` (name: the weight's full name, e.g. 'dense_1_kernel')."""
    initializer = get(identifier)
    if isinstance(initializer, Keras1Function):
        return initializer(shape, dtype, name=name)
    return initializer(shape, dtype=dtype)


def _accepts(function, argument):
    """Whether `function` takes a keyword `argument` (or any keyword); True when its signature is unknown."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True
    return argument in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


class Keras1Function:
    """A Keras 1 initializer function, `function(shape, name=None)` returning a variable, tensor or array.

    Keras 1 layers called it as `init(shape, name=...)`, so functions such as the IRNN example's
    `lambda shape, name: normal(shape, scale=0.001, name=name)` require the name; one without a `name` parameter is
    called with the shape alone.
    """

    def __init__(self, function):
        self.function = function
        self._takes_name = _accepts(function, "name")

    def get_config(self):
        name = getattr(self.function, "__name__", type(self.function).__name__)
        raise TypeError(
            f"The Keras 1 initializer function '{name}' has no config, so a layer using it cannot be saved with "
            f"save() or to_json(). Save the weights with save_weights() and rebuild the model in code, or pass an "
            f"initializer object (e.g. initializers.RandomNormal(stddev=0.001), initializers.Identity())."
        )

    def __call__(self, shape, dtype=None, name=None):
        shape = tuple(shape)
        value = self.function(shape, name=name) if self._takes_name else self.function(shape)
        value = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
        return value.to(dtype=_dtype(dtype), device=torch.get_default_device())
