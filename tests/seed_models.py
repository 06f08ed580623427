"""The seeds' models, small: XOR, the two-branch functional model, a ConvNet, GRU and LSTM text models."""
import lamina.layers as L
from lamina.models import Model, Sequential


def seed_models():
    xor = Sequential([L.Dense(3, input_dim=2, activation="relu"), L.Dense(1, activation="sigmoid")])
    model_in = L.Input(shape=(2,))
    branches = [L.Dense(3, activation="sigmoid")(L.Dense(3, activation="sigmoid")(model_in)) for _ in range(2)]
    two_branch = Model(model_in, L.Dense(1, activation="sigmoid")(L.merge(branches, mode="concat")))
    convnet = Sequential([L.Convolution2D(4, 3, 3, activation="relu", input_shape=(3, 12, 12)), L.MaxPooling2D((2, 2)),
                          L.Flatten(), L.Dense(8, activation="relu"), L.Dense(3, activation="softmax")])
    gru = Sequential([L.Input((6,), dtype="int64"), L.Embedding(20, 4), L.GRU(5), L.Dense(1, activation="sigmoid")])
    lstm = Sequential([L.Input((6,), dtype="int64"), L.Embedding(20, 4), L.LSTM(5), L.Dense(1, activation="sigmoid")])
    return {"xor": (xor, (2,), False), "two_branch": (two_branch, (2,), False),
            "convnet": (convnet, (3, 12, 12), False),
            "gru": (gru, (6,), True), "lstm": (lstm, (6,), True)}
