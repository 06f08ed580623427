"""Global settings with Keras 1/2 backend names: dim ordering, float type, epsilon, session, learning phase."""
import numpy as np
import torch

from lamina import config, naming
from lamina.identifiers import check_choice

DIM_ORDERINGS = {data_format: ordering for ordering, data_format in config.LEGACY_DIM_ORDERINGS.items()}


def image_dim_ordering():
    """Keras 1's name of the image layout: 'th' (channels first, lamina's default) or 'tf' (channels last)."""
    return DIM_ORDERINGS[config.image_data_format()]


def set_image_dim_ordering(dim_ordering):
    """Sets the image layout from Keras 1's 'th' (channels first) or 'tf' (channels last).

    Example:
        >>> set_image_dim_ordering("tf")
        >>> image_data_format()
        'channels_last'
    """
    check_choice("dim_ordering", dim_ordering, tuple(config.LEGACY_DIM_ORDERINGS))
    config.set_image_data_format(config.LEGACY_DIM_ORDERINGS[dim_ordering])


image_data_format = config.image_data_format
set_image_data_format = config.set_image_data_format
epsilon = config.epsilon
set_epsilon = config.set_epsilon
floatx = config.floatx
set_floatx = config.set_floatx


def cast_to_floatx(x):
    """x in the default float type: a torch tensor stays a tensor, anything else becomes a numpy array."""
    if isinstance(x, torch.Tensor):
        return x.to(config.floatx_dtype())
    return np.asarray(x, dtype=config.floatx())


def clear_session():
    """Restarts automatic layer names (dense, dense_1, ... start again at dense). lamina keeps no graph."""
    naming.reset()


class LearningPhase:
    """The placeholder K.learning_phase() returns: feed it 0 (test) or 1 (train) as an input of K.function."""

    def __repr__(self):
        return "<learning_phase: feed 0 (test) or 1 (train) to K.function>"


LEARNING_PHASE = LearningPhase()


def learning_phase():
    """A placeholder for the training flag, to list among K.function's inputs.

    lamina has no global learning phase: layers follow the `training` argument of each call (fit trains,
    predict does not). K.function([model.input, K.learning_phase()], outputs) runs the graph in training mode
    when fed 1 and in test mode when fed 0 (without it, in test mode).
    """
    return LEARNING_PHASE


def set_learning_phase(value):
    """Keras 2's global learning phase: 0 (test mode) is accepted, as lamina already runs predict() and
    K.function in test mode; 1 is refused, since layers take their mode from each call.

    Example:
        >>> K.set_learning_phase(0)   # Keras 2 code does this before exporting or predicting: nothing to change
    """
    check_choice("value", value, (0, 1), owner="set_learning_phase")
    if value == 1:
        raise ValueError("K.set_learning_phase(1) is not supported: lamina has no global learning phase (fit() "
                         "trains, predict() tests). To run layers in training mode, feed 1 for K.learning_phase() "
                         "to a K.function, or call model(x, training=True).")
