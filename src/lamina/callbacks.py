"""Callbacks: hooks called by fit/evaluate/predict, with Keras's names, order and meaning.

`model.stop_training = True` is the only way a callback controls training; the one exception is
BackupAndRestore, which sets `model._initial_epoch` (the epoch a resumed fit() starts from), as in Keras.

Example:
    >>> model.fit(x, y, epochs=100, validation_split=0.1,
    ...           callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
"""
import contextlib
import copy
import csv
import io
import json
import math
import os
import random
import sys
import time
import warnings

import numpy as np
import torch
from tqdm.auto import tqdm

from lamina.training.files import atomic_write, is_temporary_for


class Callback:
    """Base class: every hook does nothing. `self.model` and `self.params` are set by fit/evaluate/predict.

    A callback that keeps state across epochs lists it in `state_attributes`, so that BackupAndRestore saves it
    and a resumed fit() continues with it (or it overrides get_state/set_state).
    """

    state_attributes = ()

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
        backups = [callback for callback in callbacks if isinstance(callback, BackupAndRestore)]
        self.callbacks = [callback for callback in callbacks if not isinstance(callback, BackupAndRestore)] + backups
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        for backup in backups:
            backup.set_callbacks([callback for callback in self.callbacks if callback is not backup])

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


def _resolve_mode(mode, monitor, callback_name):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{callback_name}: mode {mode!r} is unknown; using 'auto'.", RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        maximised = ("acc", "auc", "precision", "recall", "f1", "fbeta")
        mode = "max" if any(word in monitor for word in maximised) and "loss" not in monitor else "min"
    return mode


class _Monitor(Callback):
    """Shared logic of callbacks that watch one logged value for improvement."""

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


class EarlyStopping(_Monitor):
    """Stops training when `monitor` has not improved by `min_delta` for `patience` epochs."""

    state_attributes = ("wait", "stopped_epoch", "best_epoch", "best", "best_weights")

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta, "EarlyStopping")
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def get_state(self):
        state = super().get_state()
        if state.get("best_weights") is not None:  # by position: a model rebuilt elsewhere may have other names
            state["best_weights"] = list(state["best_weights"].values())
        return state

    def set_state(self, state):
        if state.get("best_weights") is not None:
            state = {**state, "best_weights": dict(zip(self.model.state_dict(), state["best_weights"]))}
        super().set_state(state)

    def on_epoch_end(self, epoch, logs=None):
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = copy.deepcopy(self.model.state_dict())
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = copy.deepcopy(self.model.state_dict())
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch > 0:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Saves the model (or only its weights) after every epoch, or only when `monitor` improves.

    Args:
        filepath: may contain Keras's fields, filled from the epoch number (from 1) and the logs:
            'weights.{epoch:02d}-{val_loss:.2f}.lamina'.
        save_best_only: save only when `monitor` improves on the best value so far (one file if the path has
            no fields: the best model).
        save_weights_only: save_weights() (a safetensors file) instead of save() (architecture, weights and
            optimizer state in one file).
        save_freq: 'epoch', or save every `save_freq` training batches (the logs are then the batch's).
        mode, initial_value_threshold: as EarlyStopping's mode and baseline.
    Files are written atomically: an interrupted save never leaves a half-written checkpoint.
    """

    state_attributes = ("best",)

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, **kwargs):
        if "period" in kwargs:
            warnings.warn("ModelCheckpoint: `period` is the Keras 1 name; use `save_freq` (in batches) or keep the "
                          "default, one save per epoch.", FutureWarning, stacklevel=2)
            self.period = kwargs.pop("period")
        else:
            self.period = 1
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to ModelCheckpoint: {kwargs}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0):
            raise ValueError(f"ModelCheckpoint: `save_freq` must be 'epoch' or a positive number of batches, "
                             f"received {save_freq!r}.")
        super().__init__(monitor, mode, 0, "ModelCheckpoint")
        self.filepath, self.verbose = os.fspath(filepath), verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self.epoch = self.batches_seen = 0

    def _overrides(self, *hooks):
        return self.save_freq != "epoch" and super()._overrides(*hooks)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.batches_seen += 1
        if self.batches_seen % self.save_freq == 0:  # only called with an integer save_freq (see _overrides)
            self._save(self.epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and (epoch + 1) % self.period == 0:
            self._save(epoch, logs)

    def _save(self, epoch, logs):
        logs = dict(logs or {})
        if self.save_best_only:
            current = self._current(logs)
            if current is None or not self._is_improvement(current, self.best):
                if self.verbose > 0 and current is not None:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}")
            self.best = current
        path = self._path(epoch, logs)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: saved the model to {path}")

    def _path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint: filepath '{self.filepath}' uses the field {error}, which is not in the epoch's "
                f"logs ({', '.join(['epoch', *logs])})."
            ) from None


class BackupAndRestore(Callback):
    """Backs up the whole training state after every epoch, so that a fit() stopped by a crash, a kill or a
    pre-empted machine continues from its last finished epoch when the same fit() call runs again.

    The backup is one safetensors file in `backup_dir` (tensors, plus JSON in its header; nothing pickled),
    replaced atomically after every epoch. It holds the weights, the optimizer's state and learning rate, the
    epoch, the random generators' states (PyTorch's CPU and CUDA ones, NumPy's global one, Python's `random`),
    the History so far and the state of the other callbacks that keep one (EarlyStopping, ReduceLROnPlateau,
    ModelCheckpoint, CSVLogger, and any callback listing `state_attributes`). On the CPU with a fixed seed
    (lamina.utils.set_random_seed), a resumed run ends with weights bitwise equal to an uninterrupted one:
    shuffling and dropout draw the same numbers. Data from a generator or DataLoader is not rewound; only
    in-memory arrays are replayed exactly.

    It acts after every other callback, wherever it is in the list: it backs up once the whole epoch is done,
    and restores after the other callbacks' on_train_begin (which would otherwise reset what it restored).

    Args:
        backup_dir: the folder for the backup (created if missing); one folder per training run.
        save_freq: 'epoch', the only value supported: a backup at the end of every epoch.
        double_checkpoint: also keep the previous epoch's backup, restored (with a warning) if the latest one
            cannot be read, e.g. after disk corruption. A kill cannot damage a backup (writes are atomic).
        delete_checkpoint: delete the backup when fit() finishes (after an exception or a kill it stays, and
            the next fit() resumes from it).

    Example:
        >>> backup = lamina.callbacks.BackupAndRestore("backup")
        >>> model.fit(x, y, epochs=10, callbacks=[backup])   # killed during epoch 7...
        >>> model.fit(x, y, epochs=10, callbacks=[backup])   # ...run again: trains epochs 7 to 10
    """

    file_name, previous_file_name = "backup.safetensors", "previous-backup.safetensors"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)):
            raise TypeError(f"BackupAndRestore: `backup_dir` must be a folder path (str or os.PathLike), received "
                            f"{backup_dir!r} of type {type(backup_dir).__name__}. Pass e.g. backup_dir='backup'.")
        if not os.fspath(backup_dir):
            raise ValueError("BackupAndRestore: `backup_dir` is empty. Pass a folder path, e.g. "
                             "backup_dir='backup'.")
        if not isinstance(save_freq, str) or save_freq != "epoch":
            raise ValueError(f"BackupAndRestore: `save_freq` must be 'epoch' (a backup at the end of every epoch), "
                             f"received {save_freq!r}. Leave it out; backups within an epoch are not supported.")
        for name, value in (("double_checkpoint", double_checkpoint), ("delete_checkpoint", delete_checkpoint)):
            if not isinstance(value, bool):
                raise TypeError(f"BackupAndRestore: `{name}` must be True or False, received {value!r}.")
        self.backup_dir, self.save_freq = os.fspath(backup_dir), save_freq
        self.double_checkpoint, self.delete_checkpoint = double_checkpoint, delete_checkpoint
        self.other_callbacks = []

    @property
    def path(self):
        """The backup file."""
        return os.path.join(self.backup_dir, self.file_name)

    @property
    def previous_path(self):
        """The previous epoch's backup (with double_checkpoint=True)."""
        return os.path.join(self.backup_dir, self.previous_file_name)

    def set_callbacks(self, callbacks):
        """The other callbacks of the fit() call, whose state the backup holds (CallbackList passes them)."""
        self.other_callbacks = list(callbacks)

    def on_train_begin(self, logs=None):
        from lamina.saving import ModelFileError

        if os.path.exists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise ValueError(f"BackupAndRestore: `backup_dir` '{self.backup_dir}' is a file, not a folder. Pass a "
                             f"folder path (it is created if missing).")
        paths = [self.path, self.previous_path] if self.double_checkpoint else [self.path]
        paths = [path for path in paths if os.path.exists(path)]
        for path in paths:
            try:
                tensors, metadata = self._read(path)
            except ModelFileError as error:
                if path == paths[-1]:
                    raise
                warnings.warn(f"{error} Restoring the previous epoch's backup instead.", RuntimeWarning,
                              stacklevel=2)
                continue
            next_epoch = self._restore(tensors, metadata, path) + 1
            if metadata["stop_training"]:  # a callback had stopped training: there is no next epoch
                next_epoch = max(next_epoch, self.params.get("epochs", next_epoch))
            self.model._initial_epoch = next_epoch  # fit() reads it after on_train_begin
            return

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        data = self._backup(epoch)
        if self.double_checkpoint and os.path.exists(self.path):
            os.replace(self.path, self.previous_path)
        atomic_write(self.path, data)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            for name in os.listdir(self.backup_dir):  # the backups, and temporary files a kill left behind
                if name in (self.file_name, self.previous_file_name) or is_temporary_for(name, self.file_name):
                    os.remove(os.path.join(self.backup_dir, name))
            with contextlib.suppress(OSError):  # the folder stays if it holds other files
                os.rmdir(self.backup_dir)

    def _keyed_callbacks(self):
        """(key, callback) for the other callbacks: the class name and its count, e.g. 'EarlyStopping.0'."""
        counts = {}
        for callback in self.other_callbacks:
            name = type(callback).__name__
            counts[name] = counts.get(name, -1) + 1
            yield f"{name}.{counts[name]}", callback

    def _backup(self, epoch):
        """The backup file's bytes."""
        from safetensors.torch import save

        from lamina.saving import _contiguous, _split_tensors

        model, optimizer = self.model, self.model.optimizer
        weights = _contiguous(model.state_dict())
        tensors = {f"model.{name}": value for name, value in weights.items()}
        optimizer_state, optimizer_tensors = _split_tensors(optimizer.state_dict(), "optimizer")
        tensors.update(optimizer_tensors)
        rate = getattr(optimizer, "_learning_rate", None)  # ReduceLROnPlateau changes it
        scaler = getattr(model, "_grad_scaler", None)
        states = {}
        for key, callback in self._keyed_callbacks():
            state = callback.get_state()
            if state:
                states[key], callback_tensors = _split_tensors(state, f"callback.{key}")
                states[key] = _json_ready(states[key], type(callback).__name__)
                tensors.update(callback_tensors)
        random_states, random_tensors = _random_states()
        tensors.update(random_tensors)
        metadata = {
            "format": _BACKUP_FORMAT, "epoch": epoch, "stop_training": bool(model.stop_training),
            "weight_order": list(weights),
            "optimizer": _json_ready(optimizer_state, "the optimizer"),
            "learning_rate": float(rate) if isinstance(rate, (int, float)) else None,
            "grad_scaler": None if scaler is None else _json_ready(scaler.state_dict(), "the gradient scaler"),
            "callbacks": states, "random": random_states,
        }
        return save(tensors, metadata={_BACKUP_FORMAT: json.dumps(metadata)})

    def _restore(self, tensors, metadata, path):
        """Restores everything the backup holds; returns the epoch it was made at."""
        from lamina.saving import _by_position, _join_tensors, _load_state

        model = self.model
        weights = {name[len("model."):]: value for name, value in tensors.items() if name.startswith("model.")}
        try:  # by position when only the automatic layer names differ (a second copy of the model)
            _load_state(model, _by_position(model, weights, metadata["weight_order"]), path)
        except ValueError as error:
            raise ValueError(f"BackupAndRestore: the backup '{path}' was made for another model. {error} "
                             f"Delete the backup (or pass another backup_dir) to train this model from the first "
                             f"epoch.") from None
        model.optimizer.load_state_dict(_join_tensors(metadata["optimizer"], tensors))
        if metadata["learning_rate"] is not None:
            model.optimizer.learning_rate = metadata["learning_rate"]
        scaler = getattr(model, "_grad_scaler", None)
        if scaler is not None and metadata["grad_scaler"]:
            scaler.load_state_dict(metadata["grad_scaler"])
        for key, callback in self._keyed_callbacks():
            if key in metadata["callbacks"]:
                callback.set_state(_join_tensors(metadata["callbacks"][key], tensors))
                if isinstance(callback, History):
                    model.history = callback
        _set_random_states(metadata["random"], tensors)
        return metadata["epoch"]

    def _read(self, path):
        """(tensors, metadata) of a backup file; a ModelFileError if it is damaged."""
        from safetensors.torch import load

        from lamina.saving import ModelFileError, safetensors_metadata

        with open(path, "rb") as handle:
            data = handle.read()
        try:
            tensors = load(data)
            metadata = json.loads(safetensors_metadata(data)[_BACKUP_FORMAT])
            if metadata.get("format") != _BACKUP_FORMAT:
                raise ValueError(f"format {metadata.get('format')!r}")
        except Exception as error:  # safetensors and JSON parsing fail in many ways on damaged files
            raise ModelFileError(
                f"BackupAndRestore: '{path}' is not a readable lamina backup ({error!r}). Delete it to train "
                f"from the first epoch."
            ) from error
        return tensors, metadata


_BACKUP_FORMAT = "lamina-backup"


def _json_ready(structure, owner):
    """`structure` with NumPy scalars as Python numbers; a TypeError naming `owner` for anything not JSON-able."""
    if isinstance(structure, dict):
        return {key: _json_ready(value, owner) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_json_ready(value, owner) for value in structure]
    if isinstance(structure, np.generic):
        return structure.item()
    if structure is None or isinstance(structure, (str, int, float)):
        return structure
    raise TypeError(f"BackupAndRestore cannot save the state of {owner}: it holds a {type(structure).__name__} "
                    f"({structure!r}). get_state() must return numbers, strings, lists, dicts and tensors.")


def _random_states():
    """(JSON-able states, tensors) of Python's, NumPy's and PyTorch's global random generators."""
    version, python_state, gaussian = random.getstate()
    name, keys, position, has_gaussian, cached_gaussian = np.random.get_state()
    states = {"python": [version, list(python_state), gaussian],
              "numpy": [name, keys.tolist(), int(position), int(has_gaussian), float(cached_gaussian)]}
    tensors = {"random.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # an unused CUDA generator has nothing to save
        tensors.update({f"random.cuda.{index}": state for index, state in enumerate(torch.cuda.get_rng_state_all())})
    return states, tensors


def _set_random_states(states, tensors):
    version, python_state, gaussian = states["python"]
    random.setstate((version, tuple(python_state), gaussian))
    name, keys, position, has_gaussian, cached_gaussian = states["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), position, has_gaussian, cached_gaussian))
    torch.set_rng_state(tensors["random.torch"])
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            if f"random.cuda.{index}" in tensors:
                torch.cuda.set_rng_state(tensors[f"random.cuda.{index}"], index)


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


class ReduceLROnPlateau(_Monitor):
    """Multiplies the learning rate by `factor` when `monitor` has not improved for `patience` epochs."""

    state_attributes = ("wait", "cooldown_counter", "best")

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("ReduceLROnPlateau: `epsilon` is the Keras 1 name; use `min_delta`.", FutureWarning,
                          stacklevel=2)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to ReduceLROnPlateau: {kwargs}.")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: `factor` must be < 1 to reduce the learning rate, received {factor}.")
        super().__init__(monitor, mode, min_delta, "ReduceLROnPlateau")
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr

    def on_train_begin(self, logs=None):
        self.wait, self.cooldown_counter, self.best = 0, 0, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = self._current(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(self.model.optimizer.learning_rate)
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at each epoch's start to schedule(epoch) or schedule(epoch, lr)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        current = float(self.model.optimizer.learning_rate)
        try:
            new_lr = self.schedule(epoch, current)
        except TypeError:
            new_lr = self.schedule(epoch)
        if not isinstance(new_lr, (int, float, np.floating)) or math.isnan(float(new_lr)):
            raise ValueError(f"LearningRateScheduler: the schedule returned {new_lr!r}; it must return a float.")
        self.model.optimizer.learning_rate = float(new_lr)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


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


class TerminateOnNaN(Callback):
    """Stops training as soon as the loss becomes NaN or infinite, naming the epoch and batch."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Epoch {getattr(self, 'epoch', 0) + 1}, batch {batch}: invalid loss {float(loss)}, "
                  f"terminating training.")
            self.model.stop_training = True


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
