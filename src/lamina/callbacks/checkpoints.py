"""Saving during training: ModelCheckpoint (model files) and BackupAndRestore (the whole training state)."""
import contextlib
import json
import os
import random
import warnings

import numpy as np
import torch
from safetensors.torch import load as load_tensors, save as save_tensors

from lamina import model_file
from lamina.callbacks.base import Callback, MonitorCallback
from lamina.callbacks.history import History, Logs
from lamina.files import atomic_write, is_temporary_for


class ModelCheckpoint(MonitorCallback):
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
        logs = Logs(logs or {}, getattr(logs, "resolver", None))  # a copy that finds 'val_acc' for 'val_accuracy'
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
            # format_map reads through Logs, so Keras 1's '{val_acc:.2f}' finds 'val_accuracy'
            return self.filepath.format_map(Logs({**logs, "epoch": epoch + 1}, logs.resolver))
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
    runs_last = True

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
        if os.path.exists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise ValueError(f"BackupAndRestore: `backup_dir` '{self.backup_dir}' is a file, not a folder. Pass a "
                             f"folder path (it is created if missing).")
        paths = [self.path, self.previous_path] if self.double_checkpoint else [self.path]
        paths = [path for path in paths if os.path.exists(path)]
        for path in paths:
            try:
                tensors, metadata = self._read(path)
            except model_file.ModelFileError as error:
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
        model, optimizer = self.model, self.model.optimizer
        weights = model_file.cpu_tensors(model.state_dict())
        tensors = {f"model.{name}": value for name, value in weights.items()}
        optimizer_state, optimizer_tensors = model_file.pack_tensors(optimizer.state_dict(), "optimizer")
        tensors.update(optimizer_tensors)
        rate = getattr(optimizer, "_learning_rate", None)  # ReduceLROnPlateau changes it
        scaler = getattr(model, "_grad_scaler", None)
        states = {}
        for key, callback in self._keyed_callbacks():
            state = callback.get_state()
            if state:
                states[key], callback_tensors = model_file.pack_tensors(state, f"callback.{key}")
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
        return save_tensors(tensors, metadata={_BACKUP_FORMAT: json.dumps(metadata)})

    def _restore(self, tensors, metadata, path):
        """Restores everything the backup holds; returns the epoch it was made at."""
        model = self.model
        weights = {name[len("model."):]: value for name, value in tensors.items() if name.startswith("model.")}
        try:  # by position when only the automatic layer names differ (a second copy of the model)
            model_file.apply_weights(model, weights, path, metadata["weight_order"])
        except ValueError as error:
            raise ValueError(f"BackupAndRestore: the backup '{path}' was made for another model. {error} "
                             f"Delete the backup (or pass another backup_dir) to train this model from the first "
                             f"epoch.") from None
        model.optimizer.load_state_dict(model_file.unpack_tensors(metadata["optimizer"], tensors))
        if metadata["learning_rate"] is not None:
            model.optimizer.learning_rate = metadata["learning_rate"]
        scaler = getattr(model, "_grad_scaler", None)
        if scaler is not None and metadata["grad_scaler"]:
            scaler.load_state_dict(metadata["grad_scaler"])
        for key, callback in self._keyed_callbacks():
            if key in metadata["callbacks"]:
                callback.set_state(model_file.unpack_tensors(metadata["callbacks"][key], tensors))
                if isinstance(callback, History):
                    model.history = callback
        _set_random_states(metadata["random"], tensors)
        return metadata["epoch"]

    def _read(self, path):
        """(tensors, metadata) of a backup file; a ModelFileError if it is damaged."""
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            tensors = load_tensors(data)
            metadata = json.loads(model_file.safetensors_metadata(data)[_BACKUP_FORMAT])
            if metadata.get("format") != _BACKUP_FORMAT:
                raise ValueError(f"format {metadata.get('format')!r}")
        except Exception as error:  # safetensors and JSON parsing fail in many ways on damaged files
            raise model_file.ModelFileError(
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
