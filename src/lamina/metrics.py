"""Metrics: stateful objects that accumulate over batches on the device and give the epoch's value.

update_state(y_true, y_pred, sample_weight=None) adds a batch; result() is the value so far (a tensor: reading it
is the only host synchronisation); reset_state() starts over. Means are weighted by sample weights and kept in
float64 (float32 on MPS), so batches of unequal size count correctly.

Example:
    >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", metrics.AUC()])
"""
import torch

from lamina import losses
from lamina.identifiers import resolve
from lamina.naming import to_snake_case
from lamina.serialization import Configurable


def _accumulator_dtype(device):
    return torch.float32 if device.type == "mps" else torch.float64


class Metric(Configurable):
    """Base class of metrics. Subclasses implement update_state, result and reset_state."""

    def __init__(self, dtype=None, name=None):  # Keras's order
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Updates the state with a batch and returns the result so far."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name}


class Mean(Metric):
    """The weighted mean of the values passed to update_state(values, sample_weight=None)."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total, self.count = None, 0
        self._pending, self._pending_scales = [], []

    def update_state(self, values, sample_weight=None):
        values = torch.as_tensor(values).detach()
        if sample_weight is None:
            self.add(values.sum(dtype=_accumulator_dtype(values.device)), values.numel())
        else:
            weight = losses.broadcast_weight(sample_weight, values, _accumulator_dtype(values.device))
            self.add((values * weight).sum(), weight.expand_as(values).sum())

    def add(self, total, count, scale=1):
        """Adds scale * total (a device scalar) and count (a Python number, so no host-to-device copy, or a
        tensor) to the running sums.

        The batch totals wait in a list and are summed, in float64 (float32 on MPS) on their device, in one op
        every `FLUSH_EVERY` batches and when the result is read: a training step pays for a list append rather
        than for a tensor op (a tenth of a small model's step).
        """
        self._pending.append(total)
        self._pending_scales.append(scale)
        self.count = count + self.count
        if len(self._pending) == FLUSH_EVERY:
            self._flush()

    def _flush(self):
        if not self._pending:
            return
        values = torch.stack(self._pending)
        dtype = _accumulator_dtype(values.device)
        scales = torch.tensor(self._pending_scales, dtype=dtype, device=values.device)
        batch_total = values.to(dtype) @ scales
        self.total = batch_total if self.total is None else self.total + batch_total
        self._pending, self._pending_scales = [], []

    def is_empty(self):
        """Whether nothing was added since the last reset."""
        return self.total is None and not self._pending

    def result(self):
        self._flush()
        if self.total is None:
            return torch.tensor(0.0, dtype=torch.float64)
        if isinstance(self.count, torch.Tensor):
            return _divide_no_nan(self.total, self.count)
        return self.total / self.count if self.count else torch.zeros_like(self.total)


# Batch totals a Mean holds before summing them (one op per this many batches).
FLUSH_EVERY = 256


class MeanMetricWrapper(Mean):
    """The mean over samples of fn(y_true, y_pred, **arguments) (per-sample values)."""

    def __init__(self, fn, name=None, dtype=None, **arguments):
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self.fn, self.arguments = fn, arguments

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.arguments), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self.arguments}


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true = losses.align_ranks(y_true, y_pred)
    return (y_pred > threshold).eq(y_true).to(y_pred.dtype).mean(dim=-1)


def categorical_accuracy(y_true, y_pred):
    y_true = losses.align_ranks(y_true, y_pred)
    return (y_true.argmax(dim=-1) == y_pred.argmax(dim=-1)).to(y_pred.dtype)


def _sparse_labels(y_true, y_pred):
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return y_true.long()


def sparse_categorical_accuracy(y_true, y_pred):
    return (_sparse_labels(y_true, y_pred) == y_pred.argmax(dim=-1)).to(y_pred.dtype)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true = losses.align_ranks(y_true, y_pred)
    return sparse_top_k_categorical_accuracy(y_true.argmax(dim=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    labels = _sparse_labels(y_true, y_pred)
    top_k = y_pred.topk(min(k, y_pred.shape[-1]), dim=-1).indices
    return (top_k == labels.unsqueeze(-1)).any(dim=-1).to(y_pred.dtype)


def _metric_class(function, default_name, order=None, **defaults):
    """A Keras metric class's __init__ (BinaryAccuracy(threshold=...), ...) around a per-sample function.
    Positional order: name and dtype, then the function's arguments (Keras's, unless `order` says otherwise)."""
    own = ("name", "dtype")
    return losses.keyword_class_init(MeanMetricWrapper.__init__, function, default_name, own,
                                     order or (*own, *defaults), **defaults)


class _CountingAccuracy(MeanMetricWrapper):
    """An accuracy that, without sample weights, adds up correct predictions with one reduction per batch
    (the same mean as per-sample values when each sample has one prediction, with fewer ops per step)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        correct = None if sample_weight is not None else self.count_correct(y_true, y_pred)
        if correct is None:
            return super().update_state(y_true, y_pred, sample_weight)
        self.add(correct, y_pred.shape[0])


class BinaryAccuracy(_CountingAccuracy):
    __init__ = _metric_class(binary_accuracy, "binary_accuracy", threshold=0.5)

    def count_correct(self, y_true, y_pred):
        if y_pred.ndim != 2 or y_pred.shape[-1] != 1:
            return None
        y_true = losses.align_ranks(y_true, y_pred)
        return (y_pred.detach() > self.arguments["threshold"]).eq(y_true).sum()


class CategoricalAccuracy(MeanMetricWrapper):
    __init__ = _metric_class(categorical_accuracy, "categorical_accuracy")


class SparseCategoricalAccuracy(_CountingAccuracy):
    __init__ = _metric_class(sparse_categorical_accuracy, "sparse_categorical_accuracy")

    def count_correct(self, y_true, y_pred):
        if y_pred.ndim != 2:
            return None
        return (_sparse_labels(y_true, y_pred).reshape(-1) == y_pred.detach().argmax(dim=-1)).sum()


class TopKCategoricalAccuracy(MeanMetricWrapper):
    __init__ = _metric_class(top_k_categorical_accuracy, "top_k_categorical_accuracy", ("k", "name", "dtype"), k=5)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    __init__ = _metric_class(sparse_top_k_categorical_accuracy, "sparse_top_k_categorical_accuracy",
                             ("k", "name", "dtype"), k=5)


class MeanSquaredError(MeanMetricWrapper):
    __init__ = _metric_class(losses.mean_squared_error, "mean_squared_error")


class MeanAbsoluteError(MeanMetricWrapper):
    __init__ = _metric_class(losses.mean_absolute_error, "mean_absolute_error")


class MeanAbsolutePercentageError(MeanMetricWrapper):
    __init__ = _metric_class(losses.mean_absolute_percentage_error, "mean_absolute_percentage_error")


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    __init__ = _metric_class(losses.mean_squared_logarithmic_error, "mean_squared_logarithmic_error")


class BinaryCrossentropy(MeanMetricWrapper):
    __init__ = _metric_class(losses.binary_crossentropy, "binary_crossentropy", from_logits=False,
                             label_smoothing=0.0)


class CategoricalCrossentropy(MeanMetricWrapper):
    __init__ = _metric_class(losses.categorical_crossentropy, "categorical_crossentropy", from_logits=False,
                             label_smoothing=0.0, axis=-1)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    __init__ = _metric_class(losses.sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                             from_logits=False, ignore_class=None, axis=-1)


class RootMeanSquaredError(Mean):
    """The square root of the mean squared error over all values seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = losses.align_ranks(y_true, y_pred)
        super().update_state((y_pred - y_true).square(), sample_weight)

    def result(self):
        return super().result().sqrt()


class _ConfusionCounts(Metric):
    """Counts of true/false positives/negatives at one or more thresholds (summed over all values, or over the
    last axis's entry `class_id` only)."""

    def __init__(self, thresholds, name=None, dtype=None, class_id=None):
        super().__init__(name=name, dtype=dtype)
        self.thresholds, self.class_id = thresholds, class_id
        self.reset_state()

    def reset_state(self):
        self.true_positives = self.false_positives = self.false_negatives = self.true_negatives = None

    def _thresholds_on(self, y_pred):
        """The thresholds as a tensor on y_pred's device, copied there once."""
        cached = getattr(self, "_threshold_tensor", None)
        if cached is None or cached.device != y_pred.device or cached.dtype != y_pred.dtype:
            cached = self._threshold_tensor = torch.as_tensor(self.thresholds, dtype=y_pred.dtype,
                                                              device=y_pred.device)
        return cached

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = losses.align_ranks(y_true, y_pred).detach()
        y_pred = y_pred.detach()
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        dtype = _accumulator_dtype(y_pred.device)
        thresholds = self._thresholds_on(y_pred)
        predicted = (y_pred.reshape(-1, 1) > thresholds).to(dtype)
        actual = y_true.reshape(-1, 1).to(dtype)
        weight = torch.ones_like(actual)
        if sample_weight is not None:
            weight = losses.broadcast_weight(sample_weight, y_pred, dtype).expand_as(y_pred).reshape(-1, 1)
        counts = [((predicted * actual) * weight).sum(0), ((predicted * (1 - actual)) * weight).sum(0),
                  (((1 - predicted) * actual) * weight).sum(0), (((1 - predicted) * (1 - actual)) * weight).sum(0)]
        if self.true_positives is None:
            self.true_positives, self.false_positives, self.false_negatives, self.true_negatives = counts
        else:
            for name, count in zip(("true_positives", "false_positives", "false_negatives", "true_negatives"),
                                   counts):
                setattr(self, name, getattr(self, name) + count)


def _divide_no_nan(numerator, denominator):
    return torch.where(denominator > 0, numerator / denominator.clamp_min(1e-300), torch.zeros_like(numerator))


class Precision(_ConfusionCounts):
    """The fraction of predicted positives (y_pred > threshold) that are positive."""

    def __init__(self, thresholds=0.5, top_k=None, class_id=None, name="precision", dtype=None):
        if top_k is not None:
            raise ValueError(f"{type(self).__name__}: top_k={top_k!r} is not supported. Leave it out, or pass "
                             "class_id to count one class.")
        super().__init__(float(thresholds), name=name, dtype=dtype, class_id=class_id)

    def result(self):
        if self.true_positives is None:
            return torch.tensor(0.0, dtype=torch.float64)
        return _divide_no_nan(self.true_positives, self.true_positives + self.false_positives).squeeze(0)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.thresholds, "class_id": self.class_id}


class Recall(Precision):
    """The fraction of positives predicted positive (y_pred > threshold)."""

    def __init__(self, thresholds=0.5, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        if self.true_positives is None:
            return torch.tensor(0.0, dtype=torch.float64)
        return _divide_no_nan(self.true_positives, self.true_positives + self.false_negatives).squeeze(0)


class AUC(_ConfusionCounts):
    """Area under the ROC (or precision-recall, curve='PR') curve, from counts at `num_thresholds` thresholds.

    As Keras: thresholds evenly spaced in [0, 1], or the given `thresholds`, plus one just below 0 and one just
    above 1; ROC areas by trapezoids, PR areas by interpolating precision between thresholds (Keras's
    summation_method='interpolation'). `from_logits=True` applies a sigmoid to the predictions first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name="auc", dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        if str(summation_method).lower() != "interpolation":
            raise ValueError(f"AUC: summation_method={summation_method!r} is not supported; lamina computes Keras's "
                             "'interpolation' (trapezoids for ROC, Davis & Goadrich for PR). Leave it out.")
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve={curve!r} is not a curve; use 'ROC' or 'PR'.")
        if multi_label or num_labels is not None or label_weights is not None:
            raise ValueError("AUC: multi_label, num_labels and label_weights are not supported; leave them out "
                             "(labels are then counted together, as Keras does with multi_label=False).")
        epsilon = 1e-7
        if thresholds is None:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner, num_thresholds = [float(t) for t in thresholds], len(thresholds) + 2
        super().__init__([-epsilon] + inner + [1.0 + epsilon], name=name, dtype=dtype)
        self.num_thresholds = num_thresholds
        self.curve = str(curve).upper()
        self.from_logits = from_logits

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(y_true, torch.sigmoid(y_pred) if self.from_logits else y_pred, sample_weight)

    def result(self):
        if self.true_positives is None:
            return torch.tensor(0.0, dtype=torch.float64)
        if self.curve == "PR":
            return self._interpolated_pr_area()
        recall = _divide_no_nan(self.true_positives, self.true_positives + self.false_negatives)
        false_positive_rate = _divide_no_nan(self.false_positives, self.false_positives + self.true_negatives)
        return ((false_positive_rate[:-1] - false_positive_rate[1:]) * (recall[:-1] + recall[1:]) / 2).sum()

    def _interpolated_pr_area(self):
        """Precision-recall area with precision interpolated between thresholds as Davis & Goadrich (2006), the
        way Keras's 'interpolation' does: between two thresholds, precision follows the line through the
        (predicted positives, true positives) counts, integrated exactly over recall."""
        true_positives, predicted = self.true_positives, self.true_positives + self.false_positives
        tp_step, predicted_step = true_positives[:-1] - true_positives[1:], predicted[:-1] - predicted[1:]
        slope = _divide_no_nan(tp_step, predicted_step.clamp(min=0))
        intercept = true_positives[1:] - slope * predicted[1:]
        both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = torch.where(both_positive, _divide_no_nan(predicted[:-1], predicted[1:].clamp(min=0)),
                            torch.ones_like(predicted[1:]))
        positives = (true_positives[1:] + self.false_negatives[1:]).clamp(min=0)
        return _divide_no_nan(slope * (tp_step + intercept * torch.log(ratio)), positives).sum()

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                "from_logits": self.from_logits}


class F1Score(Metric):
    """The F1 score per class (average=None) or averaged ('micro', 'macro', 'weighted'), as Keras.

    Predictions count as positive where they are the row's maximum (threshold=None) or above `threshold`.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.average, self.threshold = average, threshold
        self.reset_state()

    def reset_state(self):
        self.counts = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = losses.align_ranks(y_true, y_pred).detach()
        y_pred = y_pred.detach()
        if self.threshold is None:
            predicted = (y_pred == y_pred.amax(dim=-1, keepdim=True)).to(y_pred.dtype)
        else:
            predicted = (y_pred > self.threshold).to(y_pred.dtype)
        dtype = _accumulator_dtype(y_pred.device)
        predicted, y_true = predicted.to(dtype), y_true.to(dtype)
        weight = torch.ones_like(y_true[..., :1])
        if sample_weight is not None:
            weight = losses.broadcast_weight(sample_weight, y_true)
        counts = torch.stack([(predicted * y_true * weight).sum(0), (predicted * (1 - y_true) * weight).sum(0),
                              ((1 - predicted) * y_true * weight).sum(0), (y_true * weight).sum(0)])
        self.counts = counts if self.counts is None else self.counts + counts

    def result(self):
        true_positives, false_positives, false_negatives, supports = self.counts
        if self.average == "micro":
            true_positives, false_positives, false_negatives = (
                true_positives.sum(), false_positives.sum(), false_negatives.sum())
        precision = _divide_no_nan(true_positives, true_positives + false_positives)
        recall = _divide_no_nan(true_positives, true_positives + false_negatives)
        f1 = _divide_no_nan(2 * precision * recall, precision + recall)
        if self.average == "macro":
            return f1.mean()
        if self.average == "weighted":
            return (f1 * supports).sum() / supports.sum()
        return f1

    def get_config(self):
        return {**super().get_config(), "average": self.average, "threshold": self.threshold}


_CLASSES = {
    BinaryAccuracy: ("binary_accuracy",), CategoricalAccuracy: ("categorical_accuracy",),
    SparseCategoricalAccuracy: ("sparse_categorical_accuracy",),
    TopKCategoricalAccuracy: ("top_k_categorical_accuracy", "top_k"),
    SparseTopKCategoricalAccuracy: ("sparse_top_k_categorical_accuracy",),
    MeanSquaredError: ("mean_squared_error", "mse"), MeanAbsoluteError: ("mean_absolute_error", "mae"),
    MeanAbsolutePercentageError: ("mean_absolute_percentage_error", "mape"),
    MeanSquaredLogarithmicError: ("mean_squared_logarithmic_error", "msle"),
    RootMeanSquaredError: ("root_mean_squared_error", "rmse"),
    BinaryCrossentropy: ("binary_crossentropy",), CategoricalCrossentropy: ("categorical_crossentropy",),
    SparseCategoricalCrossentropy: ("sparse_categorical_crossentropy",),
    Precision: ("precision",), Recall: ("recall",), AUC: ("auc",), F1Score: ("f1_score", "f1"), Mean: ("mean",),
}
ALL_METRICS = {name: cls for cls, names in _CLASSES.items() for name in names}
ALL_METRICS.update({cls.__name__.lower(): cls for cls in _CLASSES})
ACCURACY_NAMES = ("accuracy", "acc")
CROSSENTROPY_NAMES = ("crossentropy", "ce")


def _is_sparse(loss, y_true, y_pred):
    if loss is not None and "Sparse" in type(loss).__name__:
        return True
    return y_true is not None and y_pred is not None and (
        y_true.ndim == y_pred.ndim - 1 or (y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1)) and (
        y_pred.shape[-1] != 1)


def get(identifier, loss=None, y_true=None, y_pred=None):
    """A Metric from a name, class, config dict, Metric object or function fn(y_true, y_pred) -> per-sample values.

    'accuracy' (and Keras 1's 'acc', logged under that name) becomes binary, sparse categorical or categorical
    accuracy depending on the loss and the shapes of targets and outputs, as in Keras; likewise 'crossentropy'.
    """
    if isinstance(identifier, str) and identifier.lower() in ACCURACY_NAMES + CROSSENTROPY_NAMES:
        binary = isinstance(loss, losses.BinaryCrossentropy) or (y_pred is not None and y_pred.shape[-1] == 1)
        accuracy = identifier.lower() in ACCURACY_NAMES
        if binary:
            cls = BinaryAccuracy if accuracy else BinaryCrossentropy
        elif _is_sparse(loss, y_true, y_pred):
            cls = SparseCategoricalAccuracy if accuracy else SparseCategoricalCrossentropy
        else:
            cls = CategoricalAccuracy if accuracy else CategoricalCrossentropy
        return cls(name=identifier)
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, losses.Loss):
        return MeanMetricWrapper(identifier.call, name=identifier.name)
    if callable(identifier) and not isinstance(identifier, type):
        return MeanMetricWrapper(identifier)
    metric = resolve("metric", identifier, ALL_METRICS, base_class=Metric)
    return metric if isinstance(metric, Metric) else MeanMetricWrapper(metric)
