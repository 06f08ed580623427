"""Loss functions with Keras names and semantics.

A loss object is called as loss(y_true, y_pred, sample_weight=None) and returns a scalar: the mean over the batch
of the per-sample losses (each weighted by its sample weight), as Keras's 'sum_over_batch_size' reduction.
The functions (mean_squared_error, ...) return the per-sample losses.

Crossentropy after a sigmoid or softmax output is computed from that output's logits (activations attach them),
so saturated outputs give finite losses and exact gradients.

Example:
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> model.compile(optimizer="adam", loss=losses.CategoricalCrossentropy(label_smoothing=0.1))
"""
import math

import torch
import torch.nn.functional as F

from lamina import config
from lamina.identifiers import check_choice, resolve
from lamina.naming import to_snake_case
from lamina.serialization import Configurable

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


def align_ranks(y_true, y_pred):
    """y_true as a tensor of y_pred's dtype and rank, when they differ only by a trailing axis of size 1."""
    if not (isinstance(y_true, torch.Tensor) and y_true.dtype == y_pred.dtype and y_true.device == y_pred.device):
        y_true = torch.as_tensor(y_true, device=y_pred.device).to(y_pred.dtype)  # costs ~5 us even when a no-op
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true.unsqueeze(-1)
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return y_true


def broadcast_weight(weight, values, dtype=None):
    """Per-sample weights as a tensor on values' device (of `dtype`, default values') that broadcasts against
    `values` (batch axis first)."""
    weight = torch.as_tensor(weight, device=values.device, dtype=dtype or values.dtype)
    while weight.ndim > values.ndim and weight.shape[-1] == 1:
        weight = weight.squeeze(-1)
    return weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))


def keyword_class_init(base_init, function, default_name, own_arguments, order, **defaults):
    """The __init__ of a Keras class around a function with keyword defaults (MeanSquaredError(),
    BinaryCrossentropy(from_logits=True), BinaryAccuracy(threshold=0.7), ...).

    `own_arguments` are the base class's ('reduction', 'name', 'dtype' for losses; 'name', 'dtype' for metrics);
    the others go to the function. `order` is the positional order of all of them, as in the Keras class's
    signature.
    """
    def __init__(self, *positional, **arguments):
        if len(positional) > len(order):
            raise TypeError(f"{type(self).__name__} takes at most {len(order)} positional arguments "
                            f"({', '.join(order)}), received {len(positional)}.")
        for key, value in zip(order, positional):
            if key in arguments:
                raise TypeError(f"{type(self).__name__} got multiple values for argument '{key}'.")
            arguments[key] = value
        unknown = set(arguments) - set(defaults) - set(own_arguments)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)}; it accepts "
                            f"{sorted(defaults) + list(own_arguments)}.")
        own = {"name": default_name, **{key: arguments.pop(key) for key in own_arguments if key in arguments}}
        base_init(self, function, **own, **{**defaults, **arguments})

    return __init__


def _logits(y_pred, activation):
    """The logits a sigmoid/softmax output was computed from, or None."""
    if getattr(y_pred, "_keras_activation", None) == activation:
        return y_pred._keras_logits
    return None


def mean_squared_error(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    return (y_pred - y_true).square().mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    return (y_pred - y_true).abs().mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    return 100.0 * ((y_true - y_pred).abs() / y_true.abs().clamp_min(config.epsilon())).mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    epsilon = config.epsilon()
    return (torch.log1p(y_pred.clamp_min(epsilon)) - torch.log1p(y_true.clamp_min(epsilon))).square().mean(dim=-1)


def _hinge_labels(y_true):
    """Labels in {0, 1} become {-1, 1}, as Keras does for the hinge losses."""
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    y_true = _hinge_labels(align_ranks(y_true, y_pred))
    return (1.0 - y_true * y_pred).clamp_min(0.0).mean(dim=-1)


def squared_hinge(y_true, y_pred):
    y_true = _hinge_labels(align_ranks(y_true, y_pred))
    return (1.0 - y_true * y_pred).clamp_min(0.0).square().mean(dim=-1)


def categorical_hinge(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    positive = (y_true * y_pred).sum(dim=-1)
    negative = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return (negative - positive + 1.0).clamp_min(0.0)


def kl_divergence(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred).clamp(config.epsilon(), 1.0)
    y_pred = y_pred.clamp(config.epsilon(), 1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(dim=-1)


def poisson(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    return (y_pred - y_true * torch.log(y_pred + config.epsilon())).mean(dim=-1)


def _l2_normalize(x, axis):
    return x * torch.rsqrt(x.square().sum(dim=axis, keepdim=True).clamp_min(1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """The negative cosine similarity (a loss: -1 is best), as Keras 3."""
    y_true = align_ranks(y_true, y_pred)
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


def huber(y_true, y_pred, delta=1.0):
    y_true = align_ranks(y_true, y_pred)
    error = (y_pred - y_true).abs()
    return torch.where(error <= delta, 0.5 * error.square(), delta * error - 0.5 * delta ** 2).mean(dim=-1)


def log_cosh(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    error = y_pred - y_true
    return (error + F.softplus(-2.0 * error) - math.log(2.0)).mean(dim=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true = align_ranks(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else _logits(y_pred, "sigmoid")
    if logits is not None:
        losses = F.binary_cross_entropy_with_logits(logits, y_true, reduction="none")
    else:
        epsilon = config.epsilon()
        probabilities = y_pred.clamp(epsilon, 1.0 - epsilon)
        losses = -(y_true * torch.log(probabilities) + (1.0 - y_true) * torch.log1p(-probabilities))
    return losses.mean(dim=axis)


def _log_probabilities(y_pred, from_logits, axis):
    logits = y_pred if from_logits else _logits(y_pred, "softmax") if axis in (-1, y_pred.ndim - 1) else None
    if logits is not None:
        return torch.log_softmax(logits, dim=axis)
    probabilities = y_pred / y_pred.sum(dim=axis, keepdim=True)
    return torch.log(probabilities.clamp(config.epsilon(), 1.0 - config.epsilon()))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true = align_ranks(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_crossentropy needs one-hot targets of the output's shape {tuple(y_pred.shape)}, received "
            f"{tuple(y_true.shape)}. For integer class labels use 'sparse_categorical_crossentropy', or one-hot "
            f"encode them with lamina.utils.to_categorical."
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    return -(y_true * _log_probabilities(y_pred, from_logits, axis)).sum(dim=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    labels = y_true.long()
    log_probabilities = _log_probabilities(y_pred, from_logits, axis).movedim(axis, -1)
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = torch.where(valid, labels, 0)
    losses = -log_probabilities.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    return losses * valid if ignore_class is not None else losses


# Keras 1 and 3 names of the loss functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine_similarity


class Loss(Configurable):
    """Base class: subclasses implement call(y_true, y_pred) -> per-sample losses.

    Args:
        reduction: 'sum_over_batch_size' (the default: mean of the weighted per-sample losses), 'sum', 'mean'
            (the same as the default) or 'none'/None (per-sample losses).
        name: the loss's name in logs.
        dtype: compute the loss in this torch dtype (e.g. 'float64'); None keeps the predictions' dtype.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):  # Keras's order
        self.reduction = check_choice("reduction", reduction, REDUCTIONS)
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def _cast(self, y_pred):
        return y_pred if self.dtype is None else y_pred.to(getattr(torch, str(self.dtype).replace("torch.", "")))

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = self._cast(y_pred)
        losses = self.call(y_true, y_pred)
        if sample_weight is not None:
            losses = losses * broadcast_weight(sample_weight, losses)
        if self.reduction in ("none", None):
            return losses
        if self.reduction == "sum":
            return losses.sum()
        return losses.mean()

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name, "dtype": self.dtype}


class LossFunctionWrapper(Loss):
    """A loss object around a function (y_true, y_pred, **arguments) -> per-sample losses."""

    def __init__(self, function, reduction="sum_over_batch_size", name=None, dtype=None, **arguments):
        super().__init__(reduction=reduction, name=name or getattr(function, "__name__", "loss"), dtype=dtype)
        self.function = function
        self.arguments = arguments

    def call(self, y_true, y_pred):
        return self.function(y_true, y_pred, **self.arguments)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is None and self.reduction in ("sum_over_batch_size", "mean") and \
                self.function in _BATCH_MEANS:
            loss = _BATCH_MEANS[self.function](y_true, self._cast(y_pred), **self.arguments)
            if loss is not None:
                return loss
        return super().__call__(y_true, y_pred, sample_weight)

    def get_config(self):
        return {**super().get_config(), **self.arguments}


# The batch mean of some losses in one fused PyTorch op (fewer autograd nodes: a faster step, same value).
# Each returns None when the fused op does not apply (e.g. no logits available), falling back to the definition.
def _mean_squared_error_mean(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    return F.mse_loss(y_pred, y_true) if y_true.shape == y_pred.shape else None


def _mean_absolute_error_mean(y_true, y_pred):
    y_true = align_ranks(y_true, y_pred)
    return F.l1_loss(y_pred, y_true) if y_true.shape == y_pred.shape else None


def _binary_crossentropy_mean(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    logits = y_pred if from_logits else _logits(y_pred, "sigmoid")
    y_true = align_ranks(y_true, y_pred)
    if logits is None or label_smoothing or y_true.shape != y_pred.shape:
        return None
    return F.binary_cross_entropy_with_logits(logits, y_true)


def _class_logits(y_pred, from_logits, axis):
    logits = y_pred if from_logits else _logits(y_pred, "softmax")
    if logits is None or axis not in (-1, y_pred.ndim - 1):
        return None
    return logits.reshape(-1, logits.shape[-1])


def _categorical_crossentropy_mean(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    logits = _class_logits(y_pred, from_logits, axis)
    y_true = align_ranks(y_true, y_pred)
    if logits is None or y_true.shape != y_pred.shape:
        return None
    return F.cross_entropy(logits, y_true.reshape(logits.shape), label_smoothing=label_smoothing)


def _sparse_categorical_crossentropy_mean(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    logits = _class_logits(y_pred, from_logits, axis)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    if logits is None or ignore_class is not None or y_true.numel() != logits.shape[0]:
        return None
    return F.cross_entropy(logits, y_true.reshape(-1).long())


_BATCH_MEANS = {
    mean_squared_error: _mean_squared_error_mean, mean_absolute_error: _mean_absolute_error_mean,
    binary_crossentropy: _binary_crossentropy_mean, categorical_crossentropy: _categorical_crossentropy_mean,
    sparse_categorical_crossentropy: _sparse_categorical_crossentropy_mean,
}


def _loss_class(function, default_name, order=None, **defaults):
    """A Keras loss class's __init__ (MeanSquaredError, BinaryCrossentropy(from_logits=...), ...) around a function.
    Positional order: the function's arguments, then reduction, name and dtype (Keras's, unless `order` says
    otherwise)."""
    own = ("reduction", "name", "dtype")
    return keyword_class_init(LossFunctionWrapper.__init__, function, default_name, own, order or (*defaults, *own),
                              **defaults)


class MeanSquaredError(LossFunctionWrapper):
    __init__ = _loss_class(mean_squared_error, "mean_squared_error")


class MeanAbsoluteError(LossFunctionWrapper):
    __init__ = _loss_class(mean_absolute_error, "mean_absolute_error")


class MeanAbsolutePercentageError(LossFunctionWrapper):
    __init__ = _loss_class(mean_absolute_percentage_error, "mean_absolute_percentage_error")


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    __init__ = _loss_class(mean_squared_logarithmic_error, "mean_squared_logarithmic_error")


class Hinge(LossFunctionWrapper):
    __init__ = _loss_class(hinge, "hinge")


class SquaredHinge(LossFunctionWrapper):
    __init__ = _loss_class(squared_hinge, "squared_hinge")


class CategoricalHinge(LossFunctionWrapper):
    __init__ = _loss_class(categorical_hinge, "categorical_hinge")


class KLDivergence(LossFunctionWrapper):
    __init__ = _loss_class(kl_divergence, "kl_divergence")


class Poisson(LossFunctionWrapper):
    __init__ = _loss_class(poisson, "poisson")


class CosineSimilarity(LossFunctionWrapper):
    __init__ = _loss_class(cosine_similarity, "cosine_similarity", axis=-1)


class Huber(LossFunctionWrapper):
    __init__ = _loss_class(huber, "huber_loss", delta=1.0)


class LogCosh(LossFunctionWrapper):
    __init__ = _loss_class(log_cosh, "log_cosh")


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy; from_logits=True for outputs without a sigmoid; label_smoothing in [0, 1]."""

    __init__ = _loss_class(binary_crossentropy, "binary_crossentropy", from_logits=False, label_smoothing=0.0,
                           axis=-1)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for one-hot targets; from_logits=True for outputs without a softmax."""

    __init__ = _loss_class(categorical_crossentropy, "categorical_crossentropy", from_logits=False,
                           label_smoothing=0.0, axis=-1)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for integer class labels; from_logits=True for outputs without a softmax."""

    __init__ = _loss_class(sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                           ("from_logits", "ignore_class", "reduction", "axis", "name", "dtype"), from_logits=False,
                           ignore_class=None, axis=-1)


_CLASSES = {
    MeanSquaredError: ("mean_squared_error", "mse"),
    MeanAbsoluteError: ("mean_absolute_error", "mae"),
    MeanAbsolutePercentageError: ("mean_absolute_percentage_error", "mape"),
    MeanSquaredLogarithmicError: ("mean_squared_logarithmic_error", "msle"),
    Hinge: ("hinge",), SquaredHinge: ("squared_hinge",), CategoricalHinge: ("categorical_hinge",),
    KLDivergence: ("kl_divergence", "kld", "kullback_leibler_divergence"),
    Poisson: ("poisson",), CosineSimilarity: ("cosine_similarity", "cosine_proximity"),
    Huber: ("huber", "huber_loss"), LogCosh: ("log_cosh", "logcosh"),
    BinaryCrossentropy: ("binary_crossentropy", "bce"),
    CategoricalCrossentropy: ("categorical_crossentropy", "cce"),
    SparseCategoricalCrossentropy: ("sparse_categorical_crossentropy", "scce"),
}
ALL_LOSSES = {name: cls for cls, names in _CLASSES.items() for name in names}
ALL_LOSSES.update({cls.__name__.lower(): cls for cls in _CLASSES})
_FUNCTIONS = {function: cls for cls, function in (
    (MeanSquaredError, mean_squared_error), (MeanAbsoluteError, mean_absolute_error),
    (MeanAbsolutePercentageError, mean_absolute_percentage_error),
    (MeanSquaredLogarithmicError, mean_squared_logarithmic_error), (Hinge, hinge), (SquaredHinge, squared_hinge),
    (CategoricalHinge, categorical_hinge), (KLDivergence, kl_divergence), (Poisson, poisson),
    (CosineSimilarity, cosine_similarity), (Huber, huber), (LogCosh, log_cosh),
    (BinaryCrossentropy, binary_crossentropy), (CategoricalCrossentropy, categorical_crossentropy),
    (SparseCategoricalCrossentropy, sparse_categorical_crossentropy))}


BUILT_IN_FUNCTIONS = frozenset(_FUNCTIONS)


def get(identifier):
    """A Loss object from a name ('mse', 'binary_crossentropy', ...), a class, a config dict, a Loss or a function
    fn(y_true, y_pred) -> per-sample (or scalar) losses."""
    if callable(identifier) and not isinstance(identifier, type) and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    loss = resolve("loss", identifier, ALL_LOSSES, base_class=Loss)
    if isinstance(loss, Loss):
        return loss
    return LossFunctionWrapper(loss)


def serialize(loss):
    return {"class_name": type(loss).__name__, "config": loss.get_config()}
