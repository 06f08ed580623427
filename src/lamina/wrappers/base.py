"""What every lamina scikit-learn estimator shares: checking X and y, encoding targets, building and compiling the
model from the data, fitting with a seed, predicting, and pickling through lamina's model format.

Subclasses give `_build_model(meta)` (the model to train) and `_compile_arguments(model)` (None: keep the model's
own compile), and mix in ClassifierTargets or RegressorTargets for the target encoding.
"""
import contextlib
import os
import random
import tempfile
from collections import defaultdict

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from lamina.models import Model
from lamina.models.loading import load_model
from lamina.utils import set_random_seed


WAIVED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data":
        "training is minibatch gradient descent: a sample given weight 2 is seen once per epoch with twice the "
        "gradient, a repeated sample twice in different batches, so the two fits follow different paths",
    "check_methods_subset_invariance":
        "predictions are float32 matrix products, whose last bits depend on how many rows a batch has (the "
        "check asks 1e-7; the differences are of that size, on some samples only)",
}
ROUTED_PARAMETERS_CHECK = {
    "check_no_attributes_set_in_init":
        "routed and model parameters given as keyword arguments (model__units=32) are set by __init__, as "
        "scikeras does, so that get_params, set_params and clone see them",
}


def expected_failed_checks(estimator):
    """The scikit-learn estimator checks a lamina estimator cannot pass, with the reason for each: pass it as
    `parametrize_with_checks(..., expected_failed_checks=expected_failed_checks)` (docs/estimators.md)."""
    waived = dict(WAIVED_CHECKS)
    extra = getattr(estimator, "_extra_parameters", None)
    if extra is not None and extra():
        waived.update(ROUTED_PARAMETERS_CHECK)
    return waived


@contextlib.contextmanager
def seeded(random_state):
    """Python's, NumPy's and torch's generators seeded from `random_state` inside, restored after; untouched for
    None."""
    if random_state is None:
        yield
        return
    if isinstance(random_state, np.random.RandomState):
        random_state = int(random_state.randint(2 ** 31 - 1))
    states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
    set_random_seed(int(random_state))
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.random.set_rng_state(states[2])


class ClassifierTargets:
    """Labels (strings or numbers; binary, multiclass or multilabel) as the model's targets, and back."""

    _estimator_type = "classifier"

    @staticmethod
    def _target_array(y):
        """A column vector y as 1-D, with scikit-learn's DataConversionWarning."""
        return column_or_1d(y, warn=True) if np.ndim(y) == 2 and np.shape(y)[1] == 1 else y

    def _learn_targets(self, y, classes=None):
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            self.classes_ = np.arange(y.shape[1])
            self.n_outputs_, self.output_activation_ = y.shape[1], "sigmoid"
        elif kind in ("binary", "multiclass"):
            encoder = LabelEncoder().fit(y if classes is None else np.concatenate([np.ravel(classes), np.ravel(y)]))
            if len(encoder.classes_) < 2:
                raise ValueError(f"{type(self).__name__} can't train when only one class is present: y holds only "
                                 f"{encoder.classes_.tolist()}; give samples of at least two classes.")
            self.classes_ = encoder.classes_
            self.n_outputs_ = 1 if len(self.classes_) == 2 else len(self.classes_)
            self.output_activation_ = "sigmoid" if len(self.classes_) == 2 else "softmax"
        else:
            raise ValueError(f"{type(self).__name__} takes one column of labels or a 0/1 multilabel matrix; "
                             f"received a {kind} target.")
        self.target_type_, self.n_classes_ = kind, len(self.classes_)

    def _encode_targets(self, y):
        if self.target_type_ == "multilabel-indicator":
            return np.asarray(y, dtype=np.float32)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(f"{type(self).__name__}: y holds classes not seen in the first fit: "
                             f"{unknown[:5].tolist()}; pass classes= to the first partial_fit.")
        indices = np.searchsorted(self.classes_, y)
        return indices.astype(np.float32)[:, None] if self.n_outputs_ == 1 else indices.astype(np.int64)

    def _default_loss(self, model):
        if self.target_type_ == "multilabel-indicator" or model.output_shape[-1] == 1:
            return "binary_crossentropy"
        return "sparse_categorical_crossentropy"

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in `classes_` order."""
        outputs = self._outputs(X)
        if self.target_type_ != "multilabel-indicator" and outputs.shape[1] == 1:
            outputs = np.column_stack([1 - outputs[:, 0], outputs[:, 0]])
        return outputs

    def predict(self, X):
        """The most probable class of each sample (for multilabel targets: each label whose probability > 0.5)."""
        probabilities = self.predict_proba(X)
        if self.target_type_ == "multilabel-indicator":
            return (probabilities > 0.5).astype(np.int64)
        return self.classes_[probabilities.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags.multi_label = True
        return tags


class RegressorTargets:
    """Numbers, one column or several, as float32 targets."""

    _estimator_type = "regressor"

    @staticmethod
    def _target_array(y):
        return y

    def _learn_targets(self, y, classes=None):
        self.target_type_ = "continuous" if np.ndim(y) == 1 else "continuous-multioutput"
        self.n_outputs_, self.output_activation_ = (1 if np.ndim(y) == 1 else y.shape[1]), "linear"

    def _encode_targets(self, y):
        return np.asarray(y, dtype=np.float32).reshape(len(y), -1)

    def _default_loss(self, model):
        return "mean_squared_error"

    def predict(self, X):
        """The predicted values: (n_samples,) for a one-column target, else (n_samples, n_outputs)."""
        outputs = self._outputs(X)
        return outputs[:, 0] if self.target_type_ == "continuous" else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.target_tags.multi_output = True
        return tags


class EstimatorBase(BaseEstimator):
    """fit / partial_fit / predict on top of `_build_model(meta)` and `_compile_arguments(model)`."""

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Trains on X (n_samples, n_features) and y; a new model unless warm_start and already fitted.

        Keyword arguments go to the lamina model's fit (e.g. epochs=5), after the estimator's own."""
        reset = not (self.warm_start and hasattr(self, "model_"))
        return self._train(X, y, sample_weight, reset, kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on X, y, continuing the model (built on the first call; `classes`: every class to expect)."""
        return self._train(X, y, sample_weight, not hasattr(self, "model_"), {"epochs": 1}, classes)

    def _train(self, X, y, sample_weight, reset, fit_arguments, classes=None):
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float32, multi_output=True,
                             y_numeric=self._estimator_type == "regressor")
        y = self._target_array(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float32)
        with seeded(self.random_state):
            if reset:
                self._learn_targets(y, classes)
                self.model_ = self._compiled(self._build_model(self._meta()))
                self.history_ = defaultdict(list)
            targets = self._encode_targets(y)
            history = self.model_.fit(X, targets, sample_weight=sample_weight,
                                      **{**self._fit_arguments(len(X)), **fit_arguments})
        for name, values in history.history.items():
            self.history_[name] += list(values)
        self.global_step_ = int(self.model_.optimizer.iterations)  # optimizer steps of this model, all fits
        return self

    def _meta(self):
        return {name: getattr(self, name) for name in ("n_features_in_", "n_outputs_", "output_activation_",
                                                        "target_type_", "classes_", "n_classes_")
                if hasattr(self, name)}

    def _compiled(self, model):
        if not isinstance(model, Model):
            raise TypeError(f"{type(self).__name__}: the model must be a lamina Model (or a function returning "
                            f"one); received {type(model).__name__}.")
        arguments = self._compile_arguments(model)
        if arguments is not None:
            model.compile(**{"loss": self._default_loss(model), **arguments})
        elif not getattr(model, "compiled", False):
            model.compile(optimizer="rmsprop", loss=self._default_loss(model))
        return model

    def _outputs(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return np.asarray(self.model_.predict(X, **self._predict_arguments()), dtype=np.float64)

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ("model", "model_"):
            if isinstance(state.get(name), Model):
                state[name] = _SavedModel(state[name])
        return state

    def __setstate__(self, state):
        for name in ("model", "model_"):
            if isinstance(state.get(name), _SavedModel):
                state[name] = state[name].load(self._custom_objects(state))
        self.__dict__.update(state)

    @staticmethod
    def _custom_objects(state):
        loss = state.get("loss")
        return {loss.__name__: loss} if callable(loss) and hasattr(loss, "__name__") else None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class _SavedModel:
    """A lamina Model as the bytes of its `.lamina` file (weights and optimizer state, no pickled code)."""

    def __init__(self, model):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.lamina")
            model.save(path, include_optimizer=getattr(model, "compiled", False))
            with open(path, "rb") as file:
                self.data = file.read()

    def load(self, custom_objects=None):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.lamina")
            with open(path, "wb") as file:
                file.write(self.data)
            return load_model(path, custom_objects=custom_objects)


def copied_model(model, custom_objects=None):
    """A copy of the user's Model to train (through its `.lamina` file: architecture, weights, compile), so that
    their instance and its weights stay as given."""
    return _SavedModel(model).load(custom_objects)
