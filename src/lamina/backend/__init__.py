"""Keras 1/2's backend functions (`from keras import backend as K`), working on torch tensors.

Custom layers, losses, metrics and Lambda layers written with `K.*` run unchanged after
`from lamina import backend as K`: the functions take and return torch tensors (numpy arrays are accepted where
Keras accepts them), so autograd differentiates them and they run on the model's device. On the symbolic tensors
of a model being defined (`layer.output`), they add Lambda layers to the graph; `K.function` evaluates such
graphs. See docs/keras-compatibility.md for the differences from Keras.

Example:
    >>> from lamina import backend as K
    >>> def rmse(y_true, y_pred):
    ...     return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))
    >>> model.compile(optimizer="sgd", loss=rmse)
"""
from lamina.backend.common import (
    cast_to_floatx, clear_session, epsilon, floatx, image_data_format, image_dim_ordering, learning_phase,
    set_epsilon, set_floatx, set_image_data_format, set_image_dim_ordering, set_learning_phase,
)
from lamina.backend.graph import function
from lamina.backend.operations import (
    all, any, argmax, argmin, batch_flatten, cast, constant, cos, count_params, cumprod, cumsum, dropout, dtype, elu,
    equal, flatten, gather, greater, greater_equal, hard_sigmoid, is_keras_tensor, less, less_equal, not_equal,
    one_hot, ones_like, permute_dimensions, pow, prod, repeat, repeat_elements, round, sign, sin, softplus, softsign,
    sparse_categorical_crossentropy, stack, std, stop_gradient, switch, tanh, tile, var, zeros_like,
)
from lamina.backend.tensors import (
    abs, batch_dot, binary_crossentropy, categorical_crossentropy, clip, concatenate, dot, exp, expand_dims,
    l2_normalize, log, max, maximum, mean, min, minimum, relu, reshape, sigmoid, softmax, sqrt, square, squeeze,
    sum, transpose,
)
from lamina.backend.variables import (
    eval, get_value, gradients, int_shape, ndim, ones, random_normal, random_uniform, set_value, shape, variable,
    zeros,
)

__all__ = [
    "abs", "all", "any", "argmax", "argmin", "batch_dot", "batch_flatten", "binary_crossentropy", "cast",
    "cast_to_floatx", "categorical_crossentropy", "clear_session", "clip", "concatenate", "constant", "cos",
    "count_params", "cumprod", "cumsum", "dot", "dropout", "dtype", "elu", "epsilon", "equal", "eval", "exp",
    "expand_dims", "flatten", "floatx", "function", "gather", "get_value", "gradients", "greater", "greater_equal",
    "hard_sigmoid", "image_data_format", "image_dim_ordering", "int_shape", "is_keras_tensor", "l2_normalize",
    "learning_phase", "less", "less_equal", "log", "max", "maximum", "mean", "min", "minimum", "ndim", "not_equal",
    "one_hot", "ones", "ones_like", "permute_dimensions", "pow", "prod", "random_normal", "random_uniform", "relu",
    "repeat", "repeat_elements", "reshape", "round", "set_epsilon", "set_floatx", "set_image_data_format",
    "set_image_dim_ordering", "set_learning_phase", "set_value", "shape", "sigmoid", "sign", "sin", "softmax",
    "softplus", "softsign", "sparse_categorical_crossentropy", "sqrt", "square", "squeeze", "stack", "std",
    "stop_gradient", "sum", "switch", "tanh", "tile", "transpose", "var", "variable", "zeros", "zeros_like",
]
