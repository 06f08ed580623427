"""KerasClassifier and KerasRegressor: any lamina model as a scikit-learn estimator, with scikeras's names.

`model` is a lamina Model (copied for each fresh fit, so yours keeps its weights), a function returning one, or
None for lamina.wrappers.networks.dense_network. The function is called with the arguments its signature names
among: `meta` (n_features_in_, n_outputs_, output_activation_, classes_, ...), `compile_kwargs`, and the
estimator's own extra parameters, `model__units=32` given as `units=32`. Routed parameters are scikeras's:
`optimizer__learning_rate`, `compile__...`, `fit__...`, `predict__...`; they are parameters like any other, so
`get_params`, `set_params`, `clone` and `GridSearchCV` see them.
"""
import copy
import inspect

from sklearn.base import ClassifierMixin, RegressorMixin

from lamina import optimizers
from lamina.models import Model
from lamina.wrappers.base import ClassifierTargets, EstimatorBase, RegressorTargets, copied_model
from lamina.wrappers.networks import dense_network

ROUTES = ("model", "optimizer", "loss", "metrics", "compile", "fit", "predict", "callbacks")


class KerasWrapper(EstimatorBase):
    """The parameters and routing KerasClassifier and KerasRegressor share."""

    def __init__(self, model=None, *, build_fn=None, warm_start=False, random_state=None, optimizer="rmsprop",
                 loss=None, metrics=None, batch_size=None, validation_batch_size=None, verbose=0, callbacks=None,
                 validation_split=0.0, shuffle=True, epochs=1, **kwargs):
        self.model, self.build_fn, self.warm_start, self.random_state = model, build_fn, warm_start, random_state
        self.optimizer, self.loss, self.metrics, self.batch_size = optimizer, loss, metrics, batch_size
        self.validation_batch_size, self.verbose, self.callbacks = validation_batch_size, verbose, callbacks
        self.validation_split, self.shuffle, self.epochs = validation_split, shuffle, epochs
        vars(self).update(kwargs)

    def _extra_parameters(self):
        """The parameters given beyond the signature's: routed (`optimizer__learning_rate`) or for the model."""
        named = set(self._get_param_names())
        return {name: value for name, value in vars(self).items()
                if name not in named and not name.startswith("_") and not name.endswith("_")}

    def get_params(self, deep=True):
        return {**super().get_params(deep), **self._extra_parameters()}

    def set_params(self, **params):
        accepted = set(self._get_param_names()) | set(self._extra_parameters())
        for name, value in params.items():
            if name not in accepted and name.split("__")[0] not in ROUTES:
                raise ValueError(f"Invalid parameter {name!r} for estimator {type(self).__name__}. Valid parameters "
                                 f"are its own, those given when it was made, and routed ones such as "
                                 f"'model__units' or 'optimizer__learning_rate' ({', '.join(ROUTES)}).")
            setattr(self, name, value)
        return self

    def _routed(self, destination):
        prefix = f"{destination}__"
        return {name[len(prefix):]: value for name, value in self._extra_parameters().items()
                if name.startswith(prefix)}

    def _build_model(self, meta):
        model = self.model if self.model is not None else self.build_fn
        if model is None:
            model = dense_network
        if isinstance(model, Model):
            return copied_model(model, self._custom_objects(vars(self)))
        given = {name: value for name, value in self._extra_parameters().items() if "__" not in name}
        given.update(self._routed("model"), meta=meta, compile_kwargs=self._compile_kwargs())
        accepted = inspect.signature(model).parameters
        if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in accepted.values()):
            return model(**given)
        return model(**{name: value for name, value in given.items() if name in accepted})

    def _optimizer(self):
        settings, optimizer = self._routed("optimizer"), self.optimizer
        if isinstance(optimizer, str):
            optimizer = type(optimizers.get(optimizer))
        if isinstance(optimizer, type):
            return optimizer(**settings)
        optimizer = copy.deepcopy(optimizer)
        for name, value in settings.items():
            setattr(optimizer, name, value)
        return optimizer

    def _compile_kwargs(self):
        arguments = {"optimizer": self._optimizer(), **self._routed("compile")}
        if self.loss is not None:
            arguments["loss"] = self.loss
        if self.metrics is not None:
            arguments["metrics"] = self.metrics
        return arguments

    def _compile_arguments(self, model):
        """None (the model's own compile) for a compiled model and no loss given here."""
        if getattr(model, "compiled", False) and self.loss is None:
            return None
        return self._compile_kwargs()

    def _fit_arguments(self, samples):
        extra = self._extra_parameters()
        return {"batch_size": self.batch_size, "epochs": extra.get("nb_epoch", self.epochs), "verbose": self.verbose,
                "callbacks": self.callbacks, "validation_split": self.validation_split, "shuffle": self.shuffle,
                "validation_batch_size": self.validation_batch_size, **self._routed("fit")}

    def _predict_arguments(self):
        return {"batch_size": self.batch_size, **self._routed("predict")}


class KerasClassifier(ClassifierTargets, ClassifierMixin, KerasWrapper):
    """A lamina model as a scikit-learn classifier: string or number labels, binary, multiclass or multilabel.

    Example:
        >>> classifier = KerasClassifier(model__hidden_units=(32,), optimizer="adam", epochs=50)
        >>> GridSearchCV(classifier, {"model__hidden_units": [(16,), (64,)],
        ...                           "optimizer__learning_rate": [1e-3, 1e-2]}).fit(X, y)
    """


class KerasRegressor(RegressorTargets, RegressorMixin, KerasWrapper):
    """A lamina model as a scikit-learn regressor (one target column or several); `score` is R^2."""
