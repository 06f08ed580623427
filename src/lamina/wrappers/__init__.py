"""lamina models as scikit-learn estimators (scikeras's KerasClassifier and KerasRegressor); the canned
estimators in TF-Learn's vocabulary are in lamina.estimators. See docs/estimators.md.

Example:
    >>> from lamina.wrappers import KerasClassifier
    >>> KerasClassifier(model__hidden_units=(32,), epochs=20).fit(X, y).score(X, y)
"""
from lamina.wrappers.base import expected_failed_checks
from lamina.wrappers.keras_wrappers import KerasClassifier, KerasRegressor

__all__ = ["KerasClassifier", "KerasRegressor", "expected_failed_checks"]
