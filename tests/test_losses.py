import numpy as np
import pytest
import torch

from lamina import activations, losses
from oracle import keras

RNG = np.random.default_rng(0)


def probabilities(*shape):
    return RNG.uniform(0.05, 0.95, shape).astype("float32")


def one_hot(batch, classes):
    return np.eye(classes, dtype="float32")[RNG.integers(0, classes, batch)]


CASES = {
    "mean_squared_error": (RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3))),
    "mean_absolute_error": (RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3))),
    "mean_absolute_percentage_error": (RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3))),
    "mean_squared_logarithmic_error": (RNG.uniform(0, 3, (6, 3)), RNG.uniform(0, 3, (6, 3))),
    "hinge": (RNG.integers(0, 2, (6, 3)), RNG.standard_normal((6, 3))),
    "squared_hinge": (RNG.choice([-1.0, 1.0], (6, 3)), RNG.standard_normal((6, 3))),
    "categorical_hinge": (one_hot(6, 4), RNG.standard_normal((6, 4))),
    "kl_divergence": (probabilities(6, 4), probabilities(6, 4)),
    "poisson": (RNG.uniform(0, 3, (6, 3)), RNG.uniform(0.1, 3, (6, 3))),
    "cosine_similarity": (RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3))),
    "huber": (RNG.standard_normal((6, 3)) * 2, RNG.standard_normal((6, 3))),
    "log_cosh": (RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3))),
    "binary_crossentropy": (RNG.integers(0, 2, (6, 1)), probabilities(6, 1)),
    "categorical_crossentropy": (one_hot(6, 4), probabilities(6, 4)),
    "sparse_categorical_crossentropy": (RNG.integers(0, 4, (6,)), probabilities(6, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_losses_match_keras(name, weighted):
    y_true, y_pred = (np.asarray(v).astype("float32") for v in CASES[name])
    if name == "sparse_categorical_crossentropy":
        y_true = y_true.astype("int64")
    weights = RNG.uniform(0, 2, len(y_true)).astype("float32") if weighted else None
    loss = losses.get(name)
    expected = getattr(keras().losses, type(loss).__name__)()(y_true, y_pred, sample_weight=weights)
    actual = loss(torch.as_tensor(y_true), torch.as_tensor(y_pred),
                              None if weights is None else torch.as_tensor(weights))
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alias, expected_class", [
    ("mse", losses.MeanSquaredError), ("MAE", losses.MeanAbsoluteError), ("mape", losses.MeanAbsolutePercentageError),
    ("msle", losses.MeanSquaredLogarithmicError), ("kld", losses.KLDivergence),
    ("kullback_leibler_divergence", losses.KLDivergence), ("cosine_proximity", losses.CosineSimilarity),
    ("logcosh", losses.LogCosh), ("BinaryCrossentropy", losses.BinaryCrossentropy),
    (losses.mean_squared_error, losses.MeanSquaredError), (losses.Huber, losses.Huber),
])
def test_keras1_and_keras3_aliases(alias, expected_class):
    assert isinstance(losses.get(alias), expected_class)


def test_unknown_loss_suggests_the_nearest_name():
    with pytest.raises(ValueError, match="Unknown loss 'binary_crossentopy'. Did you mean 'binary_crossentropy'?"):
        losses.get("binary_crossentopy")


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_crossentropy_options_match_keras(from_logits, label_smoothing):
    logits = RNG.standard_normal((5, 4)).astype("float32")
    y_pred = logits if from_logits else np.asarray(torch.softmax(torch.as_tensor(logits), -1))
    y_true = one_hot(5, 4)
    k = keras().losses
    expected = k.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)(y_true, y_pred)
    actual = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)(
        torch.as_tensor(y_true), torch.as_tensor(y_pred))
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-5)
    binary_true = RNG.integers(0, 2, (5, 4)).astype("float32")
    binary_pred = logits if from_logits else np.asarray(torch.sigmoid(torch.as_tensor(logits)))
    expected = k.BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)(binary_true, binary_pred)
    actual = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)(
        torch.as_tensor(binary_true), torch.as_tensor(binary_pred))
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-5)


def test_crossentropy_on_saturated_sigmoid_and_softmax_outputs_is_finite_and_exact():
    logits = torch.tensor([[40.0], [-40.0]], requires_grad=True)
    y_true = torch.tensor([[0.0], [1.0]])
    loss = losses.get("binary_crossentropy")(y_true, activations.sigmoid(logits))
    reference = torch.nn.functional.binary_cross_entropy_with_logits(logits, y_true)
    torch.testing.assert_close(loss, reference)
    assert torch.isfinite(loss) and loss.item() == pytest.approx(40.0)
    loss.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().max() > 0.1
    logits = torch.tensor([[100.0, 0.0, -100.0]])
    loss = losses.get("categorical_crossentropy")(torch.tensor([[0.0, 0.0, 1.0]]), activations.softmax(logits))
    assert loss.item() == pytest.approx(200.0)


def test_target_of_rank_one_fits_an_output_of_width_one():
    y_pred = torch.tensor([[0.2], [0.7]])
    assert losses.get("mse")(torch.tensor([0.0, 1.0]), y_pred).item() == pytest.approx((0.04 + 0.09) / 2)


def test_categorical_crossentropy_with_integer_labels_names_the_fix():
    with pytest.raises(ValueError, match="use 'sparse_categorical_crossentropy'"):
        losses.get("categorical_crossentropy")(torch.tensor([[1.0], [2.0]]), torch.rand(2, 3))


def test_loss_config_round_trip():
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    clone = losses.get({"class_name": "BinaryCrossentropy", "config": loss.get_config()})
    assert clone.get_config() == loss.get_config()


@pytest.mark.parametrize("module, class_name, positional", [
    ("losses", "MeanSquaredError", ("sum", "total")),  # Keras: (reduction, name)
    ("losses", "BinaryCrossentropy", (True, 0.1)),  # (from_logits, label_smoothing, axis, reduction, name)
    ("losses", "CategoricalCrossentropy", (True, 0.2, -1, "sum", "cce")),
    ("losses", "SparseCategoricalCrossentropy", (True, None, "sum")),  # (from_logits, ignore_class, reduction)
    ("losses", "Huber", (2.0, "sum")),  # (delta, reduction, name)
    ("losses", "CosineSimilarity", (1, "none")),  # (axis, reduction, name)
    ("metrics", "BinaryAccuracy", ("accuracy_at_0.7", None, 0.7)),  # (name, dtype, threshold)
    ("metrics", "TopKCategoricalAccuracy", (3, "top3")),  # (k, name, dtype)
    ("metrics", "SparseTopKCategoricalAccuracy", (2,)),
    ("metrics", "BinaryCrossentropy", ("bce", None, True)),  # (name, dtype, from_logits, label_smoothing)
    ("metrics", "AUC", (20, "PR")),  # (num_thresholds, curve, summation_method, name, ...)
    ("metrics", "AUC", (200, "ROC", "interpolation", "auc", None, [0.3, 0.6])),  # ... dtype, thresholds, ...
    ("metrics", "Precision", (0.4, None, 1, "p1")),  # (thresholds, top_k, class_id, name, dtype)
    ("metrics", "Recall", (0.6, None, 0)),
    ("metrics", "SparseCategoricalCrossentropy", ("scce", None, True, None, -1)),  # (..., ignore_class, axis)
])
def test_loss_and_metric_classes_take_keras_positional_arguments(module, class_name, positional):
    from lamina import metrics

    ours = getattr({"losses": losses, "metrics": metrics}[module], class_name)(*positional).get_config()
    theirs = getattr(getattr(keras(), module), class_name)(*positional).get_config()
    shared = set(ours) & set(theirs) - {"dtype"}
    assert len(shared) >= 2 and {key: ours[key] for key in shared} == {key: theirs[key] for key in shared}


def test_loss_arguments_keras_does_not_report_still_land_in_place():
    assert losses.Huber(2.0, "sum").get_config()["delta"] == 2.0
    assert losses.CosineSimilarity(1, "none").get_config()["axis"] == 1


def test_base_classes_take_keras_positional_order_for_subclasses():
    from lamina import metrics

    class Total(losses.Loss):
        def call(self, y_true, y_pred):
            return (y_true - y_pred).abs().sum(-1)

    loss = Total("total", "sum")  # Keras: Loss(name, reduction, dtype)
    assert (loss.name, loss.reduction) == ("total", "sum")
    metric = metrics.Metric("float64", "score")  # Keras: Metric(dtype, name)
    assert (metric.dtype, metric.name) == ("float64", "score")


def test_a_loss_dtype_computes_in_that_dtype():
    y_true, y_pred = torch.tensor([[1.0], [0.0]]), torch.tensor([[0.9], [0.2]])
    assert losses.MeanSquaredError(dtype="float64")(y_true, y_pred).dtype == torch.float64
    assert losses.MeanSquaredError()(y_true, y_pred).dtype == torch.float32


def test_a_loss_argument_given_twice_names_it():
    with pytest.raises(TypeError, match="multiple values for argument 'reduction'"):
        losses.Huber(1.0, "sum", reduction="none")
    with pytest.raises(TypeError, match=r"at most 6 positional arguments \(from_logits, label_smoothing, axis, "
                                        r"reduction, name, dtype\), received 7"):
        losses.BinaryCrossentropy(True, 0.0, -1, "sum", "bce", None, "extra")
