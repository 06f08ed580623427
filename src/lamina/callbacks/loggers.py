"""Writing the logs elsewhere: CSVLogger (a CSV file) and TensorBoard (event files)."""
import csv
import io
import os

import numpy as np

from lamina.callbacks.base import Callback
from lamina.files import atomic_write


class CSVLogger(Callback):
    """Writes each epoch's logs as a CSV row; the file is replaced atomically after every epoch."""

    state_attributes = ("rows", "keys")

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append

    def on_train_begin(self, logs=None):
        self.rows, self.keys = [], None
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as existing:
                self.rows = list(csv.reader(existing, delimiter=self.separator))
            self.keys = self.rows[0][1:] if self.rows else None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self.rows.append(["epoch"] + self.keys)
        self.rows.append([str(epoch)] + [_format_value(logs.get(key, "NA")) for key in self.keys])
        text = io.StringIO()
        csv.writer(text, delimiter=self.separator, lineterminator="\n").writerows(self.rows)
        atomic_write(self.filename, text.getvalue().encode())

def _format_value(value):
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)

class TensorBoard(Callback):
    """Writes the epoch logs as TensorBoard scalars: `log_dir/train` and `log_dir/validation`, tags 'epoch_loss',
    'epoch_accuracy', ... as Keras does, plus 'epoch_learning_rate'. Needs the `tensorboard` package
    (pip install 'lamina[tensorboard]'); view with `tensorboard --logdir logs`.

    update_freq='batch' (or an integer n) also writes 'batch_loss' etc. every n training batches.
    """

    def __init__(self, log_dir="logs", update_freq="epoch", **ignored):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.writers = {}

    def _writer(self, name):
        if name not in self.writers:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as error:
                raise ImportError(
                    "The TensorBoard callback needs the `tensorboard` package: pip install 'lamina[tensorboard]' "
                    "(or pip install tensorboard)."
                ) from error
            self.writers[name] = SummaryWriter(os.path.join(self.log_dir, name))
        return self.writers[name]

    def on_train_begin(self, logs=None):
        self._writer("train")
        self.step = 0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if isinstance(self.update_freq, int) and self.step % self.update_freq == 0:
            for key, value in (logs or {}).items():
                self._writer("train").add_scalar(f"batch_{key}", float(value), self.step)

    def _overrides(self, *hooks):
        return isinstance(self.update_freq, int) and super()._overrides(*hooks)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            validation = key.startswith("val_")
            name = key[len("val_"):] if validation else key
            self._writer("validation" if validation else "train").add_scalar(f"epoch_{name}", float(value), epoch)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            self._writer("train").add_scalar("epoch_learning_rate", float(optimizer.learning_rate), epoch)

    def on_train_end(self, logs=None):
        for writer in self.writers.values():
            writer.close()
        self.writers = {}
