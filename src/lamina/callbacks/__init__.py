"""Callbacks: hooks called by fit/evaluate/predict, with Keras's names, order and meaning.

`model.stop_training = True` is the only way a callback controls training; the one exception is
BackupAndRestore, which sets `model._initial_epoch` (the epoch a resumed fit() starts from), as in Keras.

Example:
    >>> model.fit(x, y, epochs=100, validation_split=0.1,
    ...           callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
"""
from lamina.callbacks.base import Callback, CallbackList, LambdaCallback
from lamina.callbacks.checkpoints import BackupAndRestore, ModelCheckpoint
from lamina.callbacks.history import History, ProgbarLogger
from lamina.callbacks.loggers import CSVLogger, TensorBoard
from lamina.callbacks.stopping import EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau",
           "TensorBoard", "TerminateOnNaN"]
