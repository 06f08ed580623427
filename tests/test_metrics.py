import numpy as np
import pytest
import torch

from lamina import losses, metrics
from oracle import keras

RNG = np.random.default_rng(1)


def batches_of_unequal_size(make_pair):
    return [make_pair(size) for size in (5, 3, 7)]


def binary_pair(size):
    return RNG.integers(0, 2, (size, 1)).astype("float32"), RNG.uniform(0, 1, (size, 1)).astype("float32")


def categorical_pair(size):
    return np.eye(4, dtype="float32")[RNG.integers(0, 4, size)], RNG.uniform(0, 1, (size, 4)).astype("float32")


def sparse_pair(size):
    return RNG.integers(0, 4, (size,)).astype("int64"), RNG.uniform(0, 1, (size, 4)).astype("float32")


def regression_pair(size):
    return RNG.standard_normal((size, 3)).astype("float32"), RNG.standard_normal((size, 3)).astype("float32")


CASES = [
    ("BinaryAccuracy", binary_pair), ("CategoricalAccuracy", categorical_pair),
    ("SparseCategoricalAccuracy", sparse_pair), ("TopKCategoricalAccuracy", categorical_pair),
    ("SparseTopKCategoricalAccuracy", sparse_pair), ("Precision", binary_pair), ("Recall", binary_pair),
    ("AUC", binary_pair), ("MeanSquaredError", regression_pair), ("RootMeanSquaredError", regression_pair),
    ("MeanAbsoluteError", regression_pair), ("MeanAbsolutePercentageError", regression_pair),
    ("BinaryCrossentropy", binary_pair), ("CategoricalCrossentropy", categorical_pair),
    ("SparseCategoricalCrossentropy", sparse_pair),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("class_name, make_pair", CASES)
def test_metrics_accumulated_over_unequal_batches_match_keras(class_name, make_pair, weighted):
    ours, theirs = getattr(metrics, class_name)(), getattr(keras().metrics, class_name)()
    if class_name.startswith("Top") or class_name.startswith("SparseTop"):
        ours, theirs = getattr(metrics, class_name)(k=2), getattr(keras().metrics, class_name)(k=2)
    for y_true, y_pred in batches_of_unequal_size(make_pair):
        weights = RNG.uniform(0, 2, len(y_true)).astype("float32") if weighted else None
        ours.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred),
                          None if weights is None else torch.as_tensor(weights))
        theirs.update_state(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-5, atol=1e-6)
    ours.reset_state()
    assert float(ours.result()) == 0.0


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f1_score_matches_keras(average):
    ours, theirs = metrics.F1Score(average=average), keras().metrics.F1Score(average=average)
    for y_true, y_pred in batches_of_unequal_size(categorical_pair):
        ours.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred))
        theirs.update_state(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(ours.result()), np.asarray(theirs.result()), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, loss, y_true_shape, y_pred_shape, expected_class", [
    ("accuracy", "binary_crossentropy", (4, 1), (4, 1), metrics.BinaryAccuracy),
    ("acc", "mse", (4, 1), (4, 1), metrics.BinaryAccuracy),
    ("accuracy", "categorical_crossentropy", (4, 3), (4, 3), metrics.CategoricalAccuracy),
    ("acc", "sparse_categorical_crossentropy", (4,), (4, 3), metrics.SparseCategoricalAccuracy),
    ("accuracy", "mse", (4,), (4, 3), metrics.SparseCategoricalAccuracy),
    ("crossentropy", "binary_crossentropy", (4, 1), (4, 1), metrics.BinaryCrossentropy),
])
def test_accuracy_resolves_from_loss_and_shapes_and_keeps_the_name_given(name, loss, y_true_shape, y_pred_shape,
                                                                         expected_class):
    metric = metrics.get(name, loss=losses.get(loss), y_true=torch.zeros(y_true_shape),
                         y_pred=torch.zeros(y_pred_shape))
    assert isinstance(metric, expected_class) and metric.name == name


def test_metrics_from_names_functions_and_losses():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("rmse"), metrics.RootMeanSquaredError)
    custom = metrics.get(lambda y_true, y_pred: (y_true - y_pred).abs().amax(-1))
    custom.update_state(torch.zeros(2, 2), torch.tensor([[1.0, 3.0], [2.0, 0.0]]))
    assert float(custom.result()) == 2.5
    with pytest.raises(ValueError, match="Unknown metric 'presicion'. Did you mean 'precision'?"):
        metrics.get("presicion")


@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_auc_curves_and_logits_match_keras(curve, from_logits):
    ours = metrics.AUC(50, curve, from_logits=from_logits)
    theirs = keras().metrics.AUC(50, curve, from_logits=from_logits)
    for y_true, y_pred in batches_of_unequal_size(binary_pair):
        y_pred = (y_pred - 0.5) * 6 if from_logits else y_pred
        weights = RNG.uniform(0, 2, len(y_true)).astype("float32")
        ours.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred), torch.as_tensor(weights))
        theirs.update_state(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-5)
    assert metrics.get({"class_name": "AUC", "config": ours.get_config()}).from_logits is from_logits


def test_auc_with_given_thresholds_and_precision_recall_of_one_class_match_keras():
    y_true, y_pred = categorical_pair(40)
    pairs = [(metrics.AUC(thresholds=[0.2, 0.5, 0.7]), keras().metrics.AUC(thresholds=[0.2, 0.5, 0.7])),
             (metrics.Precision(class_id=2), keras().metrics.Precision(class_id=2)),
             (metrics.Recall(0.3, class_id=1), keras().metrics.Recall(0.3, class_id=1))]
    for ours, theirs in pairs:
        ours.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred))
        theirs.update_state(y_true, y_pred)
        np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-5)


@pytest.mark.parametrize("arguments, message", [
    (dict(summation_method="minoring"), "summation_method='minoring' is not supported"),
    (dict(curve="prc"), "curve='prc' is not a curve; use 'ROC' or 'PR'"),
    (dict(multi_label=True), "multi_label, num_labels and label_weights are not supported"),
])
def test_auc_refuses_what_it_does_not_compute(arguments, message):
    with pytest.raises(ValueError, match=message):
        metrics.AUC(**arguments)
    assert metrics.AUC(summation_method="Interpolation").curve == "ROC"  # Keras accepts any case


def test_precision_refuses_top_k_and_names_the_alternative():
    with pytest.raises(ValueError, match="top_k=1 is not supported. Leave it out, or pass class_id"):
        metrics.Precision(0.5, 1)
