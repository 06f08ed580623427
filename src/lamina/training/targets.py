"""Matching losses, metrics and targets to a model's outputs, and checking targets before training."""
import numpy as np
import torch

from lamina.structure import flatten


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
    """A list (per output) of lists of metric identifiers."""
    if metrics is None:
        return [[] for _ in output_names]
    if isinstance(metrics, dict):
        return [list(m) if isinstance(m, (list, tuple)) else [m] if m is not None else []
                for m in per_output(metrics, output_names, "metrics")]
    if isinstance(metrics, (list, tuple)) and metrics and all(isinstance(m, (list, tuple)) for m in metrics):
        return [list(m) for m in per_output(list(metrics), output_names, "metrics")]
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    return [list(metrics) for _ in output_names]


def resolve_metrics(model, y_true, y_pred):
    """(output index, metric, weighted) triples; names get the output name as prefix with several outputs."""
    from lamina import metrics as metrics_module

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


def as_list(values, count):
    if values is None:
        return [None] * count
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
        if truth is None or loss is None:
            continue
        expected = tuple(prediction.shape)
        received = tuple(truth.shape)
        if _is_sparse_loss(loss):
            fits = received in (expected[:-1], expected[:-1] + (1,))
        else:
            fits = received == expected or (len(received) == len(expected) - 1 and expected[-1] == 1
                                            and received == expected[:-1]) or (
                len(received) == len(expected) and received[:-1] == expected[:-1] and received[-1] == 1
                and expected[-1] == 1)
        if fits:
            continue
        hint = ""
        if len(expected) > 2 and len(received) == 2:
            hint = (f" The output is {len(expected)}-D because Dense applies to the last axis of an N-D input: "
                    f"add Flatten() (or a global pooling layer) before the first Dense layer.")
        elif _is_sparse_loss(loss):
            hint = " Sparse crossentropy expects integer class labels of shape (batch,), one per sample."
        elif len(received) == len(expected) and received[-1] != expected[-1] and len(received) == 2:
            hint = (" If the targets are class indices, use loss='sparse_categorical_crossentropy' or one-hot "
                    "encode them with lamina.utils.to_categorical.")
        raise ValueError(
            f"Target shape {received} does not match the shape {expected} of model output '{name}'.{hint}"
        )


def check_arrays(model, data):
    """Checks in-memory targets once, before training: sparse labels must be valid class indices."""
    if data.y is None:
        return
    for name, truth, loss, output in zip(model.output_names, as_list(data.y, len(model.outputs)),
                                         model._loss_functions, model.outputs):
        if truth is None or loss is None or not _is_sparse_loss(loss):
            continue
        classes = output.shape[-1]
        low, high = int(truth.min()), int(truth.max())
        if low < 0 or (classes is not None and high >= classes):
            raise ValueError(
                f"Labels for output '{name}' must be class indices in [0, {classes}) for sparse crossentropy; "
                f"received values from {low} to {high}. Check the labels or the size of the last Dense layer."
            )


def class_weights_to_sample_weights(class_weight, y, sample_weight):
    """Per-sample weights from {class index: weight}, for sparse, one-hot or binary targets."""
    truth = flatten(y)[0]
    if truth.ndim >= 2 and truth.shape[-1] > 1:
        classes = truth.argmax(dim=-1)
    else:
        classes = truth.reshape(truth.shape[0]).round().long()
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
    leaf = flatten(x)[0]
    return int(np.shape(leaf)[0]) if np.ndim(leaf) else 1
