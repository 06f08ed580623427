"""scikit-learn's own estimator checks on KerasClassifier, KerasRegressor and every canned estimator; the checks
a neural network cannot pass are waived with their reasons (lamina.wrappers.expected_failed_checks)."""
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from lamina import estimators
from lamina.wrappers import KerasClassifier, KerasRegressor, expected_failed_checks

ESTIMATORS = [
    KerasClassifier(optimizer="adam", epochs=20),
    KerasClassifier(model__hidden_units=(16,), optimizer="adam", optimizer__learning_rate=0.05, epochs=20),
    KerasRegressor(optimizer="adam", epochs=20),
    KerasRegressor(model__hidden_units=(16,), optimizer="adam", optimizer__learning_rate=0.05, epochs=20),
    estimators.DNNClassifier(hidden_units=(16,), learning_rate=0.3, epochs=20),
    estimators.DNNRegressor(hidden_units=(16,), learning_rate=0.3, epochs=20),
    estimators.LinearClassifier(learning_rate=0.5, epochs=20),
    estimators.LinearRegressor(learning_rate=0.5, epochs=20),
    estimators.DNNLinearCombinedClassifier(dnn_hidden_units=(16,), learning_rate=0.3, epochs=20),
]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The checks fit tiny networks on tiny data hundreds of times: one thread is faster than two there."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    with torch.random.fork_rng():
        check(estimator)
