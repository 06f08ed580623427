"""History (the per-epoch logs fit() returns), the logs' other-generation metric names, and ProgbarLogger."""
import sys
import time
import warnings

from tqdm.auto import tqdm

from lamina.callbacks.base import Callback
from lamina.legacy import LegacyArgumentWarning

# Names Keras generations log for the same compile(metrics=[...]) entry: Keras 1 and 2.0-2.2 log 'accuracy' as 'acc'
# and 'mae' as 'mean_absolute_error' (the function's name); Keras 2.3+ and 3 log the string given.
EQUIVALENT_METRIC_NAMES = (
    ("acc", "accuracy"), ("mae", "mean_absolute_error"), ("mse", "mean_squared_error"),
    ("mape", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"),
)


class LegacyMetricNameWarning(LegacyArgumentWarning):
    """A logged metric was read under the name another Keras generation gives it ('acc' for 'accuracy')."""


class MetricNameResolver:
    """Finds a logged metric asked for by another Keras generation's name, with one warning per fit().

    'val_acc' finds 'val_accuracy', 'dense_2_acc' finds 'dense_2_accuracy', 'mae' finds 'mean_absolute_error',
    and each the other way round; a name that is logged is always itself.
    """

    def __init__(self):
        self.warned = False

    def resolve(self, key, logged, reader):
        """The logged name `key` stands for, or None; warns the first time (reader: e.g. 'history.history')."""
        if not isinstance(key, str):
            return None
        for name, other in EQUIVALENT_METRIC_NAMES + tuple((b, a) for a, b in EQUIVALENT_METRIC_NAMES):
            if key == name or key.endswith("_" + name):
                found = key[:len(key) - len(name)] + other
                if found in logged:
                    self._warn(key, found, reader)
                    return found
        return None

    def _warn(self, key, found, reader):
        if self.warned:
            return
        self.warned = True
        warnings.warn(
            f"{reader}[{key!r}]: this fit() logged the metric as {found!r}; returning that. Keras 1 and 2.0-2.2 "
            f"log compile(metrics=['accuracy']) as 'acc' and 'mae' as 'mean_absolute_error', Keras 2.3+ and 3 "
            f"log the name given. Read {found!r} to silence this, or compile with metrics=['acc'] to log 'acc'. "
            f"(Shown once per fit().)", LegacyMetricNameWarning, stacklevel=4)


class Logs(dict):
    """A dict of logged values that also answers a metric's other-generation name (see MetricNameResolver).

    Keys, iteration, `in` and len() are the logged names only, so code written for the names lamina logs sees a
    plain dict; `logs['val_acc']` and `logs.get('val_acc')` find 'val_accuracy'.
    """

    def __init__(self, values=(), resolver=None, reader="logs"):
        super().__init__(values)
        self.resolver = resolver if resolver is not None else MetricNameResolver()
        self.reader = reader

    def __missing__(self, key):
        found = self.resolver.resolve(key, self, self.reader)
        if found is None:
            raise KeyError(key)
        return self[found]

    def get(self, key, default=None):
        if key in self:
            return dict.__getitem__(self, key)
        found = self.resolver.resolve(key, self, self.reader)
        return default if found is None else dict.__getitem__(self, found)


class History(Callback):
    """Records the epoch logs: `history.history['loss']` is the list of per-epoch training losses.

    `history.history` also answers Keras 1/2 names for Keras 3 ones and back ('acc' for 'accuracy', see
    MetricNameResolver), with one LegacyMetricNameWarning per fit(); its keys are the names logged.
    """

    state_attributes = ("epoch", "history")

    def __init__(self):
        super().__init__()
        self.resolver = MetricNameResolver()

    def on_train_begin(self, logs=None):
        self.epoch = getattr(self, "epoch", [])
        self.history = Logs(getattr(self, "history", {}), self.resolver, "history.history")

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self

    def set_state(self, state):
        super().set_state(state)
        if "history" in state:
            self.history = Logs(self.history, self.resolver, "history.history")

    def epoch_logs(self, values):
        """The logs fit() hands to on_epoch_end: `values` as a Logs that shares this History's one warning."""
        return Logs(values, self.resolver)

def format_logs(logs):
    return " - ".join(f"{key}: {float(value):.4f}" for key, value in logs.items())

class ProgbarLogger(Callback):
    """Prints training progress (fit adds one for its `verbose` setting).

    verbose=1: a bar per epoch with steps, ETA, time per step and the running metrics (read from the device at
    most every `refresh_seconds`); when stdout is not a terminal, one line per epoch instead (no carriage-return
    spam in log files). verbose=2: one line per epoch. verbose=0: nothing.
    """

    def __init__(self, verbose=1, refresh_seconds=0.2):
        super().__init__()
        self.verbose, self.refresh_seconds = verbose, refresh_seconds
        self.bar = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start, self.seen = time.perf_counter(), 0
        if not self.verbose:
            return
        print(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}", flush=True)
        if self.verbose == 1 and sys.stdout.isatty():
            self.bar = tqdm(total=self.params.get("steps"), unit="step", file=sys.stdout, dynamic_ncols=True,
                            mininterval=self.refresh_seconds,
                            bar_format="{n_fmt}/{total_fmt} {bar} {elapsed}<{remaining}, {rate_fmt}{postfix}")
            self.last_refresh = 0.0

    def _overrides(self, *hooks):
        return self.verbose == 1 and super()._overrides(*hooks)  # no per-batch work when nothing is shown

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.perf_counter()
        if now - self.last_refresh >= self.refresh_seconds:
            self.last_refresh = now
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=True)
            self.bar.close()
            self.bar = None
        elif self.verbose:
            elapsed = time.perf_counter() - self.epoch_start
            self.seen = self.seen or self.params.get("steps") or 0
            print(f"{self.seen}/{self.seen} - {elapsed:.1f}s - {elapsed / max(self.seen, 1) * 1e3:.0f}ms/step - "
                  f"{format_logs(logs or {})}", flush=True)
