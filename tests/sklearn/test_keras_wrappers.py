"""KerasClassifier and KerasRegressor: routed parameters through get_params/set_params/clone/GridSearchCV (also
with n_jobs=2), pickling through lamina's model format, partial_fit and warm_start, random_state, target
encodings, user models and build functions, sample weights, and scikit-learn's meta-estimators."""
import pickle
import pickletools

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_regression
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lamina.layers import Dense, Input
from lamina.models import Model, Sequential
from lamina.wrappers import KerasClassifier, KerasRegressor


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def quick(**parameters):
    return KerasClassifier(**{"optimizer": "adam", "optimizer__learning_rate": 0.02, "epochs": 30,
                              "random_state": 0, **parameters})


def test_routed_parameters_are_parameters(iris):
    classifier = quick(model__hidden_units=(8,))
    assert classifier.get_params()["model__hidden_units"] == (8,)
    assert classifier.get_params()["optimizer__learning_rate"] == 0.02
    copy = clone(classifier.set_params(model__hidden_units=(4, 4), fit__shuffle=False))
    assert copy.get_params()["model__hidden_units"] == (4, 4) and copy.get_params()["fit__shuffle"] is False
    copy.fit(*iris)
    assert [layer.units for layer in copy.model_.layers if isinstance(layer, Dense)] == [4, 4, 3]
    assert copy.model_.optimizer.learning_rate == pytest.approx(0.02)
    with pytest.raises(ValueError, match="Invalid parameter 'hiden_units' for estimator KerasClassifier"):
        classifier.set_params(hiden_units=3)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_grid_search_over_the_model_and_the_optimizer_finds_a_setting(iris, n_jobs):
    grid = {"model__hidden_units": [(4,), (16,)], "optimizer__learning_rate": [1e-4, 3e-2]}
    search = GridSearchCV(quick(), grid, cv=3, n_jobs=n_jobs).fit(*iris)
    assert search.best_params_["optimizer__learning_rate"] == 3e-2  # 1e-4 barely moves in 30 epochs
    assert search.best_score_ > 0.85 and search.score(*iris) > 0.9
    assert search.cv_results_["mean_test_score"].min() < 0.8


def test_a_fitted_estimator_pickles_through_the_lamina_format(iris):
    classifier = quick().fit(*iris)
    data = pickle.dumps(classifier)
    modules = {argument.split(" ")[0] for opcode, argument, _ in pickletools.genops(data)
               if opcode.name in ("GLOBAL", "STACK_GLOBAL") and isinstance(argument, str)}
    modules |= {argument for opcode, argument, _ in pickletools.genops(data)
                if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE") and str(argument).startswith(("torch", "lamina"))}
    assert not any(name.startswith("torch.nn") or name.startswith("lamina.models") for name in modules), modules
    restored = pickle.loads(data)
    np.testing.assert_array_equal(restored.predict_proba(iris[0]), classifier.predict_proba(iris[0]))
    assert restored.classes_.tolist() == [0, 1, 2] and restored.history_ == classifier.history_
    restored.partial_fit(*iris)  # the optimizer's state came along
    assert restored.model_.optimizer.iterations == classifier.model_.optimizer.iterations + 5


def test_partial_fit_and_warm_start_continue_training(iris):
    classifier = quick(epochs=1)
    classifier.partial_fit(iris[0], iris[1], classes=[0, 1, 2])
    model = classifier.model_
    for _ in range(20):
        classifier.partial_fit(*iris)
    assert classifier.model_ is model and len(classifier.history_["loss"]) == 21
    assert classifier.history_["loss"][-1] < classifier.history_["loss"][0] / 2
    assert classifier.global_step_ == 21 * 5
    warm = quick(warm_start=True, epochs=3).fit(*iris)
    first = warm.model_
    warm.fit(*iris)
    assert warm.model_ is first and len(warm.history_["loss"]) == 6
    cold = quick(epochs=3).fit(*iris)
    cold_model = cold.model_
    assert cold.fit(*iris).model_ is not cold_model and len(cold.history_["loss"]) == 3


def test_random_state_gives_the_same_fit_and_leaves_the_global_generators_alone(iris):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = quick(random_state=7).fit(*iris).predict_proba(iris[0])
    assert torch.equal(torch.rand(3), expected)
    np.testing.assert_array_equal(quick(random_state=7).fit(*iris).predict_proba(iris[0]), first)
    assert not np.array_equal(quick(random_state=8).fit(*iris).predict_proba(iris[0]), first)


def test_string_binary_and_multilabel_targets(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    classifier = quick().fit(X, names)
    assert classifier.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert set(classifier.predict(X)) <= set(classifier.classes_) and classifier.score(X, names) > 0.9
    binary = quick().fit(X, names == "setosa")
    assert binary.model_.output_shape == (None, 1) and binary.predict_proba(X).shape == (150, 2)
    assert binary.classes_.tolist() == [False, True] and binary.score(X, names == "setosa") == 1.0
    labels = np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int)
    multilabel = quick(epochs=60).fit(X, labels)
    assert multilabel.predict(X).shape == (150, 3) and multilabel.predict_proba(X).shape == (150, 3)
    assert multilabel.score(X, labels) > 0.8  # subset accuracy: all three labels right
    with pytest.raises(ValueError, match="Unknown label type"):
        quick().fit(X, X[:, 0])


def test_a_model_instance_is_copied_and_a_compiled_one_keeps_its_compile(iris):
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    before = [weight.detach().clone() for weight in model.parameters()]
    classifier = KerasClassifier(model, optimizer="adam", optimizer__learning_rate=0.05, epochs=20,
                                 random_state=0).fit(*iris)
    assert classifier.score(*iris) > 0.85 and classifier.model_ is not model
    assert all(torch.equal(weight, old) for weight, old in zip(model.parameters(), before))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    kept = KerasClassifier(model, epochs=2).fit(*iris)
    assert type(kept.model_.optimizer).__name__ == "SGD"


def build(meta, units, compile_kwargs):
    inputs = Input((meta["n_features_in_"],))
    model = Model(inputs, Dense(meta["n_outputs_"], activation=meta["output_activation_"])(
        Dense(units, activation="relu")(inputs)))
    model.compile(**compile_kwargs, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras1_build_fn(hidden=8):  # Keras 1's scikit-learn wrapper: build_fn and its own arguments, nb_epoch
    model = Sequential([Input((4,)), Dense(hidden, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_build_functions_get_meta_compile_arguments_and_their_parameters(iris):
    classifier = quick(model=build, model__units=5).fit(*iris)
    assert classifier.model_.layers[1].units == 5 and "accuracy" in classifier.history_
    legacy = KerasClassifier(build_fn=keras1_build_fn, hidden=6, nb_epoch=3, random_state=0).fit(*iris)
    assert legacy.model_.layers[0].units == 6 and len(legacy.history_["loss"]) == 3
    with pytest.raises(TypeError, match="the model must be a lamina Model"):
        KerasClassifier(model=lambda: "not a model").fit(*iris)


def test_sample_weights_steer_training(iris):
    X, y = iris
    weights = np.where(y == 2, 0.0, 1.0)
    ignored = quick().fit(X, y, sample_weight=weights)
    assert np.mean(ignored.predict(X[y == 2]) == 2) < np.mean(quick().fit(X, y).predict(X[y == 2]) == 2) - 0.5


def test_pipelines_column_transformers_and_meta_estimators(iris):
    X, y = iris
    pipeline = make_pipeline(StandardScaler(), quick())
    assert cross_val_score(pipeline, X, y, cv=3).mean() > 0.85
    columns = ColumnTransformer([("scaled", StandardScaler(), [0, 1]), ("kept", "passthrough", [2, 3])])
    assert make_pipeline(columns, quick()).fit(X, y).score(X, y) > 0.9
    calibrated = CalibratedClassifierCV(quick(), cv=3).fit(X, y)
    assert np.allclose(calibrated.predict_proba(X).sum(axis=1), 1.0)
    voting = VotingClassifier([("lamina", quick()), ("logistic", LogisticRegression())], voting="soft").fit(X, y)
    assert voting.score(X, y) > 0.9


def test_the_regressor_scores_r2_on_one_or_several_targets():
    X, y = make_regression(200, 5, n_targets=2, noise=1.0, random_state=0)
    y = y / y.std(axis=0)
    regressor = KerasRegressor(optimizer="adam", optimizer__learning_rate=0.01, epochs=60, random_state=0)
    assert regressor.fit(X, y[:, 0]).predict(X).shape == (200,) and regressor.score(X, y[:, 0]) > 0.95
    assert regressor.fit(X, y).predict(X).shape == (200, 2) and regressor.score(X, y) > 0.95
