"""The Callback base class (no-op hooks), the list fit() calls them through, and monitoring a logged value."""
import warnings


class Callback:
    """Base class: every hook does nothing. `self.model` and `self.params` are set by fit/evaluate/predict.

    A callback that keeps state across epochs lists it in `state_attributes`, so that BackupAndRestore saves it
    and a resumed fit() continues with it (or it overrides get_state/set_state).
    """

    state_attributes = ()
    # A callback that must see every other callback's work of an epoch (BackupAndRestore) runs after them all.
    runs_last = False

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    def _overrides(self, *hooks):
        return any(getattr(type(self), hook) is not getattr(Callback, hook) for hook in hooks)

    def get_state(self):
        """The state BackupAndRestore saves: {name: value} with JSON-able values, tensors or dicts of tensors."""
        return {name: getattr(self, name) for name in self.state_attributes if hasattr(self, name)}

    def set_state(self, state):
        """Restores what get_state() returned (BackupAndRestore calls it after every on_train_begin)."""
        for name, value in state.items():
            setattr(self, name, value)

_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}

class CallbackList:
    """Calls each hook on every callback in order. Batch logs are built only if some callback reads them."""

    def __init__(self, callbacks, model, params):
        callbacks = list(callbacks)
        # BackupAndRestore acts after every other callback, wherever it is in the list: its backup then holds
        # whole epochs (History and the other callbacks' state included), and what it restores in
        # on_train_begin is not reset by the others' on_train_begin.
        last = [callback for callback in callbacks if callback.runs_last]
        self.callbacks = [callback for callback in callbacks if not callback.runs_last] + last
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        for callback in last:
            callback.set_callbacks([other for other in self.callbacks if other is not callback])

    def wants_batch_hooks(self, mode):
        return any(callback._overrides(*_BATCH_HOOKS[mode]) for callback in self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        takes_index = "batch" in hook or "epoch" in hook

        def call_all(*args):
            if len(args) == takes_index:  # Keras always passes a logs dict, empty if there is nothing to log
                args = args + ({},)
            for callback in self.callbacks:
                getattr(callback, hook)(*args)

        return call_all

def _resolve_mode(mode, monitor, callback_name):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{callback_name}: mode {mode!r} is unknown; using 'auto'.", RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        maximised = ("acc", "auc", "precision", "recall", "f1", "fbeta")
        mode = "max" if any(word in monitor for word in maximised) and "loss" not in monitor else "min"
    return mode

class MonitorCallback(Callback):
    """The base of callbacks that watch one logged value for improvement (EarlyStopping, ModelCheckpoint, ...)."""

    def __init__(self, monitor, mode, min_delta, callback_name):
        super().__init__()
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, callback_name)
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self.callback_name = callback_name

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self.mode == "max":
            return value - self.min_delta > reference
        return value - self.min_delta < reference

    def _current(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{self.callback_name} is monitoring '{self.monitor}', which is not in the logs "
                f"({', '.join(logs or {}) or 'none'}). Pass monitor= one of these (val_* need validation data).",
                RuntimeWarning, stacklevel=3,
            )
        return value

class LambdaCallback(Callback):
    """A callback from plain functions: LambdaCallback(on_epoch_end=lambda epoch, logs: ...)."""

    def __init__(self, **hooks):
        super().__init__()
        for name, function in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook '{name}'. Hooks are the on_* methods of Callback.")
            setattr(self, name, function)

    def _overrides(self, *hooks):
        return any(hook in self.__dict__ for hook in hooks)
