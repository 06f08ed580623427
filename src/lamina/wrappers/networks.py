"""The networks the scikit-learn estimators build when given no model: a dense network (MLPClassifier's default
shape: one hidden layer of 100 ReLU units) and TF-Learn's wide-and-deep combination, sized from the data.

`meta` is what the estimator learned from the data before building: n_features_in_, and for the output layer
n_outputs_ units with `output_activation_` ('sigmoid' for binary and multilabel targets, 'softmax' for several
classes, 'linear' for regression).
"""
import torch

from lamina.layers import Activation, Add, BatchNormalization, Dense, Dropout, Input, Layer
from lamina.models import Model


class SelectColumns(Layer):
    """(batch, features) -> (batch, len(columns)): the given feature columns, in that order."""

    def __init__(self, columns, **kwargs):
        super().__init__(**kwargs)
        self.columns = [int(column) for column in columns]

    def call(self, inputs):
        return inputs[:, torch.as_tensor(self.columns, device=inputs.device)]

    def get_config(self):
        return {**super().get_config(), "columns": self.columns}


def _hidden(x, hidden_units, activation, dropout, batch_norm, prefix):
    for index, units in enumerate(hidden_units):
        x = Dense(int(units), name=f"{prefix}hidden_{index + 1}")(x)
        if batch_norm:
            x = BatchNormalization(name=f"{prefix}batch_norm_{index + 1}")(x)
        x = Activation(activation, name=f"{prefix}activation_{index + 1}")(x)
        if dropout:
            x = Dropout(float(dropout), name=f"{prefix}dropout_{index + 1}")(x)
    return x


def dense_network(meta, hidden_units=(100,), activation="relu", dropout=None, batch_norm=False):
    """features -> hidden Dense layers (each optionally batch-normalized, then `activation`, then dropout) ->
    the output layer the target needs."""
    features = Input((meta["n_features_in_"],), name="features")
    x = _hidden(features, hidden_units, activation, dropout, batch_norm, "")
    outputs = Dense(meta["n_outputs_"], activation=meta["output_activation_"], name="predictions")(x)
    return Model(features, outputs, name="dense_network")


def wide_and_deep(meta, hidden_units=(100,), activation="relu", dropout=None, batch_norm=False,
                  linear_features=None, dnn_features=None):
    """TF-Learn's DNNLinearCombined model: the output's logits are a linear model of the `linear_features`
    columns plus a dense network of the `dnn_features` columns (None: all columns, for either)."""
    features = Input((meta["n_features_in_"],), name="features")
    wide = _columns(features, linear_features, "linear_columns")
    deep = _hidden(_columns(features, dnn_features, "dnn_columns"), hidden_units, activation, dropout, batch_norm,
                   "dnn_")
    logits = Add(name="logits")([Dense(meta["n_outputs_"], name="linear_logits")(wide),
                                 Dense(meta["n_outputs_"], name="dnn_logits")(deep)])
    return Model(features, Activation(meta["output_activation_"], name="predictions")(logits), name="wide_and_deep")


def _columns(features, columns, name):
    if columns is None:
        return features
    return SelectColumns(columns, name=name)(features)
