"""The canned estimators in TF-Learn's vocabulary: the iris classifier in three lines, fit(steps=...),
evaluate's dict, accuracy against scikit-learn's MLPClassifier on iris and digits, n_classes, the linear and
wide-and-deep models."""
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from lamina.estimators import (DNNClassifier, DNNLinearCombinedClassifier, DNNRegressor, LinearClassifier,
                               LinearRegressor)


def split(X, y):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def iris():
    return split(*load_iris(return_X_y=True))


def test_tf_learn_s_iris_classifier_and_evaluate(iris):
    X_train, X_test, y_train, y_test = iris
    classifier = DNNClassifier(hidden_units=[10, 20, 10], n_classes=3, random_state=0)
    classifier.fit(X_train, y_train, steps=200)
    assert classifier.score(X_test, y_test) > 0.9
    result = classifier.evaluate(X_test, y_test)
    assert set(result) == {"accuracy", "loss", "average_loss", "global_step"}
    assert result["accuracy"] == classifier.score(X_test, y_test)
    assert result["global_step"] == 200  # 105 samples: 4 batches of 32 per epoch, 50 epochs
    probabilities = classifier.predict_proba(X_test)
    expected_loss = -np.mean(np.log(probabilities[np.arange(len(y_test)), y_test]))
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-4)
    with pytest.raises(ValueError, match="give steps or epochs, not both"):
        classifier.fit(X_train, y_train, steps=10, epochs=2)


@pytest.mark.parametrize("load, margin", [(load_iris, 0.05), (load_digits, 0.03)])
def test_accuracy_is_within_a_margin_of_mlp_classifier(load, margin):
    X_train, X_test, y_train, y_test = split(*load(return_X_y=True))
    ours = DNNClassifier(hidden_units=(100,), random_state=0).fit(X_train, y_train).score(X_test, y_test)
    theirs = MLPClassifier(hidden_layer_sizes=(100,), max_iter=1000, random_state=0).fit(X_train, y_train).score(
        X_test, y_test)
    assert ours >= theirs - margin, (ours, theirs)


def test_n_classes_fixes_the_columns_and_labels(iris):
    X_train, _, y_train, _ = iris
    present = y_train < 2
    classifier = DNNClassifier(hidden_units=(8,), n_classes=4, epochs=5, random_state=0)
    classifier.fit(X_train[present], y_train[present])
    assert classifier.classes_.tolist() == [0, 1, 2, 3] and classifier.predict_proba(X_train).shape == (105, 4)


def test_linear_and_dnn_regressors():
    X, y = make_regression(300, 4, noise=0.1, random_state=0, coef=False)
    y = y / y.std()
    linear = LinearRegressor(epochs=200, learning_rate=0.5, random_state=0).fit(X, y)
    assert linear.score(X, y) > 0.999 and set(linear.evaluate(X, y)) == {"loss", "average_loss", "global_step"}
    assert DNNRegressor(hidden_units=(32,), random_state=0).fit(X, y).score(X, y) > 0.95
    assert [len(layer.weights) for layer in linear.model_.layers[1:]] == [2]  # one Dense: weights and bias


def test_the_linear_classifier_and_wide_and_deep(iris):
    X_train, X_test, y_train, y_test = iris
    assert LinearClassifier(random_state=0).fit(X_train, y_train).score(X_test, y_test) > 0.85
    combined = DNNLinearCombinedClassifier(linear_feature_columns=[0, 1], dnn_feature_columns=[2, 3],
                                           dnn_hidden_units=(16,), random_state=0).fit(X_train, y_train)
    assert combined.score(X_test, y_test) > 0.9
    assert combined.model_.get_layer("linear_columns").columns == [0, 1]
    restored = pickle.loads(pickle.dumps(combined))
    np.testing.assert_array_equal(restored.predict_proba(X_test), combined.predict_proba(X_test))
