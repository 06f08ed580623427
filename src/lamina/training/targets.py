"""Matching losses, metrics and targets to a model's outputs, and checking targets before training."""
import numpy as np
import torch

from lamina import losses as losses_module, metrics as metrics_module
from lamina.identifiers import lookup, unknown_name_error
from lamina.structure import flatten
from lamina.training.data import is_plain_list


def per_output(spec, output_names, argument, default=None):
    """One entry per output from a single value, a list (in output order) or a dict keyed by output name."""
    if isinstance(spec, dict):
        unknown = set(spec) - set(output_names)
        if unknown:
            raise ValueError(f"`{argument}` has keys {sorted(unknown)} that are not model outputs; the outputs are "
                             f"{output_names}.")
        return [spec.get(name, default) for name in output_names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(output_names):
            raise ValueError(f"`{argument}` has {len(spec)} entries but the model has {len(output_names)} outputs "
                             f"({output_names}); give one per output or a dict keyed by output name.")
        return list(spec)
    return [default if spec is None else spec for _ in output_names]


def metric_specs(metrics, output_names):
    """A list (per output) of lists of metric identifiers (their names were checked by check_identifiers)."""
    if metrics is None:
        return [[] for _ in output_names]
    if isinstance(metrics, dict):
        return [list(m) if isinstance(m, (list, tuple)) else [m] if m is not None else []
                for m in per_output(metrics, output_names, "metrics")]
    if isinstance(metrics, (list, tuple)) and metrics and all(isinstance(m, (list, tuple)) for m in metrics):
        return [list(m) for m in per_output(list(metrics), output_names, "metrics")]
    return [list(metrics) if isinstance(metrics, (list, tuple)) else [metrics] for _ in output_names]


def check_identifiers(loss=None, metrics=None, weighted_metrics=None):
    """Resolves every loss and checks every metric name in compile()'s arguments, whatever their nesting.

    For compile() to call before it knows the model's outputs (a Sequential without an input shape), so that a
    typo fails in compile() rather than on the first fit().
    """
    for spec in flatten(loss):
        if spec is not None:  # no loss for this output
            losses_module.get(spec)
    for spec in flatten([metrics, weighted_metrics]):
        _check_metric_name(spec)


def _check_metric_name(spec):
    """Metric names are resolved on the first batch (they depend on target shapes); their spelling is checked now."""
    if not isinstance(spec, str):
        return
    special = metrics_module.ACCURACY_NAMES + metrics_module.CROSSENTROPY_NAMES
    if spec.lower() in special or lookup(metrics_module.ALL_METRICS, spec) is not None:
        return
    names = {name for names in metrics_module._CLASSES.values() for name in names}
    raise unknown_name_error("metric", spec, sorted(names | set(special)))


def resolve_metrics(model, y_true, y_pred):
    """(output index, metric, weighted) triples; names get the output name as prefix with several outputs."""
    resolved = []
    several = len(model.outputs) > 1
    for specs, weighted in ((model._metric_specs, False), (model._metric_specs_weighted, True)):
        for index, output_specs in enumerate(specs):
            for spec in output_specs:
                metric = metrics_module.get(spec, loss=model._loss_functions[index], y_true=y_true[index],
                                            y_pred=y_pred[index])
                if several:
                    metric.name = f"{model.output_names[index]}_{metric.name}"
                if weighted:
                    metric.name = f"weighted_{metric.name}"
                resolved.append((index, metric, weighted))
    return resolved


def as_list(values, count, names=None):
    """One entry per output; a dict is matched to the outputs by `names` (output names) when they are given."""
    if values is None:
        return [None] * count
    if isinstance(values, dict) and names is not None:
        return [values.get(name) for name in names]
    if count == 1 and not (isinstance(values, (list, tuple)) and len(values) == 1):
        return [values]
    if isinstance(values, dict):
        return list(values.values())
    return list(values)


def _is_sparse_loss(loss):
    return "Sparse" in type(loss).__name__ or getattr(loss, "__name__", "").startswith("sparse")


def check_shapes(model, y_true, y_pred, loss_functions):
    """A clear error when a target cannot meet its output, with the Flatten hint for Dense on N-D inputs."""
    for name, truth, prediction, loss in zip(model.output_names, y_true, y_pred, loss_functions):
        if truth is not None and loss is not None:
            check_target_shape(name, tuple(truth.shape), tuple(prediction.shape), loss)


def _same_shape(received, expected):
    """Shapes equal, where None in `expected` (a symbolic output shape) matches any size."""
    return len(received) == len(expected) and all(e is None or e == r for r, e in zip(received, expected))


def check_target_shape(name, received, expected, loss):
    """Raises a ValueError when targets of shape `received` cannot meet an output of shape `expected`.

    A loss function of the user's own (a LossFunctionWrapper) is trusted with any shapes, as in Keras: it may read
    targets laid out differently from the outputs (a mask beside the values, box encodings).
    """
    if type(loss) is losses_module.LossFunctionWrapper and loss.function not in losses_module.BUILT_IN_FUNCTIONS:
        return
    if _is_sparse_loss(loss):
        fits = _same_shape(received, expected[:-1]) or _same_shape(received, expected[:-1] + (1,))
    else:
        fits = _same_shape(received, expected) or (
            expected[-1] == 1 and _same_shape(received, expected[:-1])) or (
            received[-1:] == (1,) and expected[-1] == 1 and _same_shape(received[:-1], expected[:-1]))
    if fits:
        return
    hint = ""
    if len(expected) > 2 and len(received) == 2:
        hint = (f" The output is {len(expected)}-D because Dense applies to the last axis of an N-D input: "
                f"add Flatten() (or a global pooling layer) before the first Dense layer.")
    elif _is_sparse_loss(loss):
        hint = (" Sparse crossentropy expects integer class labels of shape (batch,), one per sample; for one-hot "
                "targets use loss='categorical_crossentropy'.")
    elif len(received) <= 2 and len(expected) == 2 and received[-1:] != expected[-1:] and expected[-1] != 1:
        hint = (" If the targets are class indices, use loss='sparse_categorical_crossentropy' or one-hot "
                "encode them with lamina.utils.to_categorical.")
    else:
        hint = " Reshape the targets or change the model's last layer to give that shape."
    raise ValueError(
        f"Target shape {received} does not match the shape {expected} of model output '{name}'.{hint}"
    )


def check_arrays(model, data):
    """Checks in-memory data once, before training: input shapes, target structure and shapes, sparse labels.

    Errors surface here, before any callback runs or any weight changes, instead of on the first batch.
    """
    if getattr(model, "_graph", None) is not None and hasattr(model, "_check_inputs"):
        model._check_inputs(data.x)
    if data.y is None:
        needing = [(name, getattr(loss, "name", loss)) for name, loss in zip(model.output_names, model._loss_functions)
                   if loss is not None]
        if needing:
            raise ValueError(
                f"No targets were given (y is None), but the model was compiled with a loss that compares outputs "
                f"to targets: {', '.join(f'{loss!r} for output {name!r}' for name, loss in needing)}. Pass the "
                f"targets (model.fit(x, y), validation_data=(x_val, y_val)), or compile with loss=None if the model "
                f"adds its own losses with add_loss()."
            )
        return
    output_names = model.output_names
    data.y = _match_targets_to_outputs(data.y, output_names)
    for name, truth, loss, output in zip(output_names, as_list(data.y, len(output_names)), model._loss_functions,
                                         model.outputs):
        if truth is None or loss is None:
            continue
        expected = (int(truth.shape[0]),) + tuple(output.shape[1:])
        check_target_shape(name, tuple(truth.shape), expected, loss)
        if _is_sparse_loss(loss):
            _check_sparse_labels(name, truth, loss, output)


def _match_targets_to_outputs(y, output_names):
    """y with one entry per output, in output order (a dict is reordered by output name)."""
    count = len(output_names)
    if isinstance(y, dict):
        unknown = [key for key in y if key not in output_names]
        missing = [name for name in output_names if name not in y]
        if unknown or missing:
            raise ValueError(
                f"`y` is a dict with keys {list(y)}, but the model's outputs are {output_names}"
                + (f"; unknown keys: {unknown}" if unknown else "") + (f"; missing: {missing}" if missing else "")
                + ". Key the targets by output name (the name of each output layer)."
            )
        return y[output_names[0]] if count == 1 else {name: y[name] for name in output_names}
    if isinstance(y, (list, tuple)) and len(y) != count and not (count == 1 and len(y) == 1):
        raise ValueError(
            f"`y` has {len(y)} target arrays but the model has {count} output(s) ({output_names}); give one target "
            f"array per output, in output order, or a dict keyed by output name."
        )
    return y


def _check_sparse_labels(name, truth, loss, output):
    """Sparse crossentropy labels must be finite whole numbers in [0, classes) (or the loss's ignore_class)."""
    arguments = getattr(loss, "arguments", {})
    classes = output.shape[arguments.get("axis", -1)]
    labels = truth
    if arguments.get("ignore_class") is not None:
        labels = truth[truth != arguments["ignore_class"]]
    if labels.numel() == 0:
        return
    valid_range = f"[0, {classes})" if classes is not None else "[0, classes)"
    if labels.is_floating_point():
        bad = int((~torch.isfinite(labels)).sum())
        if bad:
            raise ValueError(
                f"Labels for output '{name}' must be class indices in {valid_range} for sparse crossentropy; "
                f"received {bad} NaN or infinite labels. Remove those samples or fix their labels."
            )
        fractional = labels[labels != labels.round()]
        if fractional.numel():
            raise ValueError(
                f"Labels for output '{name}' must be whole class indices in {valid_range} for sparse crossentropy; "
                f"received {fractional.numel()} fractional values such as {float(fractional[0]):g}. For "
                f"probabilities or one-hot targets use loss='categorical_crossentropy'."
            )
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        fix = "Class indices count from 0: shift the labels (e.g. y - y.min()) or drop the negative ones."
    elif classes is not None and high >= classes:
        fix = (f"Check the labels (they count from 0) or give the last layer one unit per class (at least "
               f"{high + 1}).")
    else:
        return
    raise ValueError(
        f"Labels for output '{name}' must be class indices in {valid_range} for sparse crossentropy; received "
        f"values from {low} to {high}. {fix}"
    )


def class_weights_to_sample_weights(class_weight, y, sample_weight):
    """Per-sample weights from {class index: weight}, for sparse, one-hot or binary targets."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict {{class index: weight}}, received "
                        f"{type(class_weight).__name__}. Example: class_weight={{0: 1.0, 1: 5.0}}.")
    if not class_weight:
        return sample_weight
    truth = flatten(y)[0]
    if truth.ndim >= 2 and truth.shape[-1] > 1:
        classes = truth.argmax(dim=-1)
    else:
        if truth.is_floating_point() and not bool(torch.isfinite(truth).all()):
            raise ValueError("`class_weight` needs finite class labels in `y`; received NaN or infinite labels.")
        classes = truth.reshape(truth.shape[0]).round().long()
    if int(classes.min()) < 0 or min(class_weight) < 0:
        raise ValueError(f"`class_weight` needs class indices >= 0 in `y` and in its keys; received labels from "
                         f"{int(classes.min())} and keys {sorted(class_weight)}.")
    table = torch.ones(int(max(max(class_weight) + 1, int(classes.max()) + 1)), device=truth.device)
    for index, weight in class_weight.items():
        table[int(index)] = float(weight)
    weights = table[classes]
    return weights if sample_weight is None else weights * sample_weight


def concatenate_batches(outputs):
    """Per-batch predictions (tensors or lists of them) joined into numpy arrays."""
    first = outputs[0]
    if isinstance(first, (list, tuple)):
        return [torch.cat([batch[i] for batch in outputs]).numpy() for i in range(len(first))]
    if isinstance(first, dict):
        return {key: torch.cat([batch[key] for batch in outputs]).numpy() for key in first}
    return torch.cat(outputs).numpy()


def batch_length(x):
    leaf = x if is_plain_list(x) else flatten(x)[0]
    return int(np.shape(leaf)[0]) if np.ndim(leaf) else 1
