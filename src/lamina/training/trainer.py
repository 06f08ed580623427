"""compile / fit / evaluate / predict: the training engine every lamina Model has."""
import contextlib
import functools
import numbers
import warnings

import numpy as np
import torch

from lamina import config, losses as losses_module, optimizers
from lamina.callbacks.base import CallbackList
from lamina.callbacks.history import History, ProgbarLogger
from lamina.engine.base_layer import STRING, Layer
from lamina.engine.symbolic import NO_VALUES, GraphValues, bind_values, unbind_values, values_bound
from lamina.legacy import LegacyArgumentWarning
from lamina.metrics import Mean
from lamina.structure import flatten, map_structure
from lamina.training import targets
from lamina.training.data import ArrayData, SampleBudget, adapt, to_tensor
from lamina.training.logs import LazyLogs


class MeanTracker(Mean):
    """The running mean of the batch losses, weighted by batch size (NaN before the first batch)."""

    def update_state(self, value, weight):
        self.add(value.detach(), weight, scale=weight)

    def result(self):
        return torch.tensor(float("nan")) if self.is_empty() else super().result()


def _legacy_epochs(kwargs, epochs, method):
    if "nb_epoch" in kwargs:
        warnings.warn(f"{method}: `nb_epoch` is the Keras 1 name; use `epochs`.", LegacyArgumentWarning, stacklevel=3)
        epochs = kwargs.pop("nb_epoch")
    if "show_accuracy" in kwargs:
        kwargs.pop("show_accuracy")
        warnings.warn(f"{method}: `show_accuracy` is gone; pass metrics=['accuracy'] to compile().",
                      LegacyArgumentWarning, stacklevel=3)
    if kwargs:
        raise TypeError(f"{method}() got unexpected keyword arguments: {sorted(kwargs)}.")
    return epochs


def _check_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2, received {verbose!r}.")
    return int(verbose)


def _autocast_for(precision, device):
    """A context factory: torch.autocast for mixed precision, else a no-op."""
    if precision == "32":
        return contextlib.nullcontext
    if precision == "16-mixed" and device.type != "cuda":
        raise ValueError("precision='16-mixed' needs a CUDA device (float16 loss scaling); on CPU use "
                         "'bf16-mixed' or '32'.")
    dtype = torch.bfloat16 if precision == "bf16-mixed" else torch.float16
    return functools.partial(torch.autocast, device.type, dtype=dtype)


def _any_activity_losses(layers):
    for layer in layers:
        if layer._activity_losses:
            return True
    return False


class Trainer:
    """The Keras training API, mixed into lamina's Model."""

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile=False, precision=None, **kwargs):
        """Configures training: optimizer, loss(es), metrics; `jit_compile=True` runs the model through torch.compile.

        Args:
            optimizer: name ('sgd', 'adam', ...) or a lamina.optimizers object.
            loss: name, lamina.losses object or fn(y_true, y_pred); a list or dict gives one per output.
            metrics: list of names/objects (a dict or list of lists gives them per output). 'accuracy' (or Keras 1's
                'acc', logged under that name) picks binary, categorical or sparse accuracy from loss and shapes.
            loss_weights: list or dict of per-output loss multipliers.
            precision: '32', 'bf16-mixed' or '16-mixed' (default: lamina.config.precision()).
        """
        kwargs.pop("sample_weight_mode", None)
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments: {sorted(kwargs)}.")
        targets.check_identifiers(loss, metrics, weighted_metrics)
        arguments = dict(optimizer=optimizers.get(optimizer), loss=loss, metrics=metrics, loss_weights=loss_weights,
                         weighted_metrics=weighted_metrics, jit_compile=jit_compile,
                         precision=config.normalize_precision(precision or config.precision()))
        if self._graph is None and hasattr(self, "_build_graph"):
            self._pending_compile = arguments  # a Sequential without an input shape: finished on the first data
        else:
            self._require_built("compile")
            self._compile_built(**arguments)
        self.compiled = True

    def _compile_built(self, optimizer, loss, metrics, loss_weights, weighted_metrics, jit_compile, precision):
        self._pending_compile = None
        output_names = self.output_names
        self._output_names = output_names
        self.optimizer = optimizer
        self.loss = loss
        self._metric_specs_given, self._loss_weights_given = metrics, loss_weights
        self._loss_functions = [None if spec is None else losses_module.get(spec)
                                for spec in targets.per_output(loss, output_names, "loss")]
        self._loss_weights = targets.per_output(loss_weights, output_names, "loss_weights", default=1.0)
        self._metric_specs = targets.metric_specs(metrics, output_names)
        self._metric_specs_weighted = targets.metric_specs(weighted_metrics, output_names)
        self._metrics = None  # resolved on the first batch, when target shapes are known
        self._loss_tracker = MeanTracker(name="loss")
        self._device = config.device()
        self.to(self._device)
        self.optimizer.build([w for w in self.trainable_weights if isinstance(w, torch.nn.Parameter)])
        self._autocast = _autocast_for(precision, self._device)
        self._grad_scaler = torch.amp.GradScaler(self._device.type) if precision == "16-mixed" else None
        # Not registered as a submodule: a compiled wrapper would otherwise appear in state_dict().
        forward = torch.compile(functools.partial(torch.nn.Module.__call__, self)) if jit_compile else \
            self._training_forward()
        object.__setattr__(self, "_forward", forward)
        # Whether the loss reads inner layers' outputs (a Keras 1 loss closing over them): found on the first
        # batch, which keeps the graph's values; False when they cannot be kept (compiled or subclassed models).
        self._loss_reads_graph = None if self._graph is not None and not jit_compile else False
        self._single_output = len(output_names) == 1
        all_layers = [module for module in self.modules() if isinstance(module, Layer)]
        records = [record for layer in all_layers for record in layer._weight_records.values()]
        self._has_constraints = any(record.constraint is not None for record in records)
        # The recursive `losses` walk runs only when some layer has a regularizer or added a loss in call().
        self._has_weight_penalties = any(record.regularizer is not None for record in records)
        self._all_layers = all_layers
        self.stop_training = False

    @property
    def output_names(self):
        return [tensor.layer.name for tensor in self.outputs]

    @property
    def metrics(self):
        """The loss tracker and the compiled metrics (after the first batch)."""
        return [self._loss_tracker] + [metric for _, metric, _ in (self._metrics or [])]

    @property
    def metrics_names(self):
        return [metric.name for metric in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    # ---------------------------------------------------------------- steps (override these to customise)
    def train_step(self, data):
        """One optimisation step on a batch (x, y, sample_weight); returns nothing, updates the metrics."""
        x, y, sample_weight = data
        with self._autocast():
            y_pred, loss = self._forward_and_loss(x, y, sample_weight, training=True)
        self.optimizer.zero_grad()
        if not loss.requires_grad:  # nothing trainable (a frozen model): nothing to update
            self.optimizer.step()
        elif self._grad_scaler is None:
            loss.backward()
            self.optimizer.step()
        else:
            self._grad_scaler.scale(loss).backward()
            self.optimizer.step(grad_scaler=self._grad_scaler)
        if self._has_constraints:
            self.apply_constraints()
        self.compute_metrics(x, y, y_pred, sample_weight, loss)

    def test_step(self, data):
        x, y, sample_weight = data
        with self._autocast():
            y_pred, loss = self._forward_and_loss(x, y, sample_weight, training=False)
        self.compute_metrics(x, y, y_pred, sample_weight, loss)

    def _forward_and_loss(self, x, y, sample_weight, training):
        """(y_pred, loss). When the loss reads inner layers' symbolic outputs (or on the first batch, to find out),
        the forward pass keeps every graph tensor's value and binds them while the loss runs."""
        if self._loss_reads_graph is False:
            y_pred = self._forward(x, training=training)
            return y_pred, self.compute_loss(x, y, y_pred, sample_weight)
        values = GraphValues(self._graph, training)
        y_pred = self._run_graph(x, training, values.values)
        token = bind_values(values)
        try:
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        finally:
            unbind_values(token)
        if self._loss_reads_graph is None:
            self._loss_reads_graph = values.used
        return y_pred, loss

    def predict_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        forward = self.__dict__.get("_forward", self)  # an uncompiled model predicts too
        return forward(x, training=False)

    def _per_output(self, y, y_pred):
        """(targets, predictions) as lists with one entry per output; a dict y is matched by output name."""
        if self._single_output and isinstance(y, torch.Tensor) and isinstance(y_pred, torch.Tensor):
            return [y], [y_pred]
        count = len(self._output_names)
        return targets.as_list(y, count, self._output_names), targets.as_list(y_pred, count)

    def compute_loss(self, x, y, y_pred, sample_weight=None):
        """The total loss: weighted per-output losses plus regularization penalties."""
        if values_bound():
            return self._total_loss(y, y_pred, sample_weight)
        token = bind_values(NO_VALUES)  # symbolic tensors in the loss: a clear error, not a graph being built
        try:
            return self._total_loss(y, y_pred, sample_weight)
        finally:
            unbind_values(token)

    def _total_loss(self, y, y_pred, sample_weight):
        y_true, outputs = self._per_output(y, y_pred)
        if self._metrics is None:
            targets.check_shapes(self, y_true, outputs, self._loss_functions)
        total = None
        for loss_function, weight, truth, prediction in zip(self._loss_functions, self._loss_weights, y_true, outputs):
            if loss_function is not None and truth is not None:
                loss = loss_function(truth, prediction, sample_weight)
                loss = loss if weight == 1 else weight * loss
                total = loss if total is None else total + loss
        if self._has_weight_penalties or _any_activity_losses(self._all_layers):
            penalties = self.losses
            if penalties:
                total = sum(penalties) if total is None else total + sum(penalties)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight, loss):
        y_true, outputs = self._per_output(y, y_pred)
        if self._metrics is None:
            self._metrics = targets.resolve_metrics(self, y_true, outputs)
        batch_size = int((x if isinstance(x, torch.Tensor) else flatten(x)[0]).shape[0])
        self._loss_tracker.update_state(loss, batch_size)
        for index, metric, weighted in self._metrics:
            if y_true[index] is not None:
                metric.update_state(y_true[index], outputs[index], sample_weight if weighted else None)

    # ---------------------------------------------------------------- fit / evaluate / predict
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        """Trains for `epochs` epochs and returns a History (history.history['loss'], ['val_loss'], ...)."""
        epochs = _legacy_epochs(kwargs, epochs, "fit")
        self._require_compiled("fit", x)
        verbose = _check_verbose(verbose)
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral):
            raise TypeError(f"`epochs` must be a whole number, received {epochs!r} of type "
                            f"{type(epochs).__name__}. Pass an int, e.g. epochs=10.")
        if epochs < 0:
            raise ValueError(f"`epochs` must be >= 0, received {epochs}. Pass e.g. epochs=10.")
        if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be a number in [0, 1), received {validation_split!r}. "
                             f"E.g. validation_split=0.2 holds out the last 20% of the samples.")
        if not self.optimizer.params:
            warnings.warn(f"Model '{self.name}' has no trainable weights: fit() will not change it.", UserWarning,
                          stacklevel=2)
        train_data = adapt(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, self._device)
        val_data = None
        if validation_data is not None:  # it wins over validation_split, in Keras 1 as in Keras 3
            val_data = self._validation_adapter(validation_data, validation_batch_size or batch_size,
                                                validation_steps)
            if isinstance(val_data, ArrayData):
                val_data.warn_non_finite(names=("validation_data[0]", "validation_data[1]", "validation_data[2]"))
        elif validation_split:
            if not isinstance(train_data, ArrayData):
                raise ValueError("`validation_split` needs in-memory arrays; for generators pass `validation_data`.")
            train_data, val_data = train_data.split(validation_split)
        if isinstance(train_data, ArrayData):
            if class_weight is not None:
                train_data.sample_weight = targets.class_weights_to_sample_weights(
                    class_weight, train_data.y, train_data.sample_weight)
            targets.check_arrays(self, train_data)
            train_data.warn_non_finite()
        history = History()
        callback_list = CallbackList(list(callbacks or []) + [history, ProgbarLogger(verbose)], self,
                                     {"epochs": epochs, "steps": train_data.steps, "verbose": verbose})
        train_hooks = callback_list.wants_batch_hooks("train")
        self.stop_training = False
        self.train()
        self._initial_epoch = None  # BackupAndRestore sets it in on_train_begin: the epoch after its backup
        callback_list.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            for step, batch in enumerate(train_data):
                if train_hooks:
                    callback_list.on_train_batch_begin(step)
                self.train_step(batch)
                if train_hooks:
                    callback_list.on_train_batch_end(step, LazyLogs(self._named_metrics(), history.resolver))
                if self.stop_training:
                    break
            epoch_logs = history.epoch_logs(self._result_logs())
            if val_data is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_evaluation(val_data, callback_list)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                self.train()
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        self.eval()
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """The loss and metrics on data: a scalar if there is only the loss, else a list in metrics_names order."""
        if kwargs.pop("show_accuracy", None) is not None:
            warnings.warn("evaluate: `show_accuracy` is gone; pass metrics=['accuracy'] to compile().",
                          LegacyArgumentWarning, stacklevel=2)
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments: {sorted(kwargs)}.")
        self._require_compiled("evaluate", x)
        data = adapt(x, y, sample_weight, batch_size, False, steps, self._device)
        if isinstance(data, ArrayData):
            targets.check_arrays(self, data)
        callback_list = CallbackList(list(callbacks or []), self, {"steps": data.steps, "verbose": verbose})
        was_training = self.training
        logs = self._run_evaluation(data, callback_list)
        self.train(was_training)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Model outputs as numpy arrays. A single sample without its batch axis gives one prediction without it."""
        single = self._is_single_sample(x)
        if single:
            x = map_structure(lambda v: to_tensor(v)[None], x)
        device = self._device if getattr(self, "compiled", False) else next(self.parameters(), torch.zeros(0)).device
        data = adapt(x, None, None, batch_size, False, steps, device)
        callback_list = CallbackList(list(callbacks or []), self, {"steps": data.steps, "verbose": verbose})
        was_training = self.training
        self.eval()
        callback_list.on_predict_begin()
        outputs = []
        with torch.inference_mode():
            for step, batch in enumerate(data):
                callback_list.on_predict_batch_begin(step)
                outputs.append(map_structure(lambda t: t.cpu(), self.predict_step(batch)))
                callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
        callback_list.on_predict_end()
        self.train(was_training)
        result = targets.concatenate_batches(outputs)
        return map_structure(lambda t: t[0], result) if single else result

    # ---------------------------------------------------------------- single batches
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns that batch's loss (and metrics)."""
        self._require_compiled("train_on_batch", x)
        data = ArrayData(x, y, sample_weight, batch_size=max(targets.batch_length(x), 1), device=self._device)
        if class_weight is not None:
            data.sample_weight = targets.class_weights_to_sample_weights(class_weight, data.y, data.sample_weight)
        self.reset_metrics()
        self.train()
        self.train_step(next(iter(data)))
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch", x)
        data = ArrayData(x, y, sample_weight, batch_size=max(targets.batch_length(x), 1), device=self._device)
        self.reset_metrics()
        was_training = self.training
        self.eval()
        with torch.no_grad():
            self.test_step(next(iter(data)))
        self.train(was_training)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=max(targets.batch_length(x), 1))

    # ---------------------------------------------------------------- Keras 1 names
    def fit_generator(self, generator, samples_per_epoch=None, nb_epoch=None, verbose=1, callbacks=None,
                      validation_data=None, nb_val_samples=None, class_weight=None, initial_epoch=0,
                      steps_per_epoch=None, epochs=None, validation_steps=None, **ignored):
        """Keras 1's fit_generator: an epoch ends once `samples_per_epoch` samples have been seen."""
        for name in set(ignored) - {"max_q_size", "nb_worker", "pickle_safe", "max_queue_size", "workers",
                                    "use_multiprocessing"}:
            raise TypeError(f"fit_generator() got an unexpected keyword argument '{name}'.")
        source = SampleBudget(generator, samples_per_epoch) if samples_per_epoch else generator
        if validation_data is not None and nb_val_samples and not isinstance(validation_data, (tuple, list)):
            validation_data = SampleBudget(validation_data, nb_val_samples)
        return self.fit(source, epochs=epochs or nb_epoch or 1, verbose=verbose, callbacks=callbacks,
                        validation_data=validation_data, class_weight=class_weight, initial_epoch=initial_epoch,
                        steps_per_epoch=steps_per_epoch, validation_steps=validation_steps)

    def evaluate_generator(self, generator, val_samples=None, steps=None, **ignored):
        return self.evaluate(SampleBudget(generator, val_samples) if val_samples else generator, steps=steps,
                             verbose=0)

    def predict_generator(self, generator, val_samples=None, steps=None, **ignored):
        return self.predict(SampleBudget(generator, val_samples) if val_samples else generator, steps=steps)

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 1: the model's (probability) outputs; warns, as Keras 1 did, when some are outside [0, 1]."""
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if any(output.min() < 0 or output.max() > 1 for output in flatten(probabilities)):
            warnings.warn("predict_proba: the model returns values outside [0, 1], not probabilities; its last "
                          "layer may lack a softmax or sigmoid activation.", UserWarning, stacklevel=2)
        return probabilities

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 1: argmax of the outputs, or (output > 0.5) for a single sigmoid unit."""
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    # ---------------------------------------------------------------- helpers
    def _require_built(self, method):
        if self._graph is None:
            raise ValueError(
                f"{method}: model '{self.name}' has not been built yet. Give its first layer an input shape "
                f"(e.g. input_shape=(2,)) or call model.build(input_shape) first."
            )

    def _require_compiled(self, method, x=None):
        if not getattr(self, "compiled", False):
            raise ValueError(
                f"You must call compile() before {method}(): e.g. model.compile(optimizer='sgd', loss='mse')."
            )
        if getattr(self, "_pending_compile", None):
            leaf = flatten(x)[0] if x is not None else None
            if not isinstance(leaf, (np.ndarray, torch.Tensor)):
                raise ValueError(
                    f"{method}: model '{self.name}' has no input shape yet. Give its first layer an input shape "
                    f"(e.g. input_shape=(100,)) or call model.build(input_shape) before training on a generator."
                )
            self._build_for(to_tensor(leaf[:2]))
            self._compile_built(**self._pending_compile)

    def _named_metrics(self):
        return {metric.name: metric for metric in self.metrics}

    def _result_logs(self):
        return {name: float(metric.result()) for name, metric in self._named_metrics().items()}

    def _batch_result(self, return_dict):
        logs = self._result_logs()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _run_evaluation(self, data, callback_list):
        self.reset_metrics()
        self.eval()
        test_hooks = callback_list.wants_batch_hooks("test")
        callback_list.on_test_begin()
        with torch.no_grad():
            for step, batch in enumerate(data):
                if test_hooks:
                    callback_list.on_test_batch_begin(step)
                self.test_step(batch)
                if test_hooks:
                    callback_list.on_test_batch_end(step, LazyLogs(self._named_metrics()))
        logs = self._result_logs()
        callback_list.on_test_end(logs)
        return logs

    def _validation_adapter(self, validation_data, batch_size, steps):
        # A list is read as a tuple: Keras 1 code writes validation_data=[X_test, y_test], and Keras 3 accepts it.
        if isinstance(validation_data, (tuple, list)):
            if len(validation_data) not in (2, 3):
                raise ValueError(
                    f"`validation_data` must be (x_val, y_val) or (x_val, y_val, sample_weight); received a "
                    f"{type(validation_data).__name__} of {len(validation_data)} items."
                )
            data = ArrayData(*validation_data, batch_size=batch_size, device=self._device)
            targets.check_arrays(self, data)
            return data
        if isinstance(validation_data, (np.ndarray, torch.Tensor)):
            raise ValueError(
                "`validation_data` must be a tuple (x_val, y_val), a generator, a Sequence or a DataLoader; "
                f"received a {type(validation_data).__name__}."
            )
        data = adapt(validation_data, batch_size=batch_size, steps=steps, device=self._device)
        if isinstance(data, ArrayData):
            targets.check_arrays(self, data)
        return data

    def _is_single_sample(self, x):
        if (self._graph is None or not isinstance(x, (np.ndarray, torch.Tensor)) or len(self.inputs) != 1
                or self.inputs[0].dtype == STRING):  # strings: always a batch, (N,) or (N, 1)
            return False
        return np.ndim(x) == len(self.inputs[0].shape) - 1
