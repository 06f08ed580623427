"""Canned estimators in TF-Learn's vocabulary, as scikit-learn estimators: DNNClassifier, DNNRegressor,
LinearClassifier, LinearRegressor and DNNLinearCombinedClassifier (wide and deep).

Example (TF-Learn's iris classifier):
    >>> classifier = DNNClassifier(hidden_units=[10, 20, 10], n_classes=3)
    >>> classifier.fit(X_train, y_train, steps=200)
    >>> classifier.score(X_test, y_test), classifier.evaluate(X_test, y_test)["accuracy"]

Where TF-Learn differs: the data are arrays (TF-Learn's feature columns become column indices); LinearClassifier
and LinearRegressor train with Adagrad, as FTRL without regularization (TF's default for them) is an Adagrad-like
per-coordinate rate and lamina has no FTRL; the wide-and-deep model trains both parts with one optimizer.
"""
import math

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from lamina import optimizers
from lamina.wrappers.base import ClassifierTargets, EstimatorBase, RegressorTargets
from lamina.wrappers.networks import dense_network, wide_and_deep


class _CannedEstimator(EstimatorBase):
    """fit(X, y, steps=None, epochs=None), evaluate, and the network the parameters describe."""

    warm_start = False

    def fit(self, X, y, sample_weight=None, steps=None, epochs=None):
        """Trains a new network for `steps` batches (rounded up to whole epochs), else `epochs` (default: the
        estimator's)."""
        if steps is not None and epochs is not None:
            raise ValueError(f"{type(self).__name__}.fit: give steps or epochs, not both.")
        if steps is not None:
            batches = math.ceil(len(X) / min(self.batch_size, max(len(X), 1)))
            epochs = max(1, math.ceil(int(steps) / batches))
        return self._train(X, y, sample_weight, True, {"epochs": epochs or self.epochs}, self._classes())

    def _classes(self):
        n_classes = getattr(self, "n_classes", None)
        return None if n_classes is None else np.arange(n_classes)

    def _build_model(self, meta):
        return dense_network(meta, self._hidden_units(), self.activation_fn, self.dropout, self.batch_norm)

    def _hidden_units(self):
        return tuple(self.hidden_units)

    def _compile_arguments(self, model):
        rate = self.learning_rate
        if rate is None:  # TF's linear estimators: min(0.2, 1 / sqrt(features))
            rate = min(0.2, 1 / math.sqrt(self.n_features_in_))
        return {"optimizer": type(optimizers.get(self.optimizer))(learning_rate=rate)}

    def _fit_arguments(self, samples):
        return {"batch_size": self.batch_size, "epochs": self.epochs, "verbose": self.verbose, "shuffle": True}

    def _predict_arguments(self):
        return {"batch_size": 1024}

    def evaluate(self, X, y):
        """TF-Learn's dict: 'loss' and 'average_loss' (the mean training loss on X, y), 'global_step' (optimizer
        steps so far), and for classifiers 'accuracy'."""
        X_checked = np.asarray(X, dtype=np.float32)
        targets = self._encode_targets(self._target_array(np.asarray(y)))
        loss = float(self.model_.evaluate(X_checked, targets, batch_size=1024, verbose=0, return_dict=True)["loss"])
        result = {"loss": loss, "average_loss": loss, "global_step": self.global_step_}
        if self._estimator_type == "classifier":
            result["accuracy"] = float(self.score(X, y))
        return result


class DNNClassifier(ClassifierTargets, ClassifierMixin, _CannedEstimator):
    """A dense network classifier (TF-Learn's DNNClassifier).

    Args:
        hidden_units: units of each hidden layer, e.g. [10, 20, 10].
        n_classes: None (the classes in y) or the number of classes; then labels are 0 .. n_classes - 1 and
            predict_proba has n_classes columns.
        activation_fn: the hidden layers' activation.
        dropout: None or the fraction of each hidden layer's units dropped in training.
        optimizer: an optimizer name; learning_rate: its rate (TF's default for DNNs: Adagrad at 0.05).
        batch_norm: batch normalization after each hidden Dense layer.
        batch_size, epochs: training's batches and default length; random_state: seeds the weights and order.
    """

    def __init__(self, hidden_units=(100,), n_classes=None, activation_fn="relu", dropout=None, optimizer="adagrad",
                 learning_rate=0.05, batch_norm=False, batch_size=32, epochs=100, random_state=None, verbose=0):
        self.hidden_units, self.n_classes, self.activation_fn, self.dropout = hidden_units, n_classes, activation_fn, \
            dropout
        self.optimizer, self.learning_rate, self.batch_norm = optimizer, learning_rate, batch_norm
        self.batch_size, self.epochs, self.random_state, self.verbose = batch_size, epochs, random_state, verbose


class DNNRegressor(RegressorTargets, RegressorMixin, _CannedEstimator):
    """A dense network regressor (TF-Learn's DNNRegressor): DNNClassifier's arguments but n_classes."""

    def __init__(self, hidden_units=(100,), activation_fn="relu", dropout=None, optimizer="adagrad",
                 learning_rate=0.05, batch_norm=False, batch_size=32, epochs=100, random_state=None, verbose=0):
        self.hidden_units, self.activation_fn, self.dropout = hidden_units, activation_fn, dropout
        self.optimizer, self.learning_rate, self.batch_norm = optimizer, learning_rate, batch_norm
        self.batch_size, self.epochs, self.random_state, self.verbose = batch_size, epochs, random_state, verbose


class _Linear:
    activation_fn, dropout, batch_norm = "linear", None, False

    def _hidden_units(self):
        return ()


class LinearClassifier(_Linear, ClassifierTargets, ClassifierMixin, _CannedEstimator):
    """Logistic (softmax) regression (TF-Learn's LinearClassifier); learning_rate None: min(0.2, 1/sqrt(features))."""

    def __init__(self, n_classes=None, optimizer="adagrad", learning_rate=None, batch_size=32, epochs=100,
                 random_state=None, verbose=0):
        self.n_classes, self.optimizer, self.learning_rate = n_classes, optimizer, learning_rate
        self.batch_size, self.epochs, self.random_state, self.verbose = batch_size, epochs, random_state, verbose


class LinearRegressor(_Linear, RegressorTargets, RegressorMixin, _CannedEstimator):
    """Linear regression trained by Adagrad (TF-Learn's LinearRegressor)."""

    def __init__(self, optimizer="adagrad", learning_rate=None, batch_size=32, epochs=100, random_state=None,
                 verbose=0):
        self.optimizer, self.learning_rate = optimizer, learning_rate
        self.batch_size, self.epochs, self.random_state, self.verbose = batch_size, epochs, random_state, verbose


class DNNLinearCombinedClassifier(ClassifierTargets, ClassifierMixin, _CannedEstimator):
    """Wide and deep (TF-Learn's DNNLinearCombinedClassifier): logits = a linear model of the
    `linear_feature_columns` + a dense network of the `dnn_feature_columns` (column indices; None: all columns).

    Args:
        dnn_hidden_units, dnn_activation_fn, dnn_dropout, batch_norm: the deep part, as DNNClassifier's.
        optimizer, learning_rate: one optimizer for both parts.
    """

    def __init__(self, linear_feature_columns=None, dnn_feature_columns=None, dnn_hidden_units=(100,),
                 dnn_activation_fn="relu", dnn_dropout=None, n_classes=None, optimizer="adagrad", learning_rate=0.05,
                 batch_norm=False, batch_size=32, epochs=100, random_state=None, verbose=0):
        self.linear_feature_columns, self.dnn_feature_columns = linear_feature_columns, dnn_feature_columns
        self.dnn_hidden_units, self.dnn_activation_fn, self.dnn_dropout = dnn_hidden_units, dnn_activation_fn, \
            dnn_dropout
        self.n_classes, self.optimizer, self.learning_rate, self.batch_norm = n_classes, optimizer, learning_rate, \
            batch_norm
        self.batch_size, self.epochs, self.random_state, self.verbose = batch_size, epochs, random_state, verbose

    def _build_model(self, meta):
        return wide_and_deep(meta, tuple(self.dnn_hidden_units), self.dnn_activation_fn, self.dnn_dropout,
                             self.batch_norm, self.linear_feature_columns, self.dnn_feature_columns)
