"""History (the per-epoch logs fit() returns) and ProgbarLogger (the progress fit() prints)."""
import sys
import time

from tqdm.auto import tqdm

from lamina.callbacks.base import Callback


class History(Callback):
    """Records the epoch logs: `history.history['loss']` is the list of per-epoch training losses."""

    state_attributes = ("epoch", "history")

    def on_train_begin(self, logs=None):
        self.epoch = getattr(self, "epoch", [])
        self.history = getattr(self, "history", {})

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self

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
